package io.vigil.delivery;

import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vigil.config.VigilConfig.DeliveryConfig;
import io.vigil.store.Outbox;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Delivers what the outbox holds: claims due rows (polling, and at once when the alert
 * stage says new ones exist), renders each message, sends it through its channel with a
 * deadline, and records the outcome: delivered, failed for good, or pending again after a
 * backoff. At most {@code delivery.concurrency} attempts run at once, and at most {@code
 * delivery.channel_concurrency} of them to one channel, so a channel that hangs occupies a
 * few slots, never all of them, never the event loop, and never ingestion.
 *
 * <p>A channel with every attempt it may have is left out of the next claims, so its rows
 * stay due in order while other channels' rows are claimed. A claim can still bring more
 * rows for one channel than it has free attempts; those wait here, in claim order, and
 * start the moment an attempt to that channel ends, rather than going back to the outbox
 * until the next poll (which kept a busy channel a poll interval behind, every time). A
 * row waits only while its lease has room for a whole attempt; past that, and on stop,
 * it goes back to the outbox, due at once.
 */
public final class DeliveryWorker {
  private static final Logger log = LoggerFactory.getLogger(DeliveryWorker.class);
  private static final long BACKSTOP_MS = 5_000;

  private final Vertx vertx;
  private final Outbox outbox;
  private final Channels channels;
  private final OutboundMessages messages;
  private final DeliveryConfig config;
  private final Clock clock;
  private final ChannelRates rates = new ChannelRates();
  private final Backoff backoff;
  private final MeterRegistry metrics;
  private Context context;
  private long poller = -1;
  private boolean polling;
  private boolean pollAgain;
  private boolean stopping;
  private int inFlight;
  /** Attempts in flight per tenant and channel; touched on the worker's context only. */
  private final Map<Outbox.Slot, Integer> busy = new HashMap<>();
  /**
   * Claimed rows waiting for an attempt to their channel to end. They hold none of the
   * worker's attempts (inFlight), so a hanging channel's rows cannot keep others from being
   * claimed; there are few, since a channel with waiting rows is full and claims skip it.
   */
  private final Map<Outbox.Slot, ArrayDeque<Waiting>> waiting = new HashMap<>();
  private Promise<Void> drained;
  private final RepeatedFailureLog claimFailures;

  public DeliveryWorker(
      Vertx vertx, Outbox outbox, Channels channels, MessageRenderer renderer, DeliveryConfig config, Clock clock,
      Backoff backoff, MeterRegistry metrics) {
    this.metrics = metrics;
    this.vertx = vertx;
    this.outbox = outbox;
    this.channels = channels;
    this.messages = new OutboundMessages(outbox, renderer);
    this.config = config;
    this.clock = clock;
    this.backoff = backoff;
    this.claimFailures = new RepeatedFailureLog(log, "claiming deliveries", config.pollInterval());
  }

  public void start() {
    context = vertx.getOrCreateContext();
    context.runOnContext(v -> {
      poller = vertx.setPeriodic(config.pollInterval().toMillis(), t -> {
        releaseExpiring();
        poll();
      });
      poll();
    });
  }

  /** New deliveries exist: look now rather than at the next poll. */
  public void wake() {
    if (context != null) {
      context.runOnContext(v -> poll());
    }
  }

  private void poll() {
    if (stopping) {
      return;
    }
    if (polling) {
      pollAgain = true;
      return;
    }
    int free = config.concurrency() - inFlight;
    if (free <= 0) {
      return;
    }
    polling = true;
    pollAgain = false;
    Instant now = clock.instant();
    outbox.claim(now, now.plus(config.lease()), free, fullSlots()).onComplete(ar -> {
      polling = false;
      if (ar.failed()) {
        claimFailures.failed(ar.cause());
        drainedIfIdle();
        return;
      }
      claimFailures.succeeded();
      if (stopping) {
        // Claimed while stopping: put them back now rather than leave them leased (and
        // untouched) until the lease runs out after the next start.
        Future.join(ar.result().stream().map(d -> outbox.defer(d.id(), d.attempt(), now)).toList())
            .onComplete(x -> drainedIfIdle());
        return;
      }
      ar.result().forEach(d -> startOrWait(d, now));
      if (!stopping && (pollAgain || ar.result().size() == free)) {
        poll();
      }
    });
  }

