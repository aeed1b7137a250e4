package io.vigil.store;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The audit table: every administrative change with who made it, when, to what, the hash of
 * the content it installed, and whether it succeeded. Writing an entry never fails the
 * change it records; a failure to write is logged.
 */
public final class AuditLog {
  private static final Logger log = LoggerFactory.getLogger(AuditLog.class);

  private final Pool pool;

  public AuditLog(Pool pool) {
    this.pool = pool;
  }

  public Future<Void> record(Entry e) {
    return pool.preparedQuery("INSERT INTO audit_log (at, actor, tenant, action, target, content_hash, result, details)"
            + " VALUES ($1, $2, $3, $4, $5, $6, $7, $8::text::jsonb)")
        .execute(Tuple.of(AlertStore.utc(e.at()), e.actor(), e.tenant(), e.action(), e.target(), e.contentHash())
            .addString(e.result())
            .addString(e.details() == null ? null : e.details().encode()))
        .<Void>mapEmpty()
        .onFailure(x -> log.warn("audit entry not written action={} target={} error={}", e.action(), e.target(),
            x.toString()));
  }

  /**
   * Entries newest first. {@code tenant} null means every tenant and the global entries
   * (rule files, templates); {@code action} matches exactly or as a prefix of dotted names
   * ({@code rules} finds {@code rules.file.put}); {@code beforeId} is the cursor.
   */
  public Future<List<JsonObject>> list(String tenant, String action, Instant since, Long beforeId, int limit) {
    return pool.preparedQuery("SELECT a.id, a.at, a.actor, k.name, a.tenant, a.action, a.target, a.content_hash,"
            + " a.result, a.details::text FROM audit_log a LEFT JOIN api_keys k ON k.id = a.actor"
            + " WHERE ($1::text IS NULL OR a.tenant = $1)"
            + " AND ($2::text IS NULL OR a.action = $2 OR left(a.action, length($2) + 1) = $2 || '.')"
            + " AND ($3::timestamptz IS NULL OR a.at >= $3) AND ($4::bigint IS NULL OR a.id < $4)"
            + " ORDER BY a.id DESC LIMIT $5")
        .execute(Tuple.of(tenant, action, since == null ? null : AlertStore.utc(since), beforeId, limit))
        .map(rows -> {
          List<JsonObject> out = new ArrayList<>();
          for (Row r : rows) {
            String details = r.getString("details");
            out.add(new JsonObject()
                .put("id", r.getLong("id"))
                .put("at", AlertStore.iso(r.getOffsetDateTime("at")))
                .put("actor", new JsonObject().put("key_id", r.getString("actor")).put("name", r.getString("name")))
                .put("tenant", r.getString("tenant"))
                .put("action", r.getString("action"))
                .put("target", r.getString("target"))
                .put("content_hash", r.getString("content_hash"))
                .put("result", r.getString("result"))
                .put("details", details == null ? null : new JsonObject(details)));
          }
          return out;
        });
  }

  public static String sha256(String content) {
    if (content == null) {
      return null;
    }
    try {
      return HexFormat.of().formatHex(
          MessageDigest.getInstance("SHA-256").digest(content.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** One audit entry; {@code result} is {@code ok} or a short failure code. */
  public record Entry(
      Instant at, String actor, String tenant, String action, String target, String contentHash, String result,
      JsonObject details) {}
}
