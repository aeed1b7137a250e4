package io.vigil.store;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * SQL for alerts and their delivery records. The alert stage decides; this class only
 * reads and writes. Methods that take a {@link SqlClient} run inside the caller's
 * transaction.
 */
public final class AlertStore {
  private static final String OPEN = "('active', 'acknowledged', 'suppressed')";
  private static final String ALERT_COLUMNS =
      "id, tenant, rule, key, fingerprint, severity, status, summary, tags, template, first_seen, last_seen,"
          + " occurrences, acknowledged_at, acknowledged_by, resolved_at, resolved_by, note, suppressed_reason,"
          + " silence_id, aseq, not_delivered";

  private final Pool pool;
  private final DeliveryLog deliveryLog;

  public AlertStore(Pool pool) {
    this.pool = pool;
    this.deliveryLog = new DeliveryLog(pool);
  }

  public Pool pool() {
    return pool;
  }

  /**
   * Adds an occurrence (and evidence while under the cap) to the open alert with this
   * fingerprint, or with {@code anyStatus} to the most recent alert whatever its status.
   * Returns whether an alert was found.
   */
  public Future<Boolean> addOccurrence(
      SqlClient tx, String fingerprint, Instant seen, String evidenceJson, int maxEvidence, boolean anyStatus,
      String reason) {
    String target =
        anyStatus
            ? "id = (SELECT id FROM alerts WHERE fingerprint = $1 ORDER BY aseq DESC LIMIT 1)"
            : "fingerprint = $1 AND status IN " + OPEN;
    return tx.preparedQuery(
            "UPDATE alerts SET occurrences = occurrences + 1, last_seen = GREATEST(last_seen, $2),"
                + " not_delivered = jsonb_set(not_delivered, ARRAY[$5::text],"
                + "   to_jsonb(COALESCE((not_delivered ->> $5)::int, 0) + 1)),"
                + " evidence = CASE WHEN jsonb_array_length(evidence) + jsonb_array_length($3::text::jsonb) <= $4"
                + " THEN evidence || $3::text::jsonb ELSE evidence END, updated_at = now() WHERE " + target
                + " RETURNING id")
        .execute(Tuple.of(fingerprint, utc(seen), evidenceJson, maxEvidence, reason))
        .map(rows -> rows.size() > 0);
  }

  /** Inserts a new active alert and one delivery row per channel; returns the alert id. */
  public Future<UUID> insert(SqlClient tx, NewAlert a, List<NewDelivery> deliveries) {
    UUID id = UUID.randomUUID();
    Tuple alert =
        Tuple.of(id, a.tenant(), a.rule(), a.key(), a.fingerprint(), a.severity())
            .addString(a.status())
            .addString(a.summary())
            .addArrayOfString(a.tags().toArray(new String[0]))
            .addString(a.template())
            .addString(a.evidenceJson())
            .addOffsetDateTime(utc(a.time()))
            .addLong(a.eventSeq() == 0 ? null : a.eventSeq())
            .addString(a.suppressedReason())
            .addLong(a.resolveAfter().toMillis())
            .addLong(a.repeat().toMillis())
            .addOffsetDateTime(utc(a.now()));
    return tx.preparedQuery(
            "INSERT INTO alerts (id, tenant, rule, key, fingerprint, severity, status, summary, tags, template,"
                + " evidence, first_seen, last_seen, occurrences, event_seq, suppressed_reason, resolve_after_ms,"
                + " repeat_ms, last_notified_at)"
                + " VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11::text::jsonb, $12, $12, 1, $13, $14, $15, $16,"
                + " $17)")
        .execute(alert)
        .compose(v -> deliveries.isEmpty() ? Future.<Void>succeededFuture()
            : insertDeliveries(tx, id, a.tenant(), "raised", deliveries, a.now()))
        .map(id);
  }

