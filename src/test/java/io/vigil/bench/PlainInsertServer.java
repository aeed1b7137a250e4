package io.vigil.bench;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.pgclient.PgBuilder;
import io.vertx.pgclient.PgConnectOptions;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.PoolOptions;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The simplest baseline for durable ingest, from the issue: a plain Vert.x endpoint that
 * parses the JSON and inserts it into the same PostgreSQL (same pool size as Vigil's
 * default, one multi-row insert per request), answering 202 after the commit. No
 * validation, authentication, group commit across requests or engine: what is left
 * when Vigil's own work is taken away, so Vigil's figure can be read as a ratio.
 */
final class PlainInsertServer implements AutoCloseable {
  private final Vertx vertx = Vertx.vertx();
  private final Pool pool;
  private final HttpServer server;

  PlainInsertServer(String postgresUri) throws Exception {
    pool = PgBuilder.pool().with(new PoolOptions().setMaxSize(8)).connectingTo(PgConnectOptions.fromUri(postgresUri))
        .using(vertx).build();
    await(pool.query("CREATE TABLE IF NOT EXISTS bench_plain_events (seq bigserial PRIMARY KEY, id text UNIQUE,"
        + " body jsonb NOT NULL)").execute());
    await(pool.query("TRUNCATE bench_plain_events").execute());
    server = vertx.createHttpServer().requestHandler(req -> req.body().onComplete(b -> {
      if (b.failed()) {
        req.response().setStatusCode(400).end();
        return;
      }
      JsonArray events = b.result().getByte(0) == '['
          ? new JsonArray(b.result())
          : new JsonArray().add(new JsonObject(b.result()));
      List<String> ids = new ArrayList<>(events.size());
      List<String> bodies = new ArrayList<>(events.size());
      for (Object e : events) {
        ids.add(((JsonObject) e).getString("id"));
        bodies.add(((JsonObject) e).encode());
      }
      pool.preparedQuery("INSERT INTO bench_plain_events (id, body)"
              + " SELECT i, b::jsonb FROM unnest($1::text[], $2::text[]) AS t(i, b)")
          .execute(Tuple.tuple().addArrayOfString(ids.toArray(new String[0]))
              .addArrayOfString(bodies.toArray(new String[0])))
          .onComplete(ar -> {
            if (ar.failed()) {
              System.err.println("plain insert failed: " + ar.cause());
            }
            req.response().setStatusCode(ar.succeeded() ? 202 : 503).end();
          });
    }));
    await(server.listen(0, "127.0.0.1"));
  }

  int port() {
    return server.actualPort();
  }

  private static <T> T await(io.vertx.core.Future<T> f) throws Exception {
    return f.toCompletionStage().toCompletableFuture().get(60, TimeUnit.SECONDS);
  }

  @Override
  public void close() throws Exception {
    await(vertx.close());
  }
}
