package io.vigil.store;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * What was done to each alert, one row per act (acknowledged, resolved, and whatever else
 * changes an alert's status), with who did it and the note: the alert row keeps only the
 * latest of each, the timeline needs all of them. Appended inside the transaction that
 * changes the alert, so the two never disagree.
 */
public final class AlertEvents {
  private final Pool pool;

  public AlertEvents(Pool pool) {
    this.pool = pool;
  }

  /**
   * Appends one act. {@code keyId} is the API key that made the call (null for Vigil
   * itself); {@code who} the name given for the person, else the key id; {@code details}
   * any further fields the timeline should show (may be null).
   */
  public Future<Void> append(
      SqlClient tx, UUID alertId, String tenant, Instant at, String kind, String keyId, String who, String note,
      JsonObject details) {
    return tx.preparedQuery("INSERT INTO alert_events (alert_id, tenant, at, kind, key_id, who, note, details)"
            + " VALUES ($1, $2, $3, $4, $5, $6, $7, $8::text::jsonb)")
        .execute(Tuple.of(alertId, tenant, AlertStore.utc(at), kind, keyId, who, note)
            .addString(details == null ? null : details.encode()))
        .mapEmpty();
  }

  /** The acts on one alert, oldest first. */
  public Future<List<Act>> of(UUID alertId) {
    return pool.preparedQuery("SELECT at, kind, key_id, who, note, details::text FROM alert_events"
            + " WHERE alert_id = $1 ORDER BY at, id")
        .execute(Tuple.of(alertId))
        .map(rows -> {
          List<Act> out = new ArrayList<>();
          for (Row r : rows) {
            String d = r.getString("details");
            out.add(new Act(r.getOffsetDateTime("at").toInstant(), r.getString("kind"), r.getString("key_id"),
                r.getString("who"), r.getString("note"), d == null ? null : new JsonObject(d)));
          }
          return out;
        });
  }

  /** One act on an alert. */
  public record Act(Instant at, String kind, String keyId, String who, String note, JsonObject details) {}
}
