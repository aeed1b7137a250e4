package io.vigil.delivery.email;

import io.vertx.ext.mail.SMTPException;
import io.vigil.delivery.DeliveryResult;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLException;

/**
 * Decides what a failed SMTP attempt means, from the server's reply code where there is
 * one. A 5xx reply is a permanent rejection (unknown recipient 550, bad credentials 535,
 * policy 554) and fails at once, except 552, which RFC 5321 §4.5.3.1.10 asks clients to
 * treat as temporary; 4xx replies (421 busy, 450/451 try later, 454 temporary auth
 * failure), refused or dropped connections and timeouts are retried. A configuration the
 * server cannot satisfy (STARTTLS or login required but not offered) fails. Error texts
 * keep the server's reply with the given secrets (username, password) blanked out.
 */
final class SmtpFailures {
  static final String REDACTED = "<redacted>";
  private static final int MAX_REPLY_CHARS = 300;

  private SmtpFailures() {}

  static DeliveryResult classify(Throwable failure, List<String> secrets) {
    for (Throwable t = failure; t != null; t = t.getCause() == t ? null : t.getCause()) {
      DeliveryResult known = byType(t, secrets);
      if (known != null) {
        return known;
      }
    }
    String message = failure.getMessage() == null ? "" : failure.getMessage();
    if (message.contains("STARTTLS required")) {
      return DeliveryResult.failed("the SMTP server does not offer STARTTLS, which tls: starttls requires");
    }
    if (message.contains("no allowed AUTH methods")) {
      return DeliveryResult.failed("the SMTP server offers no AUTH method Vigil can use; login is required"
          + " (with tls: none the server may only offer AUTH after STARTTLS)");
    }
    if (message.contains("no credentials supplied")) {
      return DeliveryResult.failed("login is required but no credentials are configured");
    }
    if (message.toLowerCase(Locale.ROOT).contains("closed")) {
      return DeliveryResult.retry("connection closed by the SMTP server");
    }
    return DeliveryResult.retry("network error: " + failure.getClass().getSimpleName()
        + (message.isEmpty() ? "" : ": " + excerpt(redact(message, secrets))));
  }

  /** The result for a failure whose type says what happened; null when its type does not. */
  private static DeliveryResult byType(Throwable e, List<String> secrets) {
    if (e instanceof SMTPException smtp) {
      int code = smtp.getReplyCode();
      String error = "SMTP " + excerpt(redact(smtp.getMessage(), secrets));
      return code >= 500 && code != 552 ? DeliveryResult.failed(error) : DeliveryResult.retry(error);
    }
    if (e instanceof UnknownHostException) {
      return DeliveryResult.retry("SMTP server host not found");
    }
    if (e instanceof ConnectException) {
      return DeliveryResult.retry("connection refused");
    }
    if (e instanceof TimeoutException || e.getClass().getSimpleName().contains("Timeout")) {
      return DeliveryResult.retry("timeout: the SMTP server did not finish in time");
    }
    if (e instanceof SSLException || e.getClass().getSimpleName().contains("Ssl")) {
      return DeliveryResult.retry("TLS handshake failed");
    }
    return null;
  }

  /** Replaces every occurrence of each non-empty secret. */
  static String redact(String text, List<String> secrets) {
    String out = text == null ? "" : text;
    for (String s : secrets) {
      if (s != null && !s.isEmpty()) {
        out = out.replace(s, REDACTED);
      }
    }
    return out;
  }

  private static String excerpt(String text) {
    String oneLine = text.replaceAll("\\s+", " ").trim();
    return oneLine.length() > MAX_REPLY_CHARS ? oneLine.substring(0, MAX_REPLY_CHARS) + "..." : oneLine;
  }

}
