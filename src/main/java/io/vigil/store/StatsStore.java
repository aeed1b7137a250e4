package io.vigil.store;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;

/**
 * Counts for {@code GET /api/v1/stats}: a tenant's events (by receive time), alerts (by
 * first seen) and deliveries (by creation) in {@code [since, until)}, each read through an
 * index on (tenant, time).
 */
public final class StatsStore {
  /** Event types are chosen by clients; the answer names the most frequent ones only. */
  public static final int MAX_TYPES = 100;

  private final Pool pool;

  public StatsStore(Pool pool) {
    this.pool = pool;
  }

  /** {@code {"total", "by_type": {...}}}, plus {@code other_types} when there are more than {@link #MAX_TYPES}. */
  public Future<JsonObject> events(String tenant, Instant since, Instant until) {
    Tuple range = Tuple.of(tenant, AlertStore.utc(since), AlertStore.utc(until));
    String where = " FROM events WHERE tenant = $1 AND received_at >= $2 AND received_at < $3";
    Future<Long> total = pool.preparedQuery("SELECT count(*)" + where).execute(range)
        .map(rows -> rows.iterator().next().getLong(0));
    Future<JsonObject> byType = pool.preparedQuery("SELECT type, count(*)" + where
            + " GROUP BY type ORDER BY count(*) DESC, type LIMIT " + MAX_TYPES)
        .execute(range)
        .map(rows -> {
          JsonObject out = new JsonObject();
          rows.forEach(r -> out.put(r.getString(0), r.getLong(1)));
          return out;
        });
    return Future.all(total, byType).map(v -> {
      JsonObject out = new JsonObject().put("total", total.result()).put("by_type", byType.result());
      long named = byType.result().stream().mapToLong(e -> (Long) e.getValue()).sum();
      if (named < total.result()) {
        out.put("other_types", total.result() - named);
      }
      return out;
    });
  }

  /** {@code {"total", "occurrences", "by_rule", "by_severity", "by_status"}}. */
  public Future<JsonObject> alerts(String tenant, Instant since, Instant until) {
    return pool.preparedQuery("SELECT rule, severity, status, count(*), sum(occurrences) FROM alerts"
            + " WHERE tenant = $1 AND first_seen >= $2 AND first_seen < $3 GROUP BY rule, severity, status")
        .execute(Tuple.of(tenant, AlertStore.utc(since), AlertStore.utc(until)))
        .map(rows -> {
          long total = 0;
          long occurrences = 0;
          JsonObject byRule = new JsonObject();
          JsonObject bySeverity = new JsonObject();
          JsonObject byStatus = new JsonObject();
          for (Row r : rows) {
            long n = r.getLong(3);
            total += n;
            occurrences += r.getLong(4);
            add(byRule, r.getString(0), n);
            add(bySeverity, r.getString(1), n);
            add(byStatus, r.getString(2), n);
          }
          return new JsonObject().put("total", total).put("occurrences", occurrences).put("by_rule", byRule)
              .put("by_severity", bySeverity).put("by_status", byStatus);
        });
  }

  /**
   * {@code {"total", "by_channel", "by_status", "by_kind", "by_reason"}}; {@code by_reason}
   * counts the deliveries not made now and why (skipped, held for a digest, sent in one).
   */
  public Future<JsonObject> deliveries(String tenant, Instant since, Instant until) {
    return pool.preparedQuery("SELECT channel, status, count(*), kind, reason FROM deliveries"
            + " WHERE tenant = $1 AND created_at >= $2 AND created_at < $3 GROUP BY channel, status, kind, reason")
        .execute(Tuple.of(tenant, AlertStore.utc(since), AlertStore.utc(until)))
        .map(rows -> {
          long total = 0;
          JsonObject byChannel = new JsonObject();
          JsonObject byStatus = new JsonObject();
          JsonObject byKind = new JsonObject();
          JsonObject byReason = new JsonObject();
          for (Row r : rows) {
            long n = r.getLong(2);
            total += n;
            add(byChannel, r.getString(0), n);
            add(byStatus, r.getString(1), n);
            add(byKind, r.getString(3), n);
            if (r.getString(4) != null) {
              add(byReason, r.getString(4), n);
            }
          }
          return new JsonObject().put("total", total).put("by_channel", byChannel).put("by_status", byStatus)
              .put("by_kind", byKind).put("by_reason", byReason);
        });
  }

  private static void add(JsonObject counts, String key, long n) {
    counts.put(key, counts.getLong(key, 0L) + n);
  }
}
