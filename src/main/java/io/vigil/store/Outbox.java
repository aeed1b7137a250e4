package io.vigil.store;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The delivery outbox: rows in {@code deliveries}, claimed with {@code FOR UPDATE SKIP
 * LOCKED} and a lease so two workers never hold the same row, and a row whose worker died
 * becomes due again when its lease passes. The attempt count is incremented at claim time,
 * so a crash mid-attempt still counts the attempt and the backoff schedule survives it.
 */
public final class Outbox {
  private final Pool pool;

  public Outbox(Pool pool) {
    this.pool = pool;
  }

  /** Claims up to {@code limit} due deliveries with their alerts, leased until {@code leaseUntil}. */
  public Future<List<Claimed>> claim(Instant now, Instant leaseUntil, int limit) {
    return pool.preparedQuery(
            "UPDATE deliveries d SET attempts = d.attempts + 1, lease_until = $2, updated_at = $1"
                + " FROM (SELECT id FROM deliveries WHERE status = 'pending' AND next_attempt_at <= $1"
                + "   AND (lease_until IS NULL OR lease_until <= $1) ORDER BY next_attempt_at LIMIT $3"
                + "   FOR UPDATE SKIP LOCKED) c, alerts a"
                + " WHERE d.id = c.id AND a.id = d.alert_id"
                + " RETURNING d.id, d.alert_id, d.tenant, d.channel, d.kind, d.attempts,"
                + "   a.rule, a.key, a.fingerprint, a.severity, a.status, a.summary, a.tags, a.template,"
                + "   a.first_seen, a.last_seen, a.occurrences, a.evidence::text")
        .execute(Tuple.of(AlertStore.utc(now), AlertStore.utc(leaseUntil), limit))
        .map(rows -> {
          List<Claimed> out = new ArrayList<>();
          for (Row r : rows) {
            out.add(new Claimed(
                r.getUUID("id"), r.getString("tenant"), r.getString("channel"), r.getString("kind"),
                r.getInteger("attempts"), r.getString("template"), alertView(r)));
          }
          return out;
        });
  }

  private static JsonObject alertView(Row r) {
    JsonArray tags = new JsonArray();
    String[] t = r.getArrayOfStrings("tags");
    if (t != null) {
      for (String s : t) {
        tags.add(s);
      }
    }
    return new JsonObject()
        .put("id", r.getUUID("alert_id").toString())
        .put("tenant", r.getString("tenant"))
        .put("rule", r.getString("rule"))
        .put("key", r.getString("key"))
        .put("fingerprint", r.getString("fingerprint"))
        .put("severity", r.getString("severity"))
        .put("status", r.getString("status"))
        .put("summary", r.getString("summary"))
        .put("tags", tags)
        .put("first_seen", AlertStore.iso(r.getOffsetDateTime("first_seen")))
        .put("last_seen", AlertStore.iso(r.getOffsetDateTime("last_seen")))
        .put("occurrences", r.getInteger("occurrences"))
        .put("evidence", new JsonArray(r.getString("evidence")));
  }

  /** Records an attempt's outcome: {@code delivered}, {@code failed}, or {@code pending} again at {@code nextAttemptAt}. */
  public Future<Void> record(
      UUID id, int attempt, Instant startedAt, Instant finishedAt, String status, String outcome,
      Integer statusCode, String error, Instant nextAttemptAt) {
    return pool.withTransaction(tx -> tx.preparedQuery(
                "UPDATE deliveries SET status = $2, lease_until = NULL, last_error = $3, last_status_code = $4,"
                    + " next_attempt_at = COALESCE($5, next_attempt_at), updated_at = $6,"
                    + " delivered_at = CASE WHEN $2 = 'delivered' THEN $6 ELSE delivered_at END"
                    + " WHERE id = $1 AND attempts = $7")
            .execute(Tuple.of(id, status, error, statusCode,
                    nextAttemptAt == null ? null : AlertStore.utc(nextAttemptAt), AlertStore.utc(finishedAt))
                .addInteger(attempt))
            .compose(v -> tx.preparedQuery(
                    "INSERT INTO delivery_attempts (delivery_id, attempt, started_at, finished_at, outcome,"
                        + " status_code, error) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING")
                .execute(Tuple.of(id, attempt, AlertStore.utc(startedAt), AlertStore.utc(finishedAt), outcome,
                    statusCode).addString(error))))
        .mapEmpty();
  }

  /**
   * Puts a claimed delivery back, due at {@code at}, without counting the attempt: the
   * channel was over its rate and nothing was sent.
   */
  public Future<Void> defer(UUID id, int attempt, Instant at) {
    return pool.preparedQuery("UPDATE deliveries SET attempts = attempts - 1, lease_until = NULL,"
            + " next_attempt_at = $2 WHERE id = $1 AND attempts = $3")
        .execute(Tuple.of(id, AlertStore.utc(at), attempt))
        .mapEmpty();
  }

  /** Deliveries still to be made (pending), for status and tests. */
  public Future<Long> pendingCount() {
    return pool.query("SELECT count(*) FROM deliveries WHERE status = 'pending'")
        .execute()
        .map(rows -> rows.iterator().next().getLong(0));
  }

  /**
   * A claimed delivery with what rendering needs: the alert as the documented view model
   * (id, rule, key, fingerprint, severity, status, summary, tags, first_seen, last_seen,
   * occurrences, evidence).
   */
  public record Claimed(UUID id, String tenant, String channel, String kind, int attempt, String template, JsonObject alert) {}
}
