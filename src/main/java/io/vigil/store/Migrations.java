package io.vigil.store;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlConnection;
import io.vertx.sqlclient.Tuple;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the SQL files under {@code resources/db/} in order, each once, each in its own
 * transaction, under an advisory lock so two starting processes never migrate at once.
 * Files are append-only: a shipped migration is never edited, a change is a new file.
 */
final class Migrations {
  private static final Logger log = LoggerFactory.getLogger(Migrations.class);
  private static final List<String> FILES = List.of("V001__schema.sql", "V002__rule_authoring.sql", "V003__channels.sql",
      "V004__silences.sql",
      "V005__operations.sql",
      "V006__retention.sql",
      "V007__digests.sql",
      "V008__alert_aging.sql",
      "V009__batch_retention.sql");
  private static final long LOCK_KEY = 0x5649_4749_4cL; // "VIGIL"

  private Migrations() {}

  static Future<Void> apply(Pool pool) {
    return pool.withTransaction(
        conn ->
            conn.query("SET LOCAL client_min_messages = warning")
                .execute()
                .compose(v -> conn.query("SELECT pg_advisory_xact_lock(" + LOCK_KEY + ")").execute())
                .compose(v -> conn.query(
                        "CREATE TABLE IF NOT EXISTS schema_migrations ("
                            + "version int PRIMARY KEY, name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())")
                    .execute())
                .compose(v -> conn.query("SELECT version FROM schema_migrations").execute())
                .compose(
                    rows -> {
                      java.util.Set<Integer> applied = new java.util.HashSet<>();
                      rows.forEach(r -> applied.add(r.getInteger(0)));
                      Future<Void> chain = Future.succeededFuture();
                      for (String file : FILES) {
                        int version = Integer.parseInt(file.substring(1, file.indexOf("__")));
                        if (!applied.contains(version)) {
                          chain = chain.compose(x -> run(conn, version, file));
                        }
                      }
                      return chain;
                    }));
  }

  private static Future<Void> run(SqlConnection conn, int version, String file) {
    String sql = read("db/" + file);
    return conn.query(sql)
        .execute()
        .compose(v -> conn.preparedQuery("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)")
            .execute(Tuple.of(version, file)))
        .onSuccess(v -> log.info("database migration applied: {}", file))
        .mapEmpty();
  }

  private static String read(String resource) {
    try (InputStream in = Migrations.class.getClassLoader().getResourceAsStream(resource)) {
      if (in == null) {
        throw new IllegalStateException("missing migration " + resource);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
