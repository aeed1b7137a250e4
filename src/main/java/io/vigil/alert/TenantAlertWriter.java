package io.vigil.alert;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One tenant's ordered queue of raises and journal positions, written in batches on one
 * Vert.x context. Order matters: a position is written only with, or after, every raise
 * that came before it. A failed write is retried with backoff until it succeeds; nothing
 * is dropped, and a full queue blocks the engine thread that submits.
 */
final class TenantAlertWriter {
  private static final Logger log = LoggerFactory.getLogger(TenantAlertWriter.class);
  private static final int CAPACITY = 10_000;
  private static final int BATCH = 200;

  interface BatchWriter {
    Future<Integer> write(String tenant, List<RaisedAlert> raises, long position);
  }

  private final String tenant;
  private final Context context;
  private final BatchWriter writer;
  /** {@link RaisedAlert}s and {@link Long} positions, in the order the engine produced them. */
  private final BlockingQueue<Object> queue = new LinkedBlockingQueue<>(CAPACITY);
  private final AtomicBoolean scheduled = new AtomicBoolean();
  private final List<Promise<Void>> idleWaiters = new ArrayList<>();
  private int failures;

  TenantAlertWriter(String tenant, Context context, BatchWriter writer) {
    this.tenant = tenant;
    this.context = context;
    this.writer = writer;
  }

  void submit(List<RaisedAlert> raises, long position) throws InterruptedException {
    for (RaisedAlert r : raises) {
      queue.put(r);
    }
    if (position > 0) {
      queue.put(position);
    }
    schedule();
  }

  private void schedule() {
    if (scheduled.compareAndSet(false, true)) {
      context.runOnContext(v -> drain());
    }
  }

  private void drain() {
    List<RaisedAlert> batch = new ArrayList<>();
    long position = 0;
    Object item;
    while (batch.size() < BATCH && (item = queue.poll()) != null) {
      if (item instanceof Long p) {
        position = Math.max(position, p);
      } else {
        batch.add((RaisedAlert) item);
      }
    }
    if (batch.isEmpty() && position == 0) {
      scheduled.set(false);
      if (!queue.isEmpty()) {
        schedule();
      } else {
        idleWaiters.forEach(Promise::tryComplete);
        idleWaiters.clear();
      }
      return;
    }
    write(batch, position);
  }

  private void write(List<RaisedAlert> batch, long position) {
    writer.write(tenant, batch, position).onComplete(ar -> {
      if (ar.succeeded()) {
        failures = 0;
        drain();
        return;
      }
      failures++;
      long delay = Math.min(5_000L, 100L << Math.min(failures, 6));
      log.warn("storing alerts failed tenant={} raises={} attempt={} retryInMs={} error={}",
          tenant, batch.size(), failures, delay, ar.cause().toString());
      context.owner().setTimer(delay, t -> write(batch, position));
    });
  }

  /** Completes when everything submitted before the call is written. */
  Future<Void> idle() {
    Promise<Void> p = Promise.promise();
    context.runOnContext(v -> {
      if (!scheduled.get() && queue.isEmpty()) {
        p.complete();
      } else {
        idleWaiters.add(p);
      }
    });
    return p.future();
  }
}
