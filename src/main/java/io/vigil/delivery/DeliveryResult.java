package io.vigil.delivery;

import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Optional;

/**
 * What one delivery attempt came to: delivered, worth retrying later (optionally not
 * before a receiver-given {@code Retry-After}), or failed for good. Which HTTP statuses are
 * retried is decided here once, for every channel: network errors, timeouts, 408, 429 and
 * 5xx are retried; every other 4xx fails at once with the receiver's answer kept.
 */
public sealed interface DeliveryResult {
  Integer statusCode();

  record Delivered(Integer statusCode) implements DeliveryResult {}

  record Retry(String error, Integer statusCode, Optional<Duration> retryAfter) implements DeliveryResult {}

  record Failed(String error, Integer statusCode) implements DeliveryResult {}

  static DeliveryResult delivered(Integer status) {
    return new Delivered(status);
  }

  static DeliveryResult retry(String error) {
    return new Retry(error, null, Optional.empty());
  }

  static DeliveryResult failed(String error) {
    return new Failed(error, null);
  }

  /** Classifies an HTTP answer; {@code body} is a short excerpt kept as the error. */
  static DeliveryResult fromHttp(int status, String body, String retryAfterHeader, Instant now) {
    if (status >= 200 && status < 300) {
      return new Delivered(status);
    }
    String error = "HTTP " + status + (body == null || body.isBlank() ? "" : ": " + excerpt(body));
    if (status == 408 || status == 429 || status >= 500) {
      return new Retry(error, status, parseRetryAfter(retryAfterHeader, now));
    }
    return new Failed(error, status);
  }

  /** {@code Retry-After} as delay-seconds or an HTTP date; empty when absent or unreadable. */
  static Optional<Duration> parseRetryAfter(String header, Instant now) {
    if (header == null || header.isBlank()) {
      return Optional.empty();
    }
    String h = header.trim();
    try {
      long seconds = Long.parseLong(h);
      return seconds < 0 ? Optional.empty() : Optional.of(Duration.ofSeconds(seconds));
    } catch (NumberFormatException e) {
      try {
        Instant at = ZonedDateTime.parse(h, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
        Duration d = Duration.between(now, at);
        return Optional.of(d.isNegative() ? Duration.ZERO : d);
      } catch (RuntimeException ex) {
        return Optional.empty();
      }
    }
  }

  private static String excerpt(String body) {
    String oneLine = body.replaceAll("\\s+", " ").trim();
    return oneLine.length() > 200 ? oneLine.substring(0, 200) + "..." : oneLine;
  }
}
