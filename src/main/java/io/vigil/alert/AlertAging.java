package io.vigil.alert;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vigil.config.Durations;
import io.vigil.store.AlertStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Time-driven changes to open alerts, checked every {@code alerts.check_interval} on Vigil's
 * clock: an alert with no new raise for its rule's {@code @resolve_after} resolves itself
 * (channels that asked for resolved notices get one), and an active, unacknowledged alert
 * re-notifies its channels every {@code @repeat}. Each change is its own transaction and is
 * guarded in SQL, so two servers or a check cut short by a crash never act twice.
 */
public final class AlertAging {
  private static final Logger log = LoggerFactory.getLogger(AlertAging.class);
  private static final int BATCH = 200;

  private final Vertx vertx;
  private final AlertStore store;
  private final AlertService alerts;
  private final Duration interval;
  private final Clock clock;
  private long timer = -1;
  private final java.util.concurrent.atomic.AtomicBoolean running = new java.util.concurrent.atomic.AtomicBoolean();

  public AlertAging(Vertx vertx, AlertStore store, AlertService alerts, Duration interval, Clock clock) {
    this.vertx = vertx;
    this.store = store;
    this.alerts = alerts;
    this.interval = interval;
    this.clock = clock;
  }

  public void start() {
    timer = vertx.setPeriodic(interval.toMillis(), t -> check());
  }

  public void stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
    }
  }

  /** One check; a check still running when the next is due is not doubled. */
  public Future<Integer> check() {
    if (!running.compareAndSet(false, true)) {
      return Future.succeededFuture(0);
    }
    Instant now = clock.instant();
    return store.dueToResolve(now, BATCH)
        .compose(due -> each(due, d -> resolve(d, now)))
        .compose(resolved -> store.dueToRepeat(now, BATCH)
            .compose(due -> each(due, d -> repeat(d, now)))
            .map(repeated -> resolved + repeated))
        .onComplete(ar -> {
          running.set(false);
          if (ar.failed()) {
            log.warn("checking open alerts failed: {}", ar.cause().toString());
          } else if (ar.result() > 0) {
            alerts.deliveriesQueued();
          }
        });
  }

  private Future<Integer> resolve(AlertStore.Due d, Instant now) {
    String note = "no new raise for " + Durations.format(d.after());
    return store.pool()
        .withTransaction(tx -> alerts.transitionIn(tx, d.tenant(), d.id(), AlertStatus.RESOLVED, AlertService.OPEN, now,
            "vigil", note, null))
        .map(n -> {
          n.ifPresent(x -> log.info("alert resolved id={} tenant={} by=vigil ({})", d.id(), d.tenant(), note));
          return n.orElse(0);
        });
  }

  private Future<Integer> repeat(AlertStore.Due d, Instant now) {
    return store.pool().withTransaction(tx -> store.markNotified(tx, d.id(), now)
        .compose(claimed -> claimed ? alerts.notify(tx, d.tenant(), d.id(), "repeated", now)
            : Future.succeededFuture(0)));
  }

  /** Runs {@code step} for each in turn (one connection at a time); sums what they return. */
  private static Future<Integer> each(
      List<AlertStore.Due> due, java.util.function.Function<AlertStore.Due, Future<Integer>> step) {
    Future<Integer> chain = Future.succeededFuture(0);
    for (AlertStore.Due d : due) {
      chain = chain.compose(sum -> step.apply(d).map(n -> sum + n));
    }
    return chain;
  }
}
