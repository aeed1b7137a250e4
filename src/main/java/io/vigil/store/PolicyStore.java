package io.vigil.store;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** JSON policies as their authors wrote them, per tenant. */
public final class PolicyStore {
  private static final String COLUMNS = "id, tenant, name, body::text, created_at, updated_at, created_by, updated_by";

  private final Pool pool;

  public PolicyStore(Pool pool) {
    this.pool = pool;
  }

  /** A tenant's policies, or every tenant's when {@code tenant} is null. */
  public Future<List<StoredPolicy>> list(String tenant) {
    return pool.preparedQuery("SELECT " + COLUMNS + " FROM policies WHERE ($1::text IS NULL OR tenant = $1)"
            + " ORDER BY tenant, name")
        .execute(Tuple.of(tenant))
        .map(rows -> {
          List<StoredPolicy> out = new ArrayList<>();
          rows.forEach(r -> out.add(of(r)));
          return out;
        });
  }

  public Future<Optional<StoredPolicy>> get(String tenant, String id) {
    return pool.preparedQuery("SELECT " + COLUMNS + " FROM policies WHERE tenant = $1 AND id = $2")
        .execute(Tuple.of(tenant, id))
        .map(rows -> rows.size() == 0 ? Optional.<StoredPolicy>empty() : Optional.of(of(rows.iterator().next())));
  }

  public Future<Boolean> nameTaken(String tenant, String name, String exceptId) {
    return pool.preparedQuery("SELECT 1 FROM policies WHERE tenant = $1 AND name = $2 AND id <> $3")
        .execute(Tuple.of(tenant, name, exceptId == null ? "" : exceptId))
        .map(rows -> rows.size() > 0);
  }

  /** Inserts or replaces the policy with this id. */
  public Future<Void> save(StoredPolicy p) {
    return pool.preparedQuery("INSERT INTO policies (id, tenant, name, body, created_at, updated_at, created_by,"
            + " updated_by) VALUES ($1, $2, $3, $4::text::jsonb, $5, $6, $7, $8) ON CONFLICT (id) DO UPDATE SET"
            + " name = EXCLUDED.name, body = EXCLUDED.body, updated_at = EXCLUDED.updated_at,"
            + " updated_by = EXCLUDED.updated_by")
        .execute(Tuple.of(p.id(), p.tenant(), p.name(), p.body().encode(), AlertStore.utc(p.createdAt()),
            AlertStore.utc(p.updatedAt())).addString(p.createdBy()).addString(p.updatedBy()))
        .mapEmpty();
  }

  public Future<Void> delete(String tenant, String id) {
    return pool.preparedQuery("DELETE FROM policies WHERE tenant = $1 AND id = $2")
        .execute(Tuple.of(tenant, id))
        .mapEmpty();
  }

  private static StoredPolicy of(Row r) {
    return new StoredPolicy(r.getString(0), r.getString(1), r.getString(2), new JsonObject(r.getString(3)),
        r.getOffsetDateTime(4).toInstant(), r.getOffsetDateTime(5).toInstant(), r.getString(6), r.getString(7));
  }

  public record StoredPolicy(
      String id, String tenant, String name, JsonObject body, Instant createdAt, Instant updatedAt,
      String createdBy, String updatedBy) {}
}
