package io.vigil.store;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Channels tenants manage over the API. Each configuration (the channel's JSON, secrets
 * and all) is sealed by {@link SecretBox} before it reaches the database and opened only
 * when read back.
 */
public final class ChannelStore {
  private final Pool pool;
  private final SecretBox box;

  public ChannelStore(Pool pool, SecretBox box) {
    this.pool = pool;
    this.box = box;
  }

  /** Every tenant's channels, opened: what the registry loads at start. */
  public Future<List<StoredChannel>> all() {
    return pool.query("SELECT tenant, name, type, config, created_at, updated_at FROM channels ORDER BY tenant, name")
        .execute()
        .map(rows -> {
          List<StoredChannel> out = new ArrayList<>();
          for (Row r : rows) {
            JsonObject config;
            try {
              config = new JsonObject(box.open(r.getString("config")));
            } catch (RuntimeException e) {
              config = null; // sealed under another key: reported by the caller, not fatal here
            }
            out.add(new StoredChannel(r.getString("tenant"), r.getString("name"), r.getString("type"), config,
                r.getOffsetDateTime("created_at").toInstant(), r.getOffsetDateTime("updated_at").toInstant()));
          }
          return out;
        });
  }

  /** Inserts or replaces a tenant's channel. */
  public Future<Void> save(String tenant, String name, String type, JsonObject config, String by, Instant at) {
    return pool.preparedQuery("INSERT INTO channels (tenant, name, type, config, created_at, updated_at, created_by,"
            + " updated_by) VALUES ($1, $2, $3, $4, $5, $5, $6, $6) ON CONFLICT (tenant, name) DO UPDATE SET"
            + " type = EXCLUDED.type, config = EXCLUDED.config, updated_at = EXCLUDED.updated_at,"
            + " updated_by = EXCLUDED.updated_by")
        .execute(Tuple.of(tenant, name, type, box.seal(config.encode()), AlertStore.utc(at), by))
        .mapEmpty();
  }

  public Future<Boolean> delete(String tenant, String name) {
    return pool.preparedQuery("DELETE FROM channels WHERE tenant = $1 AND name = $2")
        .execute(Tuple.of(tenant, name))
        .map(rows -> rows.rowCount() > 0);
  }

  /** A stored channel: its configuration as written to the API, secrets included (null when it cannot be opened). */
  public record StoredChannel(String tenant, String name, String type, JsonObject config, Instant createdAt,
      Instant updatedAt) {}
}
