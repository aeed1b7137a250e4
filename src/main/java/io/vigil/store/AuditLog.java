package io.vigil.store;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
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
