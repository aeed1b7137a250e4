package io.vigil.delivery;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vigil.store.Outbox;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes attempts' outcomes to the outbox by group commit: one write (one statement, one
 * commit) at a time, and the outcomes that end while it runs go together in the next one.
 * Alone, an outcome is written at once; under load, a commit carries many, so recording no
 * longer costs each delivery its own transaction (which capped one worker at a few hundred
 * deliveries a second). Each outcome's future completes when its write has committed; if
 * it fails, the row's lease runs out and the delivery is claimed again, as before.
 */
final class AttemptRecorder {
  /** Outcomes in one write at most; a bound on what one failed commit puts back. */
  static final int MAX_BATCH = 256;

  private final Outbox outbox;
  // Guarded by this: outcomes may end on any context.
  private final List<Queued> queued = new ArrayList<>();
  private boolean writing;

  AttemptRecorder(Outbox outbox) {
    this.outbox = outbox;
  }

  Future<Void> record(Outbox.Outcome outcome) {
    Promise<Void> written = Promise.promise();
    boolean start;
    synchronized (this) {
      queued.add(new Queued(outcome, written));
      start = !writing;
      writing = true;
    }
    if (start) {
      writeNext();
    }
    return written.future();
  }

  private void writeNext() {
    List<Queued> batch;
    synchronized (this) {
      if (queued.isEmpty()) {
        writing = false;
        return;
      }
      List<Queued> head = queued.subList(0, Math.min(MAX_BATCH, queued.size()));
      batch = new ArrayList<>(head);
      head.clear();
    }
    outbox.recordAll(batch.stream().map(Queued::outcome).toList()).onComplete(ar -> {
      for (Queued q : batch) {
        q.written().handle(ar);
      }
      writeNext();
    });
  }

  private record Queued(Outbox.Outcome outcome, Promise<Void> written) {}
}
