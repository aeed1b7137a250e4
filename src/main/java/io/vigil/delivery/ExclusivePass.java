package io.vigil.delivery;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlClient;
import java.util.function.Function;

/**
 * A background pass that one process at a time may run (closing digests, queueing held-back
 * notices): it runs in one transaction holding a transaction-scoped advisory lock, and a
 * process that finds the lock taken skips the pass rather than queue a second message.
 */
final class ExclusivePass {
  private ExclusivePass() {}

  /** Runs {@code pass} under lock {@code key}; answers what it queued, or 0 when another process holds the lock. */
  static Future<Integer> run(Pool pool, long key, Function<SqlClient, Future<Integer>> pass) {
    return pool.withTransaction(tx -> tx.query("SELECT pg_try_advisory_xact_lock(" + key + ")").execute()
        .compose(rows -> rows.iterator().next().getBoolean(0) ? pass.apply(tx) : Future.succeededFuture(0)));
  }
}
