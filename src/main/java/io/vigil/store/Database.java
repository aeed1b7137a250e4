package io.vigil.store;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.net.NetClientOptions;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vigil.config.VigilConfig;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PostgreSQL Vigil stores everything in: the embedded one in the data directory when
 * no {@code db.url} is configured, else the external one. Migrations run once here, before
 * anything listens, and startup refuses a server whose commits are not synchronous (a
 * {@code 202} must mean the event survives a crash).
 */
public final class Database {
  private static final Logger log = LoggerFactory.getLogger(Database.class);

  private final Vertx vertx;
  private final Pool pool;
  private final EmbeddedPostgresServer embedded;
  private final String description;

  private Database(Vertx vertx, Pool pool, EmbeddedPostgresServer embedded, String description) {
    this.vertx = vertx;
    this.pool = pool;
    this.embedded = embedded;
    this.description = description;
  }

  public static Future<Database> start(Vertx vertx, VigilConfig config) {
    VigilConfig.DbConfig db = config.db();
    Future<Database> opened;
    if (db.url().isPresent()) {
      PgConnectOptions options = PgConnectOptions.fromUri(normalize(db.url().get().reveal()));
      String where = "postgresql://" + options.getHost() + ":" + options.getPort() + "/" + options.getDatabase();
      opened = Future.succeededFuture(new Database(vertx, pool(vertx, options, db), null, "external PostgreSQL at " + where));
    } else {
      opened =
          vertx
              .executeBlocking(() -> EmbeddedPostgresServer.start(config.dataDir(), db.embeddedPort()), false)
              .map(
                  pg -> {
                    PgConnectOptions options =
                        new PgConnectOptions()
                            .setHost("127.0.0.1")
                            .setPort(pg.port())
                            .setUser(EmbeddedPostgresServer.USER)
                            .setPassword(pg.password())
                            .setDatabase(EmbeddedPostgresServer.DATABASE);
                    return new Database(
                        vertx, pool(vertx, options, db), pg,
                        "embedded PostgreSQL in " + pg.directory().toAbsolutePath().normalize());
                  });
    }
    return opened.compose(
        d ->
            d.checkDurability()
                .compose(v -> Migrations.apply(d.pool))
                .map(d)
                .recover(e -> d.stop().transform(x -> Future.failedFuture(e))));
  }

  private static String normalize(String url) {
    // Vert.x understands postgresql://; accept the common postgres:// spelling too.
    return url.startsWith("postgres://") ? "postgresql://" + url.substring("postgres://".length()) : url;
  }

  private static Pool pool(Vertx vertx, PgConnectOptions options, VigilConfig.DbConfig db) {
    int timeoutMs = (int) db.connectTimeout().toMillis();
    options.setPipeliningLimit(256).setCachePreparedStatements(true);
    PoolOptions poolOptions =
        new PoolOptions()
            .setMaxSize(db.poolSize())
            // A bounded wait: when the database is slow or gone, callers fail fast (503) instead of queueing.
            .setMaxWaitQueueSize(db.maxWaitQueue())
            .setConnectionTimeout(timeoutMs)
            .setConnectionTimeoutUnit(TimeUnit.MILLISECONDS)
            .setName("vigil-db")
            .setShared(false);
    return PgBuilder.pool()
        .with(poolOptions)
        .with(new NetClientOptions().setConnectTimeout(timeoutMs).setTcpKeepAlive(true))
        .connectingTo(options)
        .using(vertx)
        .build();
  }

  private Future<Void> checkDurability() {
    return pool.query("SHOW synchronous_commit")
        .execute()
        .compose(
            rows -> {
              String value = rows.iterator().next().getString(0);
              if (!"on".equals(value) && !"remote_apply".equals(value) && !"remote_write".equals(value)) {
                return Future.failedFuture(
                    new IllegalStateException(
                        "PostgreSQL synchronous_commit is '" + value + "'; Vigil needs 'on' so that an "
                            + "accepted event survives a crash"));
              }
              log.debug("synchronous_commit={}", value);
              return Future.succeededFuture();
            });
  }

  public Pool pool() {
    return pool;
  }

  /** Where the data is, for the startup log; never includes a password. */
  public String description() {
    return description;
  }

  public boolean embedded() {
    return embedded != null;
  }

  public Future<Void> stop() {
    return pool.close()
        .transform(
            v ->
                embedded == null
                    ? Future.<Void>succeededFuture()
                    : vertx.executeBlocking(
                        () -> {
                          embedded.stop();
                          return null;
                        },
                        false));
  }
}
