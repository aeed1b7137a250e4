package io.vigil.delivery.email;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.ext.mail.LoginOption;
import io.vertx.ext.mail.MailClient;
import io.vertx.ext.mail.MailConfig;
import io.vertx.ext.mail.MailMessage;
import io.vertx.ext.mail.StartTLSOptions;
import io.vigil.config.ChannelConfig;
import io.vigil.config.Secret;
import io.vigil.delivery.Channel;
import io.vigil.delivery.DeliveryResult;
import io.vigil.delivery.OutboundMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Sends each alert as one email over SMTP: the subject, a plain-text and an HTML part
 * rendered from the channel's templates, from the configured sender to the configured
 * recipients. All mail about one alert on one channel forms one thread ({@link
 * ThreadHeaders}). The channel owns one {@link MailClient} (a small connection pool),
 * released by {@link #close()}. Every attempt ends within the timeout given; the SMTP
 * reply decides whether a failure is retried ({@link SmtpFailures}). No result text
 * carries the username or the password, even when a server echoes them.
 *
 * <p>{@code tls}: {@code none} is plain SMTP (STARTTLS never attempted), {@code starttls}
 * requires STARTTLS, {@code tls} is TLS from the first byte (SMTPS). With TLS the server's
 * certificate and host name are verified against the JVM's trust store.
 */
public final class EmailChannel implements Channel {
  private final ChannelConfig.Email config;
  private final MailClient client;
  private final long timeoutMs;
  private final List<String> secrets;

  public EmailChannel(ChannelConfig.Email config, Vertx vertx, Duration timeout) {
    this.config = config;
    this.timeoutMs = timeout.toMillis();
    this.client = MailClient.create(vertx, mailConfig(config, timeout));
    List<String> s = new ArrayList<>();
    config.username().ifPresent(s::add);
    config.password().map(Secret::reveal).ifPresent(s::add);
    this.secrets = List.copyOf(s);
  }

  static MailConfig mailConfig(ChannelConfig.Email config, Duration timeout) {
    int timeoutMs = (int) Math.min(Integer.MAX_VALUE, timeout.toMillis());
    MailConfig mail = new MailConfig()
        .setHostname(config.host())
        .setPort(config.port())
        .setConnectTimeout(timeoutMs)
        // A server that stops answering mid-dialogue would hold a pooled connection forever;
        // twice the attempt's timeout, so that the attempt's own deadline is what ends it.
        .setIdleTimeout((int) Math.min(Integer.MAX_VALUE, 2L * timeoutMs))
        .setIdleTimeoutUnit(TimeUnit.MILLISECONDS)
        .setUserAgent("Vigil");
    switch (config.tls()) {
      case "tls" -> mail.setSsl(true).setStarttls(StartTLSOptions.DISABLED).setHostnameVerificationAlgorithm("HTTPS");
      case "starttls" -> mail.setSsl(false).setStarttls(StartTLSOptions.REQUIRED).setHostnameVerificationAlgorithm("HTTPS");
      default -> mail.setSsl(false).setStarttls(StartTLSOptions.DISABLED);
    }
    if (config.username().isPresent()) {
      mail.setLogin(LoginOption.REQUIRED)
          // A password is not an OAuth token: never offer it as XOAUTH2.
          .setAuthMethods("DIGEST-MD5 CRAM-SHA256 CRAM-SHA1 CRAM-MD5 PLAIN LOGIN")
          .setUsername(config.username().get())
          .setPassword(config.password().map(Secret::reveal).orElse(""));
    } else {
      mail.setLogin(LoginOption.DISABLED);
    }
    return mail;
  }

  @Override
  public ChannelConfig config() {
    return config;
  }

  @Override
  public List<String> parts() {
    return List.of("subject", "html", "txt");
  }

  @Override
  public Future<DeliveryResult> send(OutboundMessage message) {
    MailMessage mail = mail(message);
    return client.sendMail(mail)
        .timeout(timeoutMs, TimeUnit.MILLISECONDS)
        .transform(ar -> Future.succeededFuture(ar.succeeded()
            ? DeliveryResult.delivered(null)
            : SmtpFailures.classify(ar.cause(), secrets)));
  }

  MailMessage mail(OutboundMessage message) {
    ThreadHeaders thread = ThreadHeaders.of(message.alert().getString("id"), config.name(), message.event(),
        message.deliveryId());
    MailMessage mail = new MailMessage()
        .setFrom(config.from())
        .setTo(config.to())
        // A header is one line: a template's line breaks must not start new headers.
        .setSubject(message.text("subject").replaceAll("[\\r\\n]+", " ").strip())
        .setText(message.text("txt"))
        .setHtml(message.text("html"));
    mail.addHeader("Message-ID", thread.messageId());
    thread.inReplyTo().ifPresent(root -> {
      mail.addHeader("In-Reply-To", root);
      mail.addHeader("References", root);
    });
    return mail;
  }

  /**
   * Closes the pooled connections. Succeeds even when the server has already dropped one
   * (the client then reports "Connection was closed"): either way nothing is left open.
   */
  @Override
  public Future<Void> close() {
    return client.close().recover(e -> Future.succeededFuture());
  }
}
