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
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The PostgreSQL Vigil stores everything in: the embedded one in the data directory when
 * no {@code db.url} is configured, else the external one. Migrations run once here, before
 * anything listens, and startup refuses a server whose commits are not synchronous (a
 * {@code 202} must mean the event survives a crash).
 *
 * <p>A watchdog checks every second that the embedded postmaster is alive and starts it
 * again when it is not (issue 7: "if the embedded PostgreSQL dies while Vigil runs, Vigil
 * notices and restarts it"); meanwhile requests fail fast with {@code 503} through the
 * pool's connection timeout. An external PostgreSQL needs no watchdog: the pool opens new
 * connections on demand, so it reconnects as soon as the server answers again.
 */
public final class Database {
  private static final Logger log = LoggerFactory.getLogger(Database.class);
  private static final long WATCH_INTERVAL_MS = 1_000;

  private final Vertx vertx;
  private final Pool pool;
  private final EmbeddedPostgresServer embedded;
  private final String description;
  private final AtomicBoolean restarting = new AtomicBoolean();
  private volatile boolean stopping;
  private long watchdog = -1;

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
                .map(v -> d.watchEmbedded())
                .recover(e -> d.stop().transform(x -> Future.failedFuture(e))));
  }

  private Database watchEmbedded() {
    if (embedded != null) {
      watchdog = vertx.setPeriodic(WATCH_INTERVAL_MS, t -> checkEmbedded());
    }
    return this;
  }

  /** On a worker: probing the process is cheap, but restarting it blocks for seconds. */
  private void checkEmbedded() {
    if (stopping || !restarting.compareAndSet(false, true)) {
      return;
    }
    vertx.executeBlocking(() -> {
          if (embedded.running() || stopping) {
            return null;
          }
          long started = System.nanoTime();
          log.warn("embedded PostgreSQL is not running (crashed or killed); starting it again in {}",
              embedded.directory().toAbsolutePath().normalize());
          embedded.restart();
          log.info("embedded PostgreSQL restarted port={} tookMs={}", embedded.port(),
              (System.nanoTime() - started) / 1_000_000);
          return null;
        }, false)
        .onComplete(ar -> {
          restarting.set(false);
          if (ar.failed()) {
            log.error("restarting the embedded PostgreSQL failed; trying again in {}ms", WATCH_INTERVAL_MS, ar.cause());
          }
        });
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
    stopping = true;
    if (watchdog >= 0) {
      vertx.cancelTimer(watchdog);
    }
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
