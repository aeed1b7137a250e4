package io.vigil.delivery;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.SqlClient;
import io.vigil.alert.ClockHour;
import io.vigil.store.HeldBackStore;
import io.vigil.store.Outbox;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * After each clock hour, queues one "N alerts were held back" notice per channel, hour and
 * limit for the alerts a rate limit held back in it (counted by {@code
 * alert.DeliveryLimits}): for a rule's {@code @max_alerts_per_hour} to each channel the rule
 * routes to, naming the rule; for a channel's {@code max_per_hour} to that channel. The
 * notice is an ordinary outbox row (kind {@code notice}), so it is retried like any delivery.
 *
 * <p>Exactly once: a pass runs in one transaction that locks the due rows, inserts the
 * notices and marks the rows, so a crash before the commit leaves them due and one after it
 * leaves them done; a transaction-scoped advisory lock keeps other processes' passes out
 * meanwhile. Channels that take no notices (PagerDuty: an incident per notice would be
 * noise) get none, and their rows are marked all the same.
 */
public final class HeldBackNotices {
  private static final Logger log = LoggerFactory.getLogger(HeldBackNotices.class);
  private static final long LOCK_KEY = 0x5649_4749_4c48L; // "VIGILH"
  private static final int BATCH = 200;
  /** Counts are kept this long after their hour, then forgotten. */
  private static final Duration KEEP = Duration.ofDays(1);

  private final Pool pool;
  private final Channels channels;
  private final Clock clock;
  private final Runnable onNewDeliveries;
  private final Ticker ticker;

  public HeldBackNotices(Vertx vertx, Pool pool, Channels channels, Clock clock, Duration interval,
      Runnable onNewDeliveries) {
    this.pool = pool;
    this.channels = channels;
    this.clock = clock;
    this.onNewDeliveries = onNewDeliveries;
    this.ticker = new Ticker(vertx, interval, this::run, "queueing held-back notices");
  }

  public void start() {
    ticker.start();
  }

  public Future<Void> stop() {
    return ticker.stop();
  }

  /** One pass: queues the notices of every hour that has ended; answers how many were queued. */
  public Future<Integer> run() {
    Instant now = clock.instant();
    return ExclusivePass.run(pool, LOCK_KEY, tx -> HeldBackStore.due(tx, ClockHour.lastEndedStart(now), BATCH)
            .compose(due -> {
              Future<Integer> chain = Future.succeededFuture(0);
              for (HeldBackStore.Held h : due) {
                chain = chain.compose(n -> notice(tx, h, now).map(queued -> n + queued));
              }
              return chain;
            })
            .compose(n -> HeldBackStore.prune(tx, now.minus(KEEP)).map(n)))
        .onSuccess(n -> {
          if (n > 0) {
            onNewDeliveries.run();
          }
        });
  }

  private Future<Integer> notice(SqlClient tx, HeldBackStore.Held h, Instant now) {
    boolean wanted = channels.get(h.tenant(), h.channel()).map(c -> c.wants(OutboundMessage.HELD_BACK)).orElse(false);
    UUID id = wanted ? UUID.randomUUID() : null;
    Future<Void> queued = wanted
        ? Outbox.enqueue(tx, id, h.tenant(), h.channel(), "notice", payload(h), now)
        : Future.succeededFuture();
    return queued.compose(v -> HeldBackStore.noticed(tx, h, id, now)).map(v -> {
      log.info("held-back notice {} tenant={} channel={} rule=\"{}\" count={} hour={}",
          wanted ? "queued" : "not wanted by the channel", h.tenant(), h.channel(), h.rule(), h.count(), h.hour());
      return wanted ? 1 : 0;
    });
  }

  /** What the notice is about: count, which limit (and rule), the hour, and the first alert ids. */
  static JsonObject payload(HeldBackStore.Held h) {
    ClockHour hour = new ClockHour(h.hour());
    JsonArray ids = new JsonArray();
    h.alertIds().forEach(id -> ids.add(id.toString()));
    return new JsonObject()
        .put("count", h.count())
        .put("limit", h.rule().isEmpty() ? "channel" : "rule")
        .put("rule", Optional.of(h.rule()).filter(r -> !r.isEmpty()).orElse(null))
        .put("hour_start", hour.start().toString())
        .put("hour_end", hour.end().toString())
        .put("alert_ids", ids);
  }
}
