package io.vigil.alert;

import io.vertx.core.Future;
import io.vertx.core.Promise;
import java.util.function.Supplier;

/**
 * Keeps the order-sensitive steps of a batch of raises in raise order while the rest of
 * their statements are pipelined: a raise decides its deliveries (a channel's hourly cap
 * counts in the database) only after the raise before it has decided, and sends its alert
 * INSERT only after the raise before it has sent its own (or found it needs none). The
 * connection runs statements in the order they are sent, so alerts are numbered, and
 * channel allowances taken, in the order the engine raised them.
 */
final class RaiseTurns {
  private Turn last;

  /** The next raise's turn; taken in raise order. */
  Turn next() {
    Turn t = new Turn(last);
    last = t;
    return t;
  }

  static final class Turn {
    private final Future<Void> previousDecided;
    private final Future<Void> previousInserted;
    private final Promise<Void> decided = Promise.promise();
    private final Promise<Void> inserted = Promise.promise();

    private Turn(Turn previous) {
      this.previousDecided = previous == null ? Future.succeededFuture() : previous.decided.future();
      this.previousInserted = previous == null ? Future.succeededFuture() : previous.inserted.future();
    }

    /** Runs {@code decide} once the raise before has decided; the next raise's decision waits for it to end. */
    <T> Future<T> decide(Supplier<Future<T>> decide) {
      return previousDecided.compose(v -> decide.get()).andThen(ar -> decided.tryComplete());
    }

    /** Sends {@code insert} once the raise before has sent its own; the next raise's may go right after. */
    <T> Future<T> insert(Supplier<Future<T>> insert) {
      return previousInserted.compose(v -> {
        try {
          return insert.get();
        } finally {
          inserted.tryComplete();
        }
      });
    }

    /** This raise is done (or needs neither step, or failed): the raises after it stop waiting for it. */
    void pass() {
      decided.tryComplete();
      inserted.tryComplete();
    }
  }
}
