package io.vigil.store;

import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * SQL for digests: the deliveries held for digest channels ({@code status = 'held'}, no
 * {@code digest_id} yet) and tying them to the digest delivery that carries them. Every
 * method runs in the caller's transaction.
 */
public final class DigestStore {
  private DigestStore() {}

  /** Each (tenant, channel) with held deliveries not yet in a digest, and when the first was held. */
  public static Future<List<Waiting>> waiting(SqlClient tx) {
    return tx.query("SELECT tenant, channel, min(created_at) AS first FROM deliveries"
            + " WHERE status = 'held' AND digest_id IS NULL GROUP BY tenant, channel ORDER BY first")
        .execute()
        .map(rows -> {
          List<Waiting> out = new ArrayList<>();
          for (Row r : rows) {
            out.add(new Waiting(r.getString("tenant"), r.getString("channel"), r.getOffsetDateTime("first").toInstant()));
          }
          return out;
        });
  }

  /** A channel's held deliveries not yet in a digest, oldest first, locked until the transaction ends. */
  public static Future<List<Held>> held(SqlClient tx, String tenant, String channel) {
    return tx.preparedQuery("SELECT id, alert_id, created_at FROM deliveries"
            + " WHERE tenant = $1 AND channel = $2 AND status = 'held' AND digest_id IS NULL"
            + " ORDER BY created_at, id FOR UPDATE")
        .execute(Tuple.of(tenant, channel))
        .map(rows -> {
          List<Held> out = new ArrayList<>();
          for (Row r : rows) {
            out.add(new Held(r.getUUID("id"), r.getUUID("alert_id"), r.getOffsetDateTime("created_at").toInstant()));
          }
          return out;
        });
  }

  /** Ties held deliveries to the digest that carries them. */
  public static Future<Void> attach(SqlClient tx, UUID digestId, List<UUID> deliveryIds, Instant now) {
    return tx.preparedQuery("UPDATE deliveries SET digest_id = $1, updated_at = $2 WHERE id = ANY($3)")
        .execute(Tuple.of(digestId, AlertStore.utc(now), deliveryIds.toArray(new UUID[0])))
        .mapEmpty();
  }

  public record Waiting(String tenant, String channel, Instant firstHeld) {}

  public record Held(UUID id, UUID alertId, Instant heldAt) {}
}