  /** One delivery row per entry, of the given kind (raised, acknowledged, resolved). */
  public Future<Void> insertDeliveries(
      SqlClient tx, UUID alertId, String tenant, String kind, List<NewDelivery> ds, Instant now) {
    int n = ds.size();
    UUID[] ids = new UUID[n];
    String[] channels = new String[n];
    String[] statuses = new String[n];
    String[] errors = new String[n];
    String[] reasons = new String[n];
    for (int i = 0; i < n; i++) {
      ids[i] = UUID.randomUUID();
      channels[i] = ds.get(i).channel();
      statuses[i] = ds.get(i).status();
      errors[i] = ds.get(i).error();
      reasons[i] = ds.get(i).reason();
    }
    return tx.preparedQuery(
            "INSERT INTO deliveries (id, alert_id, tenant, channel, kind, status, next_attempt_at, last_error, reason,"
                + " created_at, updated_at)"
                + " SELECT d, $1, $2, c, $3, s, $4, e, r, $4, $4"
                + " FROM unnest($5::uuid[], $6::text[], $7::text[], $8::text[], $9::text[]) AS u(d, c, s, e, r)")
        .execute(Tuple.of(alertId, tenant, kind, utc(now), ids, channels).addArrayOfString(statuses)
            .addArrayOfString(errors).addArrayOfString(reasons))
        .mapEmpty();
  }

  /**
   * The channels an alert was raised to, in the order they were written; not those that
   * were skipped on purpose (silenced, below their min_severity, rate limited): they never
   * had the raise to follow up.
   */
  public Future<List<String>> raisedChannels(SqlClient tx, UUID alertId) {
    return tx.preparedQuery("SELECT channel FROM deliveries WHERE alert_id = $1 AND kind = 'raised'"
            + " AND status <> 'skipped' ORDER BY created_at, channel")
        .execute(Tuple.of(alertId))
        .map(AlertStore::distinctChannels);
  }

  /** The channel names of rows whose first column is a channel, each once, in row order. */
  static List<String> distinctChannels(Iterable<Row> rows) {
    List<String> out = new ArrayList<>();
    rows.forEach(r -> {
      if (!out.contains(r.getString(0))) {
        out.add(r.getString(0));
      }
    });
    return out;
  }

  /** Advances a tenant's processed journal position; it never moves backwards. */
  public Future<Void> savePosition(SqlClient tx, String tenant, long seq) {
    return tx.preparedQuery(
            "INSERT INTO engine_positions (tenant, seq, updated_at) VALUES ($1, $2, now())"
                + " ON CONFLICT (tenant) DO UPDATE SET seq = GREATEST(engine_positions.seq, EXCLUDED.seq),"
                + " updated_at = now()")
        .execute(Tuple.of(tenant, seq))
        .mapEmpty();
  }

  /** One alert of a tenant with its evidence and delivery records, or empty. */
  public Future<Optional<JsonObject>> get(String tenant, UUID id) {
    return pool.preparedQuery("SELECT " + ALERT_COLUMNS + ", evidence::text FROM alerts WHERE tenant = $1 AND id = $2")
        .execute(Tuple.of(tenant, id))
        .compose(rows -> {
          if (rows.size() == 0) {
            return Future.succeededFuture(Optional.<JsonObject>empty());
          }
          Row r = rows.iterator().next();
          JsonObject alert = view(r);
          alert.put("evidence", new JsonArray(r.getString("evidence")));
          return withDeliveries(List.of(alert)).map(list -> Optional.of(list.get(0)));
        });
  }

  /** A page of a tenant's alerts, newest first; {@code beforeSeq} is the cursor. */
  public Future<Page> list(String tenant, AlertQuery q) {
    return pool.preparedQuery(
            "SELECT " + ALERT_COLUMNS + " FROM alerts WHERE tenant = $1"
                + " AND ($2::text IS NULL OR status = $2) AND ($3::text IS NULL OR rule = $3)"
                + " AND ($4::text IS NULL OR severity = $4) AND ($5::timestamptz IS NULL OR last_seen >= $5)"
                + " AND ($6::bigint IS NULL OR aseq < $6) ORDER BY aseq DESC LIMIT $7")
        .execute(
            Tuple.of(tenant, q.status(), q.rule(), q.severity(), q.since() == null ? null : utc(q.since()))
                .addLong(q.beforeSeq())
                .addInteger(q.limit() + 1))
        .compose(rows -> {
          List<JsonObject> items = new ArrayList<>();
          Long next = null;
          for (Row r : rows) {
            if (items.size() == q.limit()) {
              next = items.get(items.size() - 1).getLong("_aseq");
              break;
            }
            items.add(view(r));
          }
          Long cursor = next;
          return withDeliveries(items).map(list -> new Page(list, cursor));
        });
  }

