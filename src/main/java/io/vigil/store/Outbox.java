package io.vigil.store;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.time.OffsetDateTime;
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

  /**
   * Records attempts' outcomes ({@code delivered}, {@code failed}, or {@code pending} again
   * at their next attempt), releasing each row's lease and keeping each attempt, in one
   * statement: its parts (the rows' new state, the digests' held rows, the attempt history)
   * run in one snapshot and commit together, in one round trip and one commit whatever the
   * number. An outcome for an attempt that is no longer the row's current one (its lease
   * passed and another worker took it) changes nothing but history.
   */
  public Future<Void> recordAll(List<Outcome> outcomes) {
    if (outcomes.isEmpty()) {
      return Future.succeededFuture();
    }
    int n = outcomes.size();
    UUID[] ids = new UUID[n];
    Integer[] attempts = new Integer[n];
    String[] statuses = new String[n];
    String[] kinds = new String[n];
    Integer[] codes = new Integer[n];
    String[] errors = new String[n];
    OffsetDateTime[] next = new OffsetDateTime[n];
    OffsetDateTime[] started = new OffsetDateTime[n];
    OffsetDateTime[] finished = new OffsetDateTime[n];
    for (int i = 0; i < n; i++) {
      Outcome o = outcomes.get(i);
      ids[i] = o.id();
      attempts[i] = o.attempt();
      statuses[i] = o.status();
      kinds[i] = o.outcome();
      codes[i] = o.statusCode();
      errors[i] = o.error();
      next[i] = o.nextAttemptAt() == null ? null : AlertStore.utc(o.nextAttemptAt());
      started[i] = AlertStore.utc(o.startedAt());
      finished[i] = AlertStore.utc(o.finishedAt());
    }
    return pool.preparedQuery(
            "WITH o AS (SELECT * FROM unnest($1::uuid[], $2::int[], $3::text[], $4::text[], $5::int[], $6::text[],"
                + "   $7::timestamptz[], $8::timestamptz[], $9::timestamptz[])"
                + "   AS o(id, attempt, status, outcome, code, error, next_at, started_at, finished_at)),"
                + " applied AS (UPDATE deliveries d SET status = o.status, lease_until = NULL, last_error = o.error,"
                + "   last_status_code = o.code, next_attempt_at = COALESCE(o.next_at, d.next_attempt_at),"
                + "   updated_at = o.finished_at,"
                + "   delivered_at = CASE WHEN o.status = 'delivered' THEN o.finished_at ELSE d.delivered_at END"
                + "   FROM o WHERE d.id = o.id AND d.attempts = o.attempt"
                + "   RETURNING d.id, o.status, o.error, o.finished_at),"
                // A digest's outcome is also that of the alerts' deliveries it carried (held, reason
                // digest_pending); no other delivery carries any.
                + " settled AS (UPDATE deliveries h SET status = c.status, reason = 'digest', updated_at = c.finished_at,"
                + "   delivered_at = CASE WHEN c.status = 'delivered' THEN c.finished_at ELSE h.delivered_at END,"
                + "   last_error = CASE WHEN c.status = 'failed' THEN 'digest ' || c.id || ' failed: ' || c.error END"
                + "   FROM applied c WHERE h.digest_id = c.id AND h.status = 'held'"
                + "   AND c.status IN ('delivered', 'failed')),"
                + " history AS (INSERT INTO delivery_attempts (delivery_id, attempt, started_at, finished_at, outcome,"
                + "   status_code, error) SELECT id, attempt, started_at, finished_at, outcome, code, error FROM o"
                + "   ON CONFLICT DO NOTHING)"
                + " SELECT count(*) FROM applied")
        .execute(Tuple.of(ids, attempts, statuses, kinds).addArrayOfInteger(codes).addArrayOfString(errors)
            .addArrayOfOffsetDateTime(next).addArrayOfOffsetDateTime(started).addArrayOfOffsetDateTime(finished))
        .mapEmpty();
  }

  /** An attempt's outcome, as {@link #recordAll} writes it. */
  public record Outcome(UUID id, int attempt, Instant startedAt, Instant finishedAt, String status, String outcome,
      Integer statusCode, String error, Instant nextAttemptAt) {}

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
