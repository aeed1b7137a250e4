package io.vigil.delivery;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code rate_per_second} per channel: a token bucket that holds up to one second of
 * messages. A message over the rate waits in the outbox; it is never dropped.
 */
final class ChannelRates {
  private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

  /** Takes a token; returns 0, or how many milliseconds until one is available. */
  long acquire(String tenant, Channel ch, long nowMillis) {
    double rate = ch.options().ratePerSecond();
    if (rate <= 0) {
      return 0;
    }
    Bucket b = buckets.computeIfAbsent(tenant + '\u0000' + ch.name(), k -> new Bucket(rate, nowMillis));
    return b.take(rate, nowMillis);
  }

  private static final class Bucket {
    private double tokens;
    private long at;

    Bucket(double rate, long now) {
      this.tokens = Math.max(1, rate);
      this.at = now;
    }

    synchronized long take(double rate, long now) {
      double capacity = Math.max(1, rate);
      tokens = Math.min(capacity, tokens + (now - at) * rate / 1000.0);
      at = Math.max(at, now);
      if (tokens >= 1) {
        tokens -= 1;
        return 0;
      }
      return (long) Math.ceil((1 - tokens) * 1000.0 / rate);
    }
  }
}
