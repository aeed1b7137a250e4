package io.vigil.store;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import io.vigil.config.VigilConfig.RetentionConfig;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Prunes old events and finished alerts in the background, in small batches, each batch
 * its own short statement, so pruning never holds locks on much at once.
 *
 * <p>Events: the payload of an event older than {@code retention.events} is removed; the row
 * itself (id, type, times) stays until {@code retention.event_ids} has passed as well, so
 * the journal's unique (tenant, id) still answers a late resend with {@code duplicate},
 * exactly as before pruning. Never pruned: events the tenant's engine has not processed, and
 * events within the longest rule window before its processed position or before now, which a
 * restart replays to rebuild windows and cooldowns.
 *
 * <p>Alerts: resolved alerts older than {@code retention.alerts} whose deliveries are all
 * finished (delivered, failed or skipped), with their deliveries and attempts. Open alerts,
 * alerts with a pending delivery or one held for a digest, and alerts raised within the
 * longest rule window (a cooldown may still add occurrences to them) stay. Digests and
 * held-back notices (deliveries about no single alert) go once finished and older than
 * {@code retention.alerts}; the alerts' rows that went out in a digest keep their outcome.
 */
public final class Retention {
  private static final Logger log = LoggerFactory.getLogger(Retention.class);

  private static final String POSITIONS =
      "SELECT p.tenant, p.seq, e.received_at FROM engine_positions p"
          + " LEFT JOIN events e ON e.tenant = p.tenant AND e.seq = p.seq WHERE p.seq > 0 ORDER BY p.tenant";
  private static final String DELETE_EVENTS =
      "WITH gone AS (DELETE FROM events WHERE seq IN ("
          + "   SELECT seq FROM events WHERE tenant = $1 AND seq < $2 AND received_at < $3 ORDER BY received_at LIMIT $4)"
          + " RETURNING body IS NULL AS bare)"
          + " SELECT count(*), count(*) FILTER (WHERE NOT bare) FROM gone";
  /** The first event after the stripped mark that is still too young: payloads stop before it. */
  private static final String STRIP_LIMIT =
      "SELECT min(seq) FROM events WHERE tenant = $1 AND seq > $2 AND seq < $3 AND received_at >= $4";
  private static final String STRIP_EVENTS =
      "WITH s AS (UPDATE events SET body = NULL WHERE seq IN ("
          + "   SELECT seq FROM events WHERE tenant = $1 AND seq > $2 AND seq <= $3 AND body IS NOT NULL"
          + "   ORDER BY seq LIMIT $4)"
          + " RETURNING seq)"
          + " SELECT count(*), max(seq) FROM s";
  private static final String DELETE_ALERTS =
      "WITH gone AS (DELETE FROM alerts WHERE id IN ("
          + "   SELECT a.id FROM alerts a WHERE a.status = 'resolved' AND a.resolved_at < $1 AND a.last_seen < $2"
          + "   AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.alert_id = a.id AND d.status IN ('pending', 'held'))"
          + "   ORDER BY a.resolved_at LIMIT $3 FOR UPDATE SKIP LOCKED)"
          + " RETURNING id)"
          + " SELECT (SELECT count(*) FROM gone),"
          + " (SELECT count(*) FROM deliveries WHERE alert_id IN (SELECT id FROM gone))";

  private static final String DELETE_BATCHES =
      "WITH gone AS (DELETE FROM deliveries WHERE id IN ("
          + "   SELECT id FROM deliveries WHERE alert_id IS NULL AND status IN ('delivered', 'failed')"
          + "   AND updated_at < $1 ORDER BY updated_at LIMIT $2 FOR UPDATE SKIP LOCKED)"
          + " RETURNING id)"
          + " SELECT count(*) FROM gone";

  private final Vertx vertx;
  private final Pool pool;
  private final RetentionConfig config;
  private final Clock clock;
  private final Supplier<Optional<Duration>> ruleWindow;
  /** Per tenant: every event at or below this seq has no payload any more (or is gone). */
  private final Map<String, Long> strippedUpTo = new ConcurrentHashMap<>();
  private final AtomicLong eventsPruned = new AtomicLong();
  private final AtomicLong eventIdsExpired = new AtomicLong();
  private final AtomicLong alertsPruned = new AtomicLong();
  private final AtomicLong deliveriesPruned = new AtomicLong();
  private final AtomicLong passes = new AtomicLong();
  private volatile boolean stopping;
  private volatile Future<Pass> running;
  private long timer = -1;