  private List<Outbox.Slot> fullSlots() {
    List<Outbox.Slot> full = new ArrayList<>();
    busy.forEach((slot, n) -> {
      if (n >= config.channelConcurrency()) {
        full.add(slot);
      }
    });
    return full;
  }

  /** Starts the attempt, or queues the row when its channel has no free attempt. */
  private void startOrWait(Outbox.Claimed d, Instant claimedAt) {
    Outbox.Slot slot = new Outbox.Slot(d.tenant(), d.channel());
    if (busy.getOrDefault(slot, 0) >= config.channelConcurrency() && channels.get(d.tenant(), d.channel()).isPresent()) {
      waiting.computeIfAbsent(slot, k -> new ArrayDeque<>()).add(new Waiting(d, claimedAt));
      return;
    }
    inFlight++;
    deliver(d);
  }

  /**
   * Hands back the waiting rows whose lease has no room left for an attempt (their channel
   * has been busy that long), so they are claimed again in order rather than held here.
   */
  private void releaseExpiring() {
    Instant now = clock.instant();
    waiting.values().removeIf(queue -> {
      queue.removeIf(w -> {
        if (leaseHasRoom(w, now)) {
          return false;
        }
        inFlight++;
        release(w.row(), now);
        return true;
      });
      return queue.isEmpty();
    });
  }

  /** An attempt to {@code slot} ended: start the rows waiting for it while it has room. */
  private void startWaiting(Outbox.Slot slot) {
    ArrayDeque<Waiting> queue = waiting.get(slot);
    if (queue == null) {
      return;
    }
    Instant now = clock.instant();
    while (!queue.isEmpty() && busy.getOrDefault(slot, 0) < config.channelConcurrency()) {
      Waiting w = queue.poll();
      inFlight++;
      if (stopping || !leaseHasRoom(w, now)) {
        release(w.row(), now);
      } else {
        deliver(w.row());
      }
    }
    if (queue.isEmpty()) {
      waiting.remove(slot);
    }
  }

  /** Whether a whole attempt started now ends within the row's lease, so no other worker can claim it meanwhile. */
  private boolean leaseHasRoom(Waiting w, Instant now) {
    return w.claimedAt().plus(config.lease()).isAfter(now.plus(config.timeout()).plusMillis(BACKSTOP_MS));
  }

  /** Back into the outbox, due at {@code at}, the attempt not counted; counted in inFlight until written. */
  private void release(Outbox.Claimed d, Instant at) {
    outbox.defer(d.id(), d.attempt(), at).onComplete(ar -> finished(null));
  }

  private void deliver(Outbox.Claimed d) {
    Instant started = clock.instant();
    Optional<Channel> channel = channels.get(d.tenant(), d.channel());
    Outbox.Slot slot = new Outbox.Slot(d.tenant(), d.channel());
    Future<DeliveryResult> attempt;
    if (channel.isEmpty()) {
      attempt = Future.succeededFuture(
          DeliveryResult.failed("unknown_channel: channel '" + d.channel() + "' is not configured"));
    } else {
      Channel ch = channel.get();
      long waitMs = rates.acquire(d.tenant(), ch, started.toEpochMilli());
      if (waitMs > 0) {
        // Over the channel's rate: back into the outbox for later, and not counted as an attempt.
        outbox.defer(d.id(), d.attempt(), started.plusMillis(waitMs)).onComplete(ar -> finished(null));
        return;
      }
      busy.merge(slot, 1, Integer::sum);
      attempt = messages.of(ch, d)
          .compose(message -> {
            try {
              return ch.send(message);
            } catch (RuntimeException e) {
              return Future.failedFuture(e);
            }
          })
          // Each channel keeps delivery.timeout itself; this only frees the slot of one that never answers.
          .timeout(config.timeout().toMillis() + BACKSTOP_MS, TimeUnit.MILLISECONDS)
          .recover(e -> {
            if (e instanceof java.util.concurrent.TimeoutException) {
              log.error("channel {} did not end delivery {} within its timeout", d.channel(), d.id());
              return Future.succeededFuture(DeliveryResult.retry("timeout: the channel did not answer in time"));
            }
            log.error("channel {} threw on delivery {}", d.channel(), d.id(), e);
            return Future.succeededFuture(DeliveryResult.retry("internal error in channel " + d.channel()));
          });
    }
    attempt.compose(result -> record(d, started, result))
        .onComplete(ar -> {
          if (ar.failed()) {
            // The lease runs out and the row is claimed again: at-least-once, never lost.
            log.warn("recording delivery {} failed: {}", d.id(), ar.cause().toString());
          }
          finished(channel.isPresent() ? slot : null);
        });
  }

