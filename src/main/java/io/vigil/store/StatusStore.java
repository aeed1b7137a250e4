package io.vigil.store;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The reads behind {@code GET /api/v1/status} and the database gauges of {@code /metrics}:
 * the outbox backlog, alerts by severity and status, and each channel's last attempt. All
 * are index reads except the alert counts, which the gauges run every few seconds, not per
 * request.
 */
public final class StatusStore {
  private final Pool pool;

  public StatusStore(Pool pool) {
    this.pool = pool;
  }

  /** Pending deliveries of a tenant, or of every tenant when {@code tenant} is null. */
  public Future<Backlog> backlog(String tenant) {
    return pool.preparedQuery("SELECT count(*), min(created_at) FROM deliveries WHERE status = 'pending'"
            + " AND ($1::text IS NULL OR tenant = $1)")
        .execute(Tuple.of(tenant))
        .map(rows -> {
          Row r = rows.iterator().next();
          OffsetDateTime oldest = r.getOffsetDateTime(1);
          return new Backlog(r.getLong(0), oldest == null ? null : oldest.toInstant());
        });
  }

  /** How many alerts there are of each severity and status, over every tenant. */
  public Future<List<AlertCount>> alertCounts() {
    return pool.query("SELECT severity, status, count(*) FROM alerts GROUP BY severity, status")
        .execute()
        .map(rows -> {
          List<AlertCount> out = new ArrayList<>();
          rows.forEach(r -> out.add(new AlertCount(r.getString(0), r.getString(1), r.getLong(2))));
          return out;
        });
  }

  /**
   * The latest delivery attempt of the tenant on each of {@code channels} (absent for a
   * channel never tried): one index read per channel.
   */
  public Future<List<LastAttempt>> lastAttempts(String tenant, List<String> channels) {
    if (channels.isEmpty()) {
      return Future.succeededFuture(List.of());
    }
    return pool.preparedQuery("SELECT c.name, l.* FROM unnest($2::text[]) AS c(name) CROSS JOIN LATERAL ("
            + " SELECT a.delivery_id, d.alert_id, d.kind, a.attempt, a.finished_at, a.outcome, a.status_code, a.error"
            + " FROM deliveries d JOIN delivery_attempts a ON a.delivery_id = d.id"
            + " WHERE d.tenant = $1 AND d.channel = c.name AND d.attempts > 0"
            + " ORDER BY d.updated_at DESC, a.finished_at DESC LIMIT 1) l")
        .execute(Tuple.of(tenant).addArrayOfString(channels.toArray(new String[0])))
        .map(rows -> {
          List<LastAttempt> out = new ArrayList<>();
          for (Row r : rows) {
            out.add(new LastAttempt(r.getString("name"), r.getUUID("delivery_id"), r.getUUID("alert_id"),
                r.getString("kind"), r.getInteger("attempt"), r.getOffsetDateTime("finished_at").toInstant(),
                r.getString("outcome"), r.getInteger("status_code"), r.getString("error")));
          }
          return out;
        });
  }

  /** Deliveries still to be made, and when the oldest of them was created (null when none). */
  public record Backlog(long pending, Instant oldestCreatedAt) {}

  public record AlertCount(String severity, String status, long count) {}

  /** One delivery attempt: what it was for, when it ended and how. */
  public record LastAttempt(
      String channel, UUID deliveryId, UUID alertId, String kind, int attempt, Instant at, String outcome,
      Integer statusCode, String error) {}
}