  private Future<List<JsonObject>> withDeliveries(List<JsonObject> alerts) {
    if (alerts.isEmpty()) {
      return Future.succeededFuture(alerts);
    }
    UUID[] ids = alerts.stream().map(a -> UUID.fromString(a.getString("id"))).toArray(UUID[]::new);
    return deliveryLog.ofAlerts(ids).map(byAlert -> {
      for (JsonObject a : alerts) {
        a.remove("_aseq");
        a.put("deliveries", byAlert.getOrDefault(a.getString("id"), new JsonArray()));
      }
      return alerts;
    });
  }

  /**
   * Moves an alert of the tenant in one of {@code from} to {@code to}; returns its status
   * before, or empty when the alert does not exist for this tenant or is in no status of
   * {@code from}.
   */
  public Future<Optional<String>> transition(
      SqlClient tx, String tenant, UUID id, String to, List<String> from, Instant at, String by, String note) {
    String set = "acknowledged".equals(to)
        ? "acknowledged_at = COALESCE(acknowledged_at, $4), acknowledged_by = COALESCE(acknowledged_by, $5)"
        : "resolved_at = $4, resolved_by = $5";
    return tx.preparedQuery(
            "WITH prev AS (SELECT id, status FROM alerts WHERE tenant = $1 AND id = $2 FOR UPDATE)"
                + " UPDATE alerts a SET status = $3, " + set + ", note = COALESCE($6, note), updated_at = $4"
                + " FROM prev WHERE a.id = prev.id AND prev.status = ANY($7) RETURNING prev.status")
        .execute(Tuple.of(tenant, id, to, utc(at), by, note).addArrayOfString(from.toArray(new String[0])))
        .map(rows -> rows.size() == 0 ? Optional.<String>empty() : Optional.of(rows.iterator().next().getString(0)));
  }

  /** An alert the aging check acts on, with its rule's @resolve_after or @repeat. */
  public record Due(UUID id, String tenant, Duration after) {}

  /** Open alerts with no new raise for their resolve_after, oldest first. */
  public Future<List<Due>> dueToResolve(Instant now, int limit) {
    return due("SELECT id, tenant, resolve_after_ms FROM alerts WHERE status IN " + OPEN + " AND resolve_after_ms > 0"
        + " AND last_seen + resolve_after_ms * interval '1 millisecond' <= $1 ORDER BY last_seen LIMIT $2", now, limit);
  }

  /** Active (unacknowledged) alerts whose channels were last told longer ago than their repeat. */
  public Future<List<Due>> dueToRepeat(Instant now, int limit) {
    return due("SELECT id, tenant, repeat_ms FROM alerts WHERE status = 'active' AND repeat_ms > 0"
        + " AND last_notified_at + repeat_ms * interval '1 millisecond' <= $1 ORDER BY last_notified_at LIMIT $2",
        now, limit);
  }

  private Future<List<Due>> due(String sql, Instant now, int limit) {
    return pool.preparedQuery(sql).execute(Tuple.of(utc(now), limit)).map(rows -> {
      List<Due> out = new ArrayList<>();
      rows.forEach(r -> out.add(new Due(r.getUUID(0), r.getString(1), Duration.ofMillis(r.getLong(2)))));
      return out;
    });
  }