  /**
   * {@code ruleWindow} is how far back the engine may need events (the longest rule window
   * or replay, with slack); while it is empty (no rules loaded yet) nothing is pruned.
   */
  public Retention(Vertx vertx, Pool pool, RetentionConfig config, Clock clock, Supplier<Optional<Duration>> ruleWindow) {
    this.vertx = vertx;
    this.pool = pool;
    this.config = config;
    this.clock = clock;
    this.ruleWindow = ruleWindow;
  }

  /** What one pass removed. */
  public record Pass(long eventPayloads, long eventIds, long alerts, long deliveries) {
    boolean any() {
      return eventPayloads + eventIds + alerts + deliveries > 0;
    }
  }

  /** Runs a pass every {@code retention.interval}, the first one after one interval. */
  public void start() {
    timer = vertx.setPeriodic(config.interval().toMillis(), t -> {
      Future<Pass> r = running;
      if (r == null || r.isComplete()) {
        running = runOnce().onFailure(e -> log.warn("retention pass failed (retried next interval): {}", e.toString()));
      }
    });
  }

  /** Stops the timer and lets a running pass end after its current batch. */
  public Future<Void> stop() {
    stopping = true;
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
    Future<Pass> r = running;
    return r == null ? Future.succeededFuture() : r.<Void>mapEmpty().otherwiseEmpty();
  }

  /** One pass over every tenant's events, then over alerts, until nothing more is due. */
  public Future<Pass> runOnce() {
    Optional<Duration> window = ruleWindow.get();
    if (window.isEmpty()) {
      return Future.succeededFuture(new Pass(0, 0, 0, 0));
    }
    long started = System.nanoTime();
    Instant now = clock.instant();
    return pruneEvents(now, window.get())
        .compose(ev -> pruneAlerts(now, window.get()).map(al -> new Pass(ev[0], ev[1], al[0], al[1])))
        .onSuccess(p -> {
          eventsPruned.addAndGet(p.eventPayloads());
          eventIdsExpired.addAndGet(p.eventIds());
          alertsPruned.addAndGet(p.alerts());
          deliveriesPruned.addAndGet(p.deliveries());
          passes.incrementAndGet();
          if (p.any()) {
            log.info("retention: pruned event_payloads={} event_ids={} alerts={} deliveries={} in {} ms",
                p.eventPayloads(), p.eventIds(), p.alerts(), p.deliveries(), (System.nanoTime() - started) / 1_000_000);
          }
        });
  }

  /** Events whose payload was pruned, since start (rows deleted with their payload included). */
  public long eventsPruned() {
    return eventsPruned.get();
  }

  /** Event rows deleted, their ids forgotten, since start. */
  public long eventIdsExpired() {
    return eventIdsExpired.get();
  }

  public long alertsPruned() {
    return alertsPruned.get();
  }

  public long deliveriesPruned() {
    return deliveriesPruned.get();
  }

  /** {@code vigil_retention_pruned_total{what}} and {@code vigil_retention_passes_total}, read from the counters above. */
  public void bindTo(MeterRegistry registry) {
    FunctionCounter.builder("vigil_retention_pruned", this, Retention::eventsPruned).tag("what", "event_payloads")
        .description("Pruned by retention since start").register(registry);
    FunctionCounter.builder("vigil_retention_pruned", this, Retention::eventIdsExpired).tag("what", "event_ids")
        .description("Pruned by retention since start").register(registry);
    FunctionCounter.builder("vigil_retention_pruned", this, Retention::alertsPruned).tag("what", "alerts")
        .description("Pruned by retention since start").register(registry);
    FunctionCounter.builder("vigil_retention_pruned", this, Retention::deliveriesPruned).tag("what", "deliveries")
        .description("Pruned by retention since start").register(registry);
    FunctionCounter.builder("vigil_retention_passes", this, Retention::passes)
        .description("Retention passes completed since start").register(registry);
  }

  /** Completed passes since start. */
  public long passes() {
    return passes.get();
  }

  private Future<long[]> pruneEvents(Instant now, Duration window) {
    return pool.query(POSITIONS).execute().compose(rows -> {
      List<TenantPosition> tenants = new ArrayList<>();
      for (Row r : rows) {
        OffsetDateTime at = r.getOffsetDateTime(2);
        tenants.add(new TenantPosition(r.getString(0), r.getLong(1), at == null ? null : at.toInstant()));
      }
      long[] total = new long[2];
      Future<Void> chain = Future.succeededFuture();
      for (TenantPosition t : tenants) {
        chain = chain.compose(v -> stopping ? Future.succeededFuture() : pruneTenant(t, now, window).map(n -> {
          total[0] += n[0];
          total[1] += n[1];
          return null;
        }));
      }
      return chain.map(total);
    });
  }

