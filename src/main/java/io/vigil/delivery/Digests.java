package io.vigil.delivery;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlClient;
import io.vigil.store.DigestStore;
import io.vigil.store.Outbox;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Closes digest periods: when a channel's period ({@link DigestPeriod}, from its first held
 * alert) has ended, queues one {@code digest} delivery carrying every alert held in it and
 * ties the held deliveries to it ({@code digest_id}). The digest is an ordinary outbox row,
 * retried like any delivery; its outcome becomes theirs when it ends ({@link Outbox#recordAll}).
 *
 * <p>Exactly once: a pass runs in one transaction that locks the held rows, queues the
 * digest and marks them, under a transaction-scoped advisory lock that keeps other
 * processes' passes out; a crash before the commit leaves everything held for the next pass.
 */
public final class Digests {
  private static final Logger log = LoggerFactory.getLogger(Digests.class);
  private static final long LOCK_KEY = 0x5649_4749_4c44L; // "VIGILD"
  /** Alert ids named in a digest's payload; the count has them all. */
  private static final int MAX_IDS = 100;

  private final Pool pool;
  private final Channels channels;
  private final Clock clock;
  private final Runnable onNewDeliveries;
  private final Ticker ticker;

  public Digests(Vertx vertx, Pool pool, Channels channels, Clock clock, Duration interval, Runnable onNewDeliveries) {
    this.pool = pool;
    this.channels = channels;
    this.clock = clock;
    this.onNewDeliveries = onNewDeliveries;
    this.ticker = new Ticker(vertx, interval, this::run, "closing digests");
  }

  public void start() {
    ticker.start();
  }

  public Future<Void> stop() {
    return ticker.stop();
  }

  /** One pass: queues the digest of every period that has ended; answers how many were queued. */
  public Future<Integer> run() {
    Instant now = clock.instant();
    return ExclusivePass.run(pool, LOCK_KEY, tx -> DigestStore.waiting(tx).compose(waiting -> {
          Future<Integer> chain = Future.succeededFuture(0);
          for (DigestStore.Waiting w : waiting) {
            chain = chain.compose(n -> close(tx, w, now).map(queued -> n + queued));
          }
          return chain;
        }))
        .onSuccess(n -> {
          if (n > 0) {
            onNewDeliveries.run();
          }
        });
  }

  private Future<Integer> close(SqlClient tx, DigestStore.Waiting w, Instant now) {
    Optional<Duration> digest = channels.get(w.tenant(), w.channel()).flatMap(c -> c.options().digest());
    DigestPeriod period = DigestPeriod.of(w.firstHeld(), digest, now);
    if (!period.due(now)) {
      return Future.succeededFuture(0);
    }
    return DigestStore.held(tx, w.tenant(), w.channel()).compose(held -> {
      List<DigestStore.Held> in = held.stream().filter(h -> period.covers(h.heldAt())).toList();
      if (in.isEmpty()) {
        return Future.succeededFuture(0);
      }
      UUID id = UUID.randomUUID();
      JsonArray ids = new JsonArray();
      in.stream().limit(MAX_IDS).forEach(h -> ids.add(h.alertId().toString()));
      JsonObject payload = new JsonObject()
          .put("count", in.size())
          .put("period_start", period.start().toString())
          .put("period_end", period.end().toString())
          .put("alert_ids", ids);
      return Outbox.enqueue(tx, id, w.tenant(), w.channel(), "digest", payload, now)
          .compose(v -> DigestStore.attach(tx, id, in.stream().map(DigestStore.Held::id).toList(), now))
          .map(v -> {
            log.info("digest queued id={} tenant={} channel={} alerts={} period={}..{}{}", id, w.tenant(), w.channel(),
                in.size(), period.start(), period.end(), period.flush() ? " (the channel no longer batches)" : "");
            return 1;
          });
    });
  }
}
