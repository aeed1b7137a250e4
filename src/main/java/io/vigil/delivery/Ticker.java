package io.vigil.delivery;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import java.time.Duration;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one pass of a background job every interval, never two at once: a tick that comes
 * while a pass runs is dropped. A failed pass is logged and the next tick tries again,
 * which is safe because every pass is one transaction. {@link #stop()} completes once the
 * pass in flight, if any, has ended.
 *
 * <p>During a database outage every pass fails; the first failure is logged at WARN, the
 * ones after it once a minute with their count, and the recovery once, so an outage is a
 * few log lines rather than several a second.
 */
final class Ticker {
  private static final Logger log = LoggerFactory.getLogger(Ticker.class);

  private final Vertx vertx;
  private final Duration interval;
  private final Supplier<Future<?>> pass;
  private io.vertx.core.Context context;
  private long timer = -1;
  private Future<?> running;
  private volatile boolean stopped;
  private final RepeatedFailureLog failures;

  Ticker(Vertx vertx, Duration interval, Supplier<Future<?>> pass, String name) {
    this.vertx = vertx;
    this.interval = interval;
    this.pass = pass;
    this.failures = new RepeatedFailureLog(log, name, interval);
  }

  void start() {
    // One context for the timer and stop(): the fields are only touched there.
    context = vertx.getOrCreateContext();
    context.runOnContext(v -> timer = vertx.setPeriodic(Math.max(1, interval.toMillis()), t -> tick()));
  }

  private void tick() {
    if (stopped || (running != null && !running.isComplete())) {
      return;
    }
    Future<?> f;
    try {
      f = pass.get();
    } catch (RuntimeException e) {
      f = Future.failedFuture(e);
    }
    running = f.onComplete(ar -> {
      if (ar.succeeded()) {
        failures.succeeded();
      } else {
        failures.failed(ar.cause());
      }
    });
  }

  Future<Void> stop() {
    stopped = true;
    if (context == null) {
      return Future.succeededFuture();
    }
    Promise<Void> done = Promise.promise();
    context.runOnContext(v -> {
      if (timer >= 0) {
        vertx.cancelTimer(timer);
      }
      if (running == null) {
        done.complete();
      } else {
        running.onComplete(ar -> done.tryComplete());
      }
    });
    return done.future();
  }
}
