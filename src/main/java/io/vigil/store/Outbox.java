package io.vigil.store;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.SqlClient;
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

  /**
   * Claims up to {@code limit} due deliveries, leased until {@code leaseUntil}, each with its
   * alert; a digest or notice (no single alert) comes with an empty alert and its payload.
   */
  public Future<List<Claimed>> claim(Instant now, Instant leaseUntil, int limit) {
    return claim(now, leaseUntil, limit, List.of());
  }

  /**
   * The same, leaving out the channels in {@code skip} (tenant and channel name pairs): the
   * worker names those that have every attempt they may have, so their rows stay due in
   * order instead of being claimed only to be put back.
   */
  public Future<List<Claimed>> claim(Instant now, Instant leaseUntil, int limit, List<Slot> skip) {
    String[] tenants = skip.stream().map(Slot::tenant).toArray(String[]::new);
    String[] names = skip.stream().map(Slot::channel).toArray(String[]::new);
    return pool.preparedQuery(
            "WITH claimed AS (UPDATE deliveries d SET attempts = d.attempts + 1, lease_until = $2, updated_at = $1"
                + " FROM (SELECT id FROM deliveries WHERE status = 'pending' AND next_attempt_at <= $1"
                + "   AND (lease_until IS NULL OR lease_until <= $1)"
                + "   AND NOT EXISTS (SELECT 1 FROM unnest($4::text[], $5::text[]) AS f(t, c)"
                + "     WHERE f.t = deliveries.tenant AND f.c = deliveries.channel)"
                + "   ORDER BY next_attempt_at LIMIT $3"
                + "   FOR UPDATE SKIP LOCKED) c"
                + " WHERE d.id = c.id"
                + " RETURNING d.id, d.alert_id, d.tenant, d.channel, d.kind, d.attempts, d.payload)"
                + " SELECT claimed.id, claimed.alert_id, claimed.tenant, claimed.channel, claimed.kind, claimed.attempts,"
                + "   claimed.payload::text AS payload,"
                + "   a.rule, a.key, a.fingerprint, a.severity, a.status, a.summary, a.tags, a.template,"
                + "   a.first_seen, a.last_seen, a.occurrences, a.evidence::text"
                + " FROM claimed LEFT JOIN alerts a ON a.id = claimed.alert_id")
        .execute(Tuple.of(AlertStore.utc(now), AlertStore.utc(leaseUntil), limit).addArrayOfString(tenants)
            .addArrayOfString(names))
        .map(rows -> {
          List<Claimed> out = new ArrayList<>();
          for (Row r : rows) {
            String payload = r.getString("payload");
            out.add(new Claimed(
                r.getUUID("id"), r.getString("tenant"), r.getString("channel"), r.getString("kind"),
                r.getInteger("attempts"), r.getString("template"),
                r.getUUID("alert_id") == null ? new JsonObject() : alertView(r),
                payload == null ? null : new JsonObject(payload)));
          }
          return out;
        });
  }

  /**
   * The alerts a digest delivery carries, in the order they were held, at most {@code
   * limit}: the same view a claimed alert has.
   */
  public Future<List<JsonObject>> digestAlerts(UUID digestId, int limit) {
    return pool.preparedQuery(
            "SELECT h.alert_id, a.tenant, a.rule, a.key, a.fingerprint, a.severity, a.status, a.summary, a.tags,"
                + " a.first_seen, a.last_seen, a.occurrences, a.evidence::text"
                + " FROM deliveries h JOIN alerts a ON a.id = h.alert_id WHERE h.digest_id = $1"
                + " ORDER BY h.created_at, a.aseq LIMIT $2")
        .execute(Tuple.of(digestId, limit))
        .map(rows -> {
          List<JsonObject> out = new ArrayList<>();
          rows.forEach(r -> out.add(alertView(r)));
          return out;
        });
  }

  /**
   * Queues a delivery about no single alert (a {@code digest} or a {@code notice}), due now,
   * in the caller's transaction.
   */
  public static Future<Void> enqueue(
      SqlClient tx, UUID id, String tenant, String channel, String kind, JsonObject payload, Instant now) {
    return tx.preparedQuery(
            "INSERT INTO deliveries (id, alert_id, tenant, channel, kind, status, next_attempt_at, payload, created_at,"
                + " updated_at) VALUES ($1, NULL, $2, $3, $4, 'pending', $5, $6::text::jsonb, $5, $5)")
        .execute(Tuple.of(id, tenant, channel, kind, AlertStore.utc(now), payload.encode()))
        .mapEmpty();
  }

  /** A tenant's channel, as the worker counts its attempts. */
  public record Slot(String tenant, String channel) {}

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
    return recordAll(List.of(
        new Outcome(id, attempt, startedAt, finishedAt, status, outcome, statusCode, error, nextAttemptAt)));
  }

  /**
   * Records many attempts' outcomes in one transaction, each exactly as {@link #record} does:
   * the statements go out as pipelined batches, so the cost is a few round trips and one
   * commit whatever the number. An outcome for an attempt that is no longer the row's
   * current one (its lease passed and another worker took it) changes nothing but history.
   */
  public Future<Void> recordAll(List<Outcome> outcomes) {
    if (outcomes.isEmpty()) {
      return Future.succeededFuture();
    }
    List<Tuple> updates = new ArrayList<>();
    List<Tuple> attempts = new ArrayList<>();
    for (Outcome o : outcomes) {
      updates.add(Tuple.of(o.id(), o.status(), o.error(), o.statusCode(),
              o.nextAttemptAt() == null ? null : AlertStore.utc(o.nextAttemptAt()), AlertStore.utc(o.finishedAt()))
          .addInteger(o.attempt()));
      attempts.add(Tuple.of(o.id(), o.attempt(), AlertStore.utc(o.startedAt()), AlertStore.utc(o.finishedAt()),
          o.outcome(), o.statusCode()).addString(o.error()));
    }
    return pool.withTransaction(tx -> tx.preparedQuery(
                "UPDATE deliveries SET status = $2, lease_until = NULL, last_error = $3, last_status_code = $4,"
                    + " next_attempt_at = COALESCE($5, next_attempt_at), updated_at = $6,"
                    + " delivered_at = CASE WHEN $2 = 'delivered' THEN $6 ELSE delivered_at END"
                    + " WHERE id = $1 AND attempts = $7")
            .executeBatch(updates)
            .compose(updated -> {
              List<Tuple> settled = new ArrayList<>();
              RowSet<Row> result = updated;
              for (Outcome o : outcomes) {
                if (result.rowCount() == 1 && ("delivered".equals(o.status()) || "failed".equals(o.status()))) {
                  settled.add(Tuple.of(o.id(), o.status(), AlertStore.utc(o.finishedAt()),
                      "digest " + o.id() + " failed: " + o.error()));
                }
                result = result.next();
              }
              return settled.isEmpty() ? Future.succeededFuture() : settleHeld(tx, settled);
            })
            .compose(v -> tx.preparedQuery(
                    "INSERT INTO delivery_attempts (delivery_id, attempt, started_at, finished_at, outcome,"
                        + " status_code, error) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT DO NOTHING")
                .executeBatch(attempts)))
        .mapEmpty();
  }

  /** An attempt's outcome, as {@link #recordAll} writes it. */
  public record Outcome(UUID id, int attempt, Instant startedAt, Instant finishedAt, String status, String outcome,
      Integer statusCode, String error, Instant nextAttemptAt) {}

  /**
   * Digests have their outcome: the alerts' deliveries each carried (held, reason {@code
   * digest_pending}) take it, with reason {@code digest}. Nothing for other deliveries, which
   * carry none; each tuple is (digest id, status, at, error if it failed).
   */
  private static Future<Void> settleHeld(SqlClient tx, List<Tuple> digests) {
    return tx.preparedQuery(
            "UPDATE deliveries SET status = $2, reason = 'digest', updated_at = $3,"
                + " delivered_at = CASE WHEN $2 = 'delivered' THEN $3 ELSE delivered_at END,"
                + " last_error = CASE WHEN $2 = 'failed' THEN $4 END"
                + " WHERE digest_id = $1 AND status = 'held'")
        .executeBatch(digests)
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
   * occurrences, evidence); for a {@code digest} or {@code notice} an empty alert and the
   * payload that says what it covers.
   */
  public record Claimed(UUID id, String tenant, String channel, String kind, int attempt, String template, JsonObject alert,
      JsonObject payload) {
    public Claimed(UUID id, String tenant, String channel, String kind, int attempt, String template, JsonObject alert) {
      this(id, tenant, channel, kind, attempt, template, alert, null);
    }
  }
}