  /** An attempt is over; {@code slot} is the channel slot it held, if any. */
  private void finished(Outbox.Slot slot) {
    if (Vertx.currentContext() != context) {
      // Channel and database futures may complete elsewhere; the counters live on this context.
      context.runOnContext(v -> finished(slot));
      return;
    }
    if (slot != null) {
      busy.computeIfPresent(slot, (k, n) -> n <= 1 ? null : n - 1);
    }
    inFlight--;
    if (slot != null) {
      startWaiting(slot);
    }
    drainedIfIdle();
    poll();
  }

  private void drainedIfIdle() {
    if (stopping && inFlight == 0 && !polling && drained != null) {
      drained.tryComplete();
    }
  }

  /**
   * Counts an attempt by its outcome (delivered, retry, failed), and a delivery that is
   * over (delivered or failed for good). Channel names are configuration, so bounded.
   */
  private void count(Outbox.Claimed d, String outcome, boolean over) {
    metrics.counter("vigil_delivery_attempts", "tenant", d.tenant(), "channel", d.channel(), "outcome", outcome)
        .increment();
    if (over) {
      metrics.counter("vigil_deliveries", "tenant", d.tenant(), "channel", d.channel(), "outcome", outcome)
          .increment();
    }
  }

  private Future<Void> record(Outbox.Claimed d, Instant started, DeliveryResult result) {
    Instant now = clock.instant();
    if (result instanceof DeliveryResult.Delivered ok) {
      log.debug("delivered alert={} channel={} attempt={}", d.alert().getString("id"), d.channel(), d.attempt());
      count(d, "delivered", true);
      return outbox.record(d.id(), d.attempt(), started, now, "delivered", "delivered", ok.statusCode(), null, null);
    }
    if (result instanceof DeliveryResult.Retry retry && d.attempt() < config.retry().maxAttempts()) {
      Duration wait = backoff.delay(d.attempt(), retry.retryAfter());
      log.warn("delivery failed alert={} channel={} attempt={} retryIn={} error={}",
          d.alert().getString("id"), d.channel(), d.attempt(), wait, retry.error());
      count(d, "retry", false);
      return outbox.record(d.id(), d.attempt(), started, now, "pending", "retry", retry.statusCode(),
          retry.error(), now.plus(wait));
    }
    String error = result instanceof DeliveryResult.Retry r
        ? "gave up after " + d.attempt() + " attempts: " + r.error()
        : ((DeliveryResult.Failed) result).error();
    log.error("delivery failed for good alert={} channel={} attempt={} error={}",
        d.alert().getString("id"), d.channel(), d.attempt(), error);
    count(d, "failed", true);
    return outbox.record(d.id(), d.attempt(), started, now, "failed", "failed", result.statusCode(), error, null);
  }

  /**
   * Stops claiming, hands back rows a claim in flight brings in, and waits for attempts in
   * flight to finish (their leases cover a crash).
   */
  public Future<Void> stop() {
    Promise<Void> done = Promise.promise();
    if (context == null) {
      return Future.succeededFuture();
    }
    context.runOnContext(v -> {
      stopping = true;
      if (poller >= 0) {
        vertx.cancelTimer(poller);
      }
      Instant now = clock.instant();
      waiting.values().forEach(queue -> queue.forEach(w -> {
        inFlight++;
        release(w.row(), now);
      }));
      waiting.clear();
      if (inFlight == 0 && !polling) {
        done.complete();
      } else {
        drained = done;
        vertx.setTimer(config.timeout().toMillis() + 5_000, t -> done.tryComplete());
      }
    });
    return done.future();
  }

  private record Waiting(Outbox.Claimed row, Instant claimedAt) {}
}