  /** Returns {payloads pruned, rows deleted} for one tenant. */
  private Future<long[]> pruneTenant(TenantPosition t, Instant now, Duration window) {
    // A restart replays back over the window from the processed position; a live session
    // holds that much before now. Both stay.
    Instant guard = earlier(now.minus(window), t.receivedAt == null ? now : t.receivedAt.minus(window));
    Duration idsKept = config.events().compareTo(config.eventIds()) >= 0 ? config.events() : config.eventIds();
    Instant deleteBefore = earlier(now.minus(idsKept), guard);
    long[] out = new long[2];
    Future<Void> deleted = repeat(() -> pool.preparedQuery(DELETE_EVENTS)
        .execute(Tuple.of(t.tenant, t.seq, utc(deleteBefore), config.batchSize()))
        .map(rows -> {
          Row r = rows.iterator().next();
          out[1] += r.getLong(0);
          out[0] += r.getLong(1);
          return r.getLong(0);
        }));
    if (config.events().compareTo(config.eventIds()) >= 0) {
      return deleted.map(out); // ids go with their rows: nothing to keep without a payload
    }
    Instant stripBefore = earlier(now.minus(config.events()), guard);
    return deleted.compose(v -> strip(t, stripBefore)).map(n -> {
      out[0] += n;
      return out;
    });
  }

  /**
   * Removes payloads in seq order from the tenant's mark up to the first event that must
   * keep its payload, so each pass starts where the last stopped instead of re-reading
   * every event already stripped.
   */
  private Future<Long> strip(TenantPosition t, Instant before) {
    long mark = strippedUpTo.getOrDefault(t.tenant, 0L);
    return pool.preparedQuery(STRIP_LIMIT).execute(Tuple.of(t.tenant, mark, t.seq, utc(before))).compose(rows -> {
      Long firstYoung = rows.iterator().next().getLong(0);
      long upto = firstYoung == null ? t.seq - 1 : firstYoung - 1;
      if (upto <= mark) {
        return Future.succeededFuture(0L);
      }
      long[] cursor = {mark};
      long[] total = {0};
      return repeat(() -> pool.preparedQuery(STRIP_EVENTS)
              .execute(Tuple.of(t.tenant, cursor[0], upto, config.batchSize()))
              .map(r -> {
                Row row = r.iterator().next();
                long n = row.getLong(0);
                if (n > 0) {
                  cursor[0] = row.getLong(1);
                }
                total[0] += n;
                return n;
              }))
          .map(v -> {
            if (!stopping) {
              strippedUpTo.put(t.tenant, upto);
            }
            return total[0];
          });
    });
  }

  private Future<long[]> pruneAlerts(Instant now, Duration window) {
    if (stopping) {
      return Future.succeededFuture(new long[2]);
    }
    long[] out = new long[2];
    OffsetDateTime resolvedBefore = utc(now.minus(config.alerts()));
    OffsetDateTime raisedBefore = utc(now.minus(window));
    return repeat(() -> pool.preparedQuery(DELETE_ALERTS)
        .execute(Tuple.of(resolvedBefore, raisedBefore, config.batchSize()))
        .map(rows -> {
          Row r = rows.iterator().next();
          out[0] += r.getLong(0);
          out[1] += r.getLong(1);
          return r.getLong(0);
        }))
        .compose(v -> stopping ? Future.succeededFuture() : repeat(() -> pool.preparedQuery(DELETE_BATCHES)
            .execute(Tuple.of(resolvedBefore, config.batchSize()))
            .map(rows -> {
              long n = rows.iterator().next().getLong(0);
              out[1] += n;
              return n;
            })))
        .map(out);
  }

  /** Runs batches one after another until one comes back short (or the server stops). */
  private Future<Void> repeat(Supplier<Future<Long>> batch) {
    return batch.get().compose(n -> n < config.batchSize() || stopping ? Future.succeededFuture() : repeat(batch));
  }

  private static Instant earlier(Instant a, Instant b) {
    return a.isBefore(b) ? a : b;
  }

  private static OffsetDateTime utc(Instant i) {
    return i.atOffset(ZoneOffset.UTC);
  }

  private record TenantPosition(String tenant, long seq, Instant receivedAt) {}
}
