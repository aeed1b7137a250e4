package io.vigil.store;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/** API keys by the SHA-256 hash of their token; the token itself is never stored. */
public final class ApiKeyStore {
  private static final String COLUMNS = "id, tenant, scopes, name, created_at, created_by, revoked_at";

  private final Pool pool;

  public ApiKeyStore(Pool pool) {
    this.pool = pool;
  }

  /** The live (not revoked) key with this token hash. */
  public Future<Optional<KeyRecord>> findByHash(String tokenHash) {
    return pool.preparedQuery("SELECT " + COLUMNS + " FROM api_keys WHERE token_hash = $1 AND revoked_at IS NULL")
        .execute(Tuple.of(tokenHash))
        .map(rows -> rows.size() == 0 ? Optional.<KeyRecord>empty() : Optional.of(record(rows.iterator().next())));
  }

  public Future<KeyRecord> create(
      String id, String tenant, List<String> scopes, String tokenHash, String name, String createdBy, Instant at) {
    return pool.preparedQuery(
            "INSERT INTO api_keys (id, tenant, scopes, token_hash, name, created_at, created_by)"
                + " VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING " + COLUMNS)
        .execute(Tuple.of(id, tenant, scopes.toArray(new String[0]), tokenHash, name, AlertStore.utc(at))
            .addString(createdBy))
        .map(rows -> record(rows.iterator().next()));
  }

  /**
   * Makes the key with this id exist with exactly this hash and these scopes: the operator
   * key from {@code VIGIL_ADMIN_TOKEN} or the admin-token file. A changed token replaces the
   * old one, which then stops working.
   */
  public Future<Void> upsertBootstrap(String id, String tenant, List<String> scopes, String tokenHash) {
    return pool.preparedQuery(
            "INSERT INTO api_keys (id, tenant, scopes, token_hash, name, created_by) VALUES ($1, $2, $3, $4,"
                + " 'operator key', 'vigil') ON CONFLICT (id) DO UPDATE SET tenant = EXCLUDED.tenant,"
                + " scopes = EXCLUDED.scopes, token_hash = EXCLUDED.token_hash, revoked_at = NULL")
        .execute(Tuple.of(id, tenant, scopes.toArray(new String[0]), tokenHash))
        .mapEmpty();
  }

  /** Live keys of a tenant, or of every tenant when {@code tenant} is null. */
  public Future<List<KeyRecord>> list(String tenant) {
    return pool.preparedQuery("SELECT " + COLUMNS + " FROM api_keys WHERE revoked_at IS NULL"
            + " AND ($1::text IS NULL OR tenant = $1) ORDER BY created_at, id")
        .execute(Tuple.of(tenant))
        .map(rows -> {
          List<KeyRecord> out = new ArrayList<>();
          rows.forEach(r -> out.add(record(r)));
          return out;
        });
  }

  /**
   * Revokes a live key (of the tenant, unless {@code tenant} is null); returns the key's
   * tenant, or empty when there is no such key.
   */
  public Future<Optional<String>> revoke(String id, String tenant, Instant at) {
    return pool.preparedQuery("UPDATE api_keys SET revoked_at = $3 WHERE id = $1 AND revoked_at IS NULL"
            + " AND ($2::text IS NULL OR tenant = $2) RETURNING tenant")
        .execute(Tuple.of(id, tenant, AlertStore.utc(at)))
        .map(rows -> rows.size() == 0 ? Optional.<String>empty() : Optional.of(rows.iterator().next().getString(0)));
  }

  private static KeyRecord record(Row r) {
    return new KeyRecord(
        r.getString("id"), r.getString("tenant"), List.of(r.getArrayOfStrings("scopes")), r.getString("name"),
        r.getOffsetDateTime("created_at").toInstant(), r.getString("created_by"));
  }

  public record KeyRecord(String id, String tenant, List<String> scopes, String name, Instant createdAt, String createdBy) {}
}