  /** Claims a repeat: true only for the one caller that moved last_notified_at while it was due. */
  public Future<Boolean> markNotified(SqlClient tx, UUID id, Instant now) {
    return tx.preparedQuery("UPDATE alerts SET last_notified_at = $2 WHERE id = $1 AND status = 'active'"
            + " AND last_notified_at + repeat_ms * interval '1 millisecond' <= $2")
        .execute(Tuple.of(id, utc(now)))
        .map(rows -> rows.rowCount() == 1);
  }

  /** The open alert with this fingerprint, if any. */
  public Future<Optional<UUID>> openAlertId(SqlClient tx, String fingerprint) {
    return tx.preparedQuery("SELECT id FROM alerts WHERE fingerprint = $1 AND status IN " + OPEN)
        .execute(Tuple.of(fingerprint))
        .map(rows -> rows.size() == 0 ? Optional.<UUID>empty() : Optional.of(rows.iterator().next().getUUID(0)));
  }

  /** The status of a tenant's alert, or empty if the tenant has no such alert. */
  public Future<Optional<String>> status(String tenant, UUID id) {
    return pool.preparedQuery("SELECT status FROM alerts WHERE tenant = $1 AND id = $2")
        .execute(Tuple.of(tenant, id))
        .map(rows -> rows.size() == 0 ? Optional.<String>empty() : Optional.of(rows.iterator().next().getString(0)));
  }

  private static JsonObject view(Row r) {
    JsonArray tags = new JsonArray();
    String[] t = r.getArrayOfStrings("tags");
    if (t != null) {
      for (String s : t) {
        tags.add(s);
      }
    }
    return new JsonObject()
        .put("id", r.getUUID("id").toString())
        .put("tenant", r.getString("tenant"))
        .put("rule", r.getString("rule"))
        .put("key", r.getString("key"))
        .put("fingerprint", r.getString("fingerprint"))
        .put("severity", r.getString("severity"))
        .put("status", r.getString("status"))
        .put("summary", r.getString("summary"))
        .put("tags", tags)
        .put("template", r.getString("template"))
        .put("first_seen", iso(r.getOffsetDateTime("first_seen")))
        .put("last_seen", iso(r.getOffsetDateTime("last_seen")))
        .put("occurrences", r.getInteger("occurrences"))
        .put("acknowledged_at", iso(r.getOffsetDateTime("acknowledged_at")))
        .put("acknowledged_by", r.getString("acknowledged_by"))
        .put("resolved_at", iso(r.getOffsetDateTime("resolved_at")))
        .put("resolved_by", r.getString("resolved_by"))
        .put("note", r.getString("note"))
        .put("suppressed_reason", r.getString("suppressed_reason"))
        .put("silence_id", r.getUUID("silence_id") == null ? null : r.getUUID("silence_id").toString())
        .put("not_delivered", notDelivered(r))
        .put("_aseq", r.getLong("aseq"));
  }

  /** Raises counted without a delivery, by reason; older rows (or queries without the column) have none. */
  private static JsonObject notDelivered(Row r) {
    if (r.getColumnIndex("not_delivered") < 0) {
      return new JsonObject();
    }
    Object v = r.getValue("not_delivered");
    return v instanceof JsonObject o ? o : new JsonObject();
  }

  static String iso(OffsetDateTime t) {
    return t == null ? null : t.toInstant().toString();
  }

  static OffsetDateTime utc(Instant t) {
    return t.atOffset(ZoneOffset.UTC);
  }

  /** A new alert row. {@code now} is when the row is written (deliveries become due then). */
  public record NewAlert(
      String tenant, String rule, String key, String fingerprint, String severity, String status,
      String summary, List<String> tags, String template, String evidenceJson, Instant time,
      long eventSeq, Instant now, String suppressedReason, Duration resolveAfter, Duration repeat) {}

  /**
   * One delivery row to create: {@code pending}; {@code failed} with an error at once; or
   * {@code skipped} with the reason it was not made (e.g. below_min_severity).
   */
  public record NewDelivery(String channel, String status, String error, String reason) {}

  public record AlertQuery(String status, String rule, String severity, Instant since, Long beforeSeq, int limit) {}

  public record Page(List<JsonObject> items, Long nextBeforeSeq) {}
}
