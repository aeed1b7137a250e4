package io.vigil.ingest;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code ingest.tenant_events_per_second}: a token bucket per tenant, so one tenant that
 * floods Vigil gets {@code 429} while the others keep their share of its capacity. The
 * bucket holds one second of events, and never less than one full request, so a tenant
 * under its rate can always send a batch of {@code ingest.max_events_per_request}.
 */
final class TenantQuota {
  private final double rate;
  private final double capacity;
  private final Map<String, Bucket> buckets = new ConcurrentHashMap<>();

  /** {@code rate} events per second; 0 or less means no quota. */
  TenantQuota(double rate, int maxEventsPerRequest) {
    this.rate = rate;
    this.capacity = Math.max(rate, maxEventsPerRequest);
  }

  /** Takes {@code n} events' worth; returns 0, or how many milliseconds until they fit (nothing taken). */
  long acquire(String tenant, int n, long nowMillis) {
    if (rate <= 0) {
      return 0;
    }
    return buckets.computeIfAbsent(tenant, t -> new Bucket(capacity, nowMillis)).take(n, rate, capacity, nowMillis);
  }

  private static final class Bucket {
    private double tokens;
    private long at;

    Bucket(double capacity, long now) {
      this.tokens = capacity;
      this.at = now;
    }

    synchronized long take(int n, double rate, double capacity, long now) {
      tokens = Math.min(capacity, tokens + Math.max(0, now - at) * rate / 1000.0);
      at = Math.max(at, now);
      if (tokens >= n) {
        tokens -= n;
        return 0;
      }
      return Math.max(1, (long) Math.ceil((n - tokens) * 1000.0 / rate));
    }
  }
}
