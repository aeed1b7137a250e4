package io.vigil.store;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/** What was sent, tried and kept back: deliveries with every attempt, for the API. */
public final class DeliveryLog {
  private final Pool pool;

  public DeliveryLog(Pool pool) {
    this.pool = pool;
  }

  private static final String COLUMNS = "id, alert_id, channel, kind, status, reason, attempts, last_error,"
      + " last_status_code, next_attempt_at, created_at, updated_at, delivered_at, digest_id, payload::text AS payload";

  /** A tenant's deliveries, newest first, with their attempts; filters may be null. */
  public Future<List<JsonObject>> list(String tenant, UUID alert, String channel, String status, Instant since,
      int limit) {
    return list(tenant, alert, channel, status, null, since, limit);
  }

  /** The same, also filtered by kind (raised, acknowledged, resolved, digest, notice) unless null. */
  public Future<List<JsonObject>> list(String tenant, UUID alert, String channel, String status, String kind,
      Instant since, int limit) {
    return pool.preparedQuery("SELECT " + COLUMNS + " FROM deliveries WHERE tenant = $1"
            + " AND ($2::uuid IS NULL OR alert_id = $2) AND ($3::text IS NULL OR channel = $3)"
            + " AND ($4::text IS NULL OR status = $4) AND ($5::timestamptz IS NULL OR created_at >= $5)"
            + " AND ($7::text IS NULL OR kind = $7)"
            + " ORDER BY created_at DESC, id LIMIT $6")
        .execute(Tuple.of(tenant, alert, channel, status, since == null ? null : AlertStore.utc(since), limit)
            .addString(kind))
        .compose(this::withHistory);
  }

  /** The deliveries of each alert (by alert id), oldest first, with their attempts. */
  public Future<Map<String, JsonArray>> ofAlerts(UUID[] alertIds) {
    return pool.preparedQuery("SELECT " + COLUMNS + " FROM deliveries WHERE alert_id = ANY($1)"
            + " ORDER BY created_at, channel")
        .execute(Tuple.of(alertIds))
        .compose(this::withHistory)
        .map(list -> {
          Map<String, JsonArray> byAlert = new HashMap<>();
          list.forEach(d -> byAlert.computeIfAbsent(d.getString("alert_id"), k -> new JsonArray()).add(d));
          return byAlert;
        });
  }

  private Future<List<JsonObject>> withHistory(Iterable<Row> rows) {
    List<JsonObject> out = new ArrayList<>();
    List<UUID> ids = new ArrayList<>();
    for (Row r : rows) {
      ids.add(r.getUUID("id"));
      UUID alertId = r.getUUID("alert_id");
      UUID digestId = r.getUUID("digest_id");
      String payload = r.getString("payload");
      out.add(new JsonObject()
          .put("id", r.getUUID("id").toString())
          // A digest or a notice is about several alerts: no alert_id, a payload saying what it covers.
          .put("alert_id", alertId == null ? null : alertId.toString())
          .put("channel", r.getString("channel"))
          .put("kind", r.getString("kind"))
          .put("status", r.getString("status"))
          .put("reason", r.getString("reason"))
          .put("attempts", r.getInteger("attempts"))
          .put("last_error", r.getString("last_error"))
          .put("last_status_code", r.getInteger("last_status_code"))
          .put("next_attempt_at", "pending".equals(r.getString("status"))
              ? AlertStore.iso(r.getOffsetDateTime("next_attempt_at")) : null)
          .put("created_at", AlertStore.iso(r.getOffsetDateTime("created_at")))
          .put("updated_at", AlertStore.iso(r.getOffsetDateTime("updated_at")))
          .put("delivered_at", AlertStore.iso(r.getOffsetDateTime("delivered_at")))
          .put("digest_id", digestId == null ? null : digestId.toString())
          .put("payload", payload == null ? null : new JsonObject(payload)));
    }
    return attempts(ids).map(byDelivery -> {
      out.forEach(d -> d.put("history", byDelivery.getOrDefault(d.getString("id"), new JsonArray())));
      return out;
    });
  }

  private Future<Map<String, JsonArray>> attempts(List<UUID> ids) {
    if (ids.isEmpty()) {
      return Future.succeededFuture(Map.of());
    }
    return pool.preparedQuery("SELECT delivery_id, attempt, started_at, finished_at, outcome, status_code, error"
            + " FROM delivery_attempts WHERE delivery_id = ANY($1) ORDER BY delivery_id, attempt")
        .execute(Tuple.of(ids.toArray(new UUID[0])))
        .map(rows -> {
          Map<String, JsonArray> out = new HashMap<>();
          for (Row r : rows) {
            out.computeIfAbsent(r.getUUID("delivery_id").toString(), k -> new JsonArray()).add(new JsonObject()
                .put("attempt", r.getInteger("attempt"))
                .put("started_at", AlertStore.iso(r.getOffsetDateTime("started_at")))
                .put("finished_at", AlertStore.iso(r.getOffsetDateTime("finished_at")))
                .put("outcome", r.getString("outcome"))
                .put("status_code", r.getInteger("status_code"))
                .put("error", r.getString("error")));
          }
          return out;
        });
  }
}
