package io.vigil.bench;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServer;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A webhook receiver on loopback that notes, for each alert key, the moment (nanoTime) its
 * webhook arrived. Vert.x rather than the JDK server: it keeps up with thousands of
 * requests a second without becoming the thing measured.
 */
final class TimedReceiver implements AutoCloseable {
  private final Map<String, Long> arrivals = new ConcurrentHashMap<>();
  private final HttpServer server;

  TimedReceiver(Vertx vertx) throws Exception {
    server = vertx.createHttpServer().requestHandler(req -> req.body().onSuccess(b -> {
      long at = System.nanoTime();
      String key = new JsonObject(b).getJsonObject("alert", new JsonObject()).getString("key");
      if (key != null) {
        arrivals.putIfAbsent(key, at);
      }
      req.response().setStatusCode(200).end();
    }));
    server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  String url() {
    return "http://127.0.0.1:" + server.actualPort() + "/hook";
  }

  /** When the webhook of this alert key arrived, or null. */
  Long arrival(String key) {
    return arrivals.get(key);
  }

  @Override
  public void close() throws Exception {
    server.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
