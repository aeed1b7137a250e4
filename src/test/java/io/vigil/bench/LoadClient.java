package io.vigil.bench;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.PoolOptions;
import io.vertx.ext.web.client.WebClient;
import io.vertx.ext.web.client.WebClientOptions;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

/**
 * The load generator: a Vert.x WebClient on its own Vert.x instance (one event loop, so it
 * takes as little of the 2 cores as possible away from the server). Closed loop: each of
 * {@code concurrency} clients sends its next request as soon as the last one is answered.
 */
final class LoadClient implements AutoCloseable {
  private final Vertx vertx = Vertx.vertx();
  private final WebClient client;
  private final String token;

  LoadClient(int port, String token, int connections) {
    this.token = token;
    this.client = WebClient.create(vertx, new WebClientOptions().setDefaultHost("127.0.0.1").setDefaultPort(port)
        .setKeepAlive(true).setIdleTimeout(0), new PoolOptions().setHttp1MaxSize(connections));
  }

  /** What a closed-loop run achieved: answers per status class, and the events in the 2xx ones. */
  record Outcome(long ok, long rejected, long failed, long okEvents, double seconds) {
    double requestsPerSecond() {
      return ok / seconds;
    }

    double eventsPerSecond() {
      return okEvents / seconds;
    }
  }

  /**
   * Runs {@code concurrency} clients for {@code seconds}, each posting {@code body.get()} to
   * {@code path} ({@code eventsPerRequest} events each) again and again.
   */
  Outcome closedLoop(String path, int concurrency, double seconds, int eventsPerRequest, Supplier<String> body)
      throws Exception {
    AtomicLong ok = new AtomicLong();
    AtomicLong rejected = new AtomicLong();
    AtomicLong failed = new AtomicLong();
    long start = System.nanoTime();
    long end = start + (long) (seconds * 1e9);
    Promise<Void>[] done = newPromises(concurrency);
    for (int c = 0; c < concurrency; c++) {
      Promise<Void> finished = done[c];
      vertx.runOnContext(v -> next(path, end, body, ok, rejected, failed, finished));
    }
    Future.all(java.util.Arrays.stream(done).map(Promise::future).toList())
        .toCompletionStage().toCompletableFuture().get((long) seconds + 60, TimeUnit.SECONDS);
    double elapsed = (System.nanoTime() - start) / 1e9;
    return new Outcome(ok.get(), rejected.get(), failed.get(), ok.get() * eventsPerRequest, elapsed);
  }

  private void next(String path, long end, Supplier<String> body, AtomicLong ok, AtomicLong rejected,
      AtomicLong failed, Promise<Void> finished) {
    if (System.nanoTime() >= end) {
      finished.complete();
      return;
    }
    post(path, body.get()).onComplete(ar -> {
      if (ar.failed()) {
        failed.incrementAndGet();
      } else if (ar.result() / 100 == 2) {
        ok.incrementAndGet();
      } else {
        rejected.incrementAndGet();
      }
      next(path, end, body, ok, rejected, failed, finished);
    });
  }

  /** One POST; the status, or a failure when the connection failed. */
  Future<Integer> post(String path, String json) {
    return client.post(path).putHeader("Authorization", "Bearer " + token)
        .putHeader("Content-Type", "application/json").timeout(30_000).sendBuffer(Buffer.buffer(json))
        .map(r -> r.statusCode());
  }

  Vertx vertx() {
    return vertx;
  }

  @SuppressWarnings("unchecked")
  private static Promise<Void>[] newPromises(int n) {
    Promise<Void>[] p = new Promise[n];
    for (int i = 0; i < n; i++) {
      p[i] = Promise.promise();
    }
    return p;
  }

  @Override
  public void close() throws Exception {
    vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }
}
