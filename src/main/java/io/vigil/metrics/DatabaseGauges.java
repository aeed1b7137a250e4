package io.vigil.metrics;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.TimeGauge;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vigil.alert.AlertStatus;
import io.vigil.rules.Severity;
import io.vigil.store.StatusStore;
import java.time.Clock;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Gauges whose values live in the database: the outbox backlog, the age of its oldest
 * pending delivery, and alerts by severity and status. A scrape must never wait on a query
 * (it runs on an event loop, and several scrapers would multiply the load), so a timer
 * reads them every {@link #INTERVAL_MS} and the gauges show the last reading; the age is
 * computed at scrape time from the stored creation time, so it keeps growing in between.
 */
public final class DatabaseGauges {
  private static final Logger log = LoggerFactory.getLogger(DatabaseGauges.class);
  public static final long INTERVAL_MS = 5_000;

  private final Vertx vertx;
  private final StatusStore store;
  private final MeterRegistry metrics;
  private final AtomicLong backlog = new AtomicLong();
  /** Creation time (epoch ms) of the oldest pending delivery; 0 when there is none. */
  private final AtomicLong oldestPending = new AtomicLong();
  private final Map<String, AtomicLong> alerts = new ConcurrentHashMap<>();
  private long timer = -1;
  private volatile boolean refreshing;

  public DatabaseGauges(Vertx vertx, StatusStore store, MeterRegistry metrics, Clock clock) {
    this.vertx = vertx;
    this.store = store;
    this.metrics = metrics;
    Gauge.builder("vigil_outbox_backlog", backlog, AtomicLong::get)
        .description("Deliveries pending in the outbox, every tenant").register(metrics);
    TimeGauge.builder("vigil_outbox_oldest_pending_age", oldestPending, TimeUnit.MILLISECONDS,
            o -> o.get() == 0 ? 0 : Math.max(0, clock.millis() - o.get()))
        .description("How long the oldest pending delivery has waited").register(metrics);
    // Every combination exists from the start, so a dashboard sees 0 rather than no series.
    for (Severity s : Severity.values()) {
      for (AlertStatus st : AlertStatus.values()) {
        alertGauge(s.label(), st.label());
      }
    }
  }

  public void start() {
    refresh();
    timer = vertx.setPeriodic(INTERVAL_MS, t -> refresh());
  }

  public void stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
  }

  private void refresh() {
    if (refreshing) {
      return;
    }
    refreshing = true;
    Future<StatusStore.Backlog> b = store.backlog(null).onSuccess(r -> {
      backlog.set(r.pending());
      oldestPending.set(r.oldestCreatedAt() == null ? 0 : r.oldestCreatedAt().toEpochMilli());
    });
    Future<?> a = store.alertCounts().onSuccess(counts -> {
      Set<String> seen = new HashSet<>();
      counts.forEach(c -> {
        alertGauge(c.severity(), c.status()).set(c.count());
        seen.add(key(c.severity(), c.status()));
      });
      alerts.forEach((k, v) -> {
        if (!seen.contains(k)) {
          v.set(0);
        }
      });
    });
    Future.join(b, a).onComplete(ar -> {
      refreshing = false;
      if (ar.failed()) {
        log.debug("database gauges not refreshed: {}", ar.cause().toString());
      }
    });
  }

  private AtomicLong alertGauge(String severity, String status) {
    return alerts.computeIfAbsent(key(severity, status), k -> {
      AtomicLong v = new AtomicLong();
      Gauge.builder("vigil_alerts", v, AtomicLong::get).description("Alerts stored, by severity and status")
          .tag("severity", severity).tag("status", status).register(metrics);
      return v;
    });
  }

  private static String key(String severity, String status) {
    return severity + '\u0000' + status;
  }
}
