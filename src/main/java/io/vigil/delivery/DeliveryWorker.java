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
 * <p>Claims run ahead of sending: the worker holds about twice {@code delivery.concurrency}
 * rows, those beyond its attempts waiting here in claim order, and each channel keeps a
 * round of rows waiting behind its attempts, so an attempt that ends is followed at once by
 * the next instead of by a claim's round trip. A channel with its attempts and its round
 * both taken is left out of claims, so its rows stay due in order while other channels'
 * rows are claimed; rows waiting behind it do not count against what others may claim. A
 * row waits only while its lease has room for a whole attempt; past that, and on stop, it
 * goes back to the outbox, due at once.
 *
 * <p>A channel's attempt slot is free as soon as its send is over; the outcome is then
 * written by {@link AttemptRecorder}, many outcomes to a commit. Until it is written the
 * attempt still counts against {@code delivery.concurrency}, which bounds what a crash can
 * make Vigil send twice.
 */
public final class DeliveryWorker {
  private static final Logger log = LoggerFactory.getLogger(DeliveryWorker.class);
  private static final long BACKSTOP_MS = 5_000;

  private final Vertx vertx;
  private final Outbox outbox;
  private final Channels channels;
  private final OutboundMessages messages;
  private final AttemptRecorder recorder;
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
   * Claimed rows waiting for an attempt, per channel, in claim order. They hold none of the
   * worker's attempts (inFlight); about one round per busy channel, since a channel with its
   * attempts and a round waiting is left out of claims (see fullSlots).
   */
  private final Map<Outbox.Slot, ArrayDeque<Waiting>> waiting = new HashMap<>();
  private Promise<Void> drained;
  /** startWaiting is running (it can be re-entered through an attempt that ends at once). */
  private boolean starting;
  private boolean startAgain;
  private final RepeatedFailureLog claimFailures;

  public DeliveryWorker(
      Vertx vertx, Outbox outbox, Channels channels, MessageRenderer renderer, DeliveryConfig config, Clock clock,
      Backoff backoff, MeterRegistry metrics) {
    this.metrics = metrics;
    this.vertx = vertx;
    this.outbox = outbox;
    this.channels = channels;
    this.messages = new OutboundMessages(outbox, renderer);
    this.recorder = new AttemptRecorder(outbox);
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
    int room = config.concurrency() * 2 - inFlight - waitingForAttempts();
    if (room <= 0) {
      return;
    }
    polling = true;
    pollAgain = false;
    Instant now = clock.instant();
    outbox.claim(now, now.plus(config.lease()), room, fullSlots()).onComplete(ar -> {
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
      for (Outbox.Claimed d : ar.result()) {
        Outbox.Slot slot = new Outbox.Slot(d.tenant(), d.channel());
        if (waitingFor(slot) == 0 && hasAttemptFor(slot)) {
          inFlight++;
          deliver(d);
        } else {
          waiting.computeIfAbsent(slot, k -> new ArrayDeque<>()).add(new Waiting(d, now));
        }
      }
      if (pollAgain || ar.result().size() == room) {
        poll();
      }
    });
  }

  /**
   * Channels left out of the next claim: those with every attempt in flight and a round of
   * rows already waiting behind them. A busy channel keeps that round claimed, so an attempt
   * that ends is followed at once by the next, while a hanging one holds no more than it.
   */
  private List<Outbox.Slot> fullSlots() {
    List<Outbox.Slot> full = new ArrayList<>();
    busy.forEach((slot, n) -> {
      if (n + waitingFor(slot) >= 2 * config.channelConcurrency()) {
        full.add(slot);
      }
    });
    return full;
  }

  /** Whether an attempt to {@code slot} may start now: the worker and the channel are both under their limits. */
  private boolean hasAttemptFor(Outbox.Slot slot) {
    return inFlight < config.concurrency() && busy.getOrDefault(slot, 0) < config.channelConcurrency();
  }

  private int waitingFor(Outbox.Slot slot) {
    ArrayDeque<Waiting> queue = waiting.get(slot);
    return queue == null ? 0 : queue.size();
  }

  /**
   * Waiting rows whose channel has a free attempt: they wait only for the worker's own
   * limit, so they count against what the next claim may bring. Rows behind a busy channel
   * do not, or a hanging channel's rows would keep every other channel's from being claimed.
   */
  private int waitingForAttempts() {
    int n = 0;
    for (Map.Entry<Outbox.Slot, ArrayDeque<Waiting>> e : waiting.entrySet()) {
      if (busy.getOrDefault(e.getKey(), 0) < config.channelConcurrency()) {
        n += e.getValue().size();
      }
    }
    return n;
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

  /**
   * Starts waiting rows, in claim order per channel, while their channel has a free attempt
   * and the worker is under {@code delivery.concurrency}; a row whose lease has no room left
   * goes back to the outbox instead. An attempt can end while this runs (a channel that
   * fails at once), and that calls here again: the outer call then goes round once more.
   */
  private void startWaiting() {
    if (starting) {
      startAgain = true;
      return;
    }
    starting = true;
    try {
      do {
        startAgain = false;
        Instant now = clock.instant();
        for (Map.Entry<Outbox.Slot, ArrayDeque<Waiting>> e : List.copyOf(waiting.entrySet())) {
          Outbox.Slot slot = e.getKey();
          ArrayDeque<Waiting> queue = e.getValue();
          while (!queue.isEmpty() && hasAttemptFor(slot)) {
            Waiting w = queue.poll();
            inFlight++;
            if (stopping || !leaseHasRoom(w, now)) {
              release(w.row(), now);
            } else {
              deliver(w.row());
            }
          }
          if (queue.isEmpty()) {
            waiting.remove(slot, queue);
          }
        }
      } while (startAgain);
    } finally {
      starting = false;
    }
  }

  /** Whether a whole attempt started now ends within the row's lease, so no other worker can claim it meanwhile. */
  private boolean leaseHasRoom(Waiting w, Instant now) {
    return w.claimedAt().plus(config.lease()).isAfter(now.plus(config.timeout()).plusMillis(BACKSTOP_MS));
  }

  /** Back into the outbox, due at {@code at}, the attempt not counted; counted in inFlight until written. */
  private void release(Outbox.Claimed d, Instant at) {
    outbox.defer(d.id(), d.attempt(), at).onComplete(ar -> finished());
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
        outbox.defer(d.id(), d.attempt(), started.plusMillis(waitMs)).onComplete(ar -> finished());
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
    if (channel.isPresent()) {
      // The channel's slot is free once the send is over; recording the outcome need not hold it.
      attempt.onComplete(ar -> sent(slot));
    }
    attempt.compose(result -> record(d, started, result))
        .onComplete(ar -> {
          if (ar.failed()) {
            // The lease runs out and the row is claimed again: at-least-once, never lost.
            log.warn("recording delivery {} failed: {}", d.id(), ar.cause().toString());
          }
          finished();
        });
  }

  /** A send to {@code slot} is over (its outcome may still be being recorded): start what waits for it. */
  private void sent(Outbox.Slot slot) {
    if (Vertx.currentContext() != context) {
      context.runOnContext(v -> sent(slot));
      return;
    }
    busy.computeIfPresent(slot, (k, n) -> n <= 1 ? null : n - 1);
    startWaiting();
    if (waitingFor(slot) < config.channelConcurrency()) {
      // Its round of waiting rows runs low: claim the next while the ones left are sent.
      poll();
    }
  }

  /**
   * An attempt is over and recorded, or its row was put back. Until then it counts in
   * {@code inFlight}, which bounds claims, so rows sent but not yet recorded (what a crash
   * makes Vigil send again) stay as few as attempts in flight.
   */
  private void finished() {
    if (Vertx.currentContext() != context) {
      // Channel and database futures may complete elsewhere; the counters live on this context.
      context.runOnContext(v -> finished());
      return;
    }
    inFlight--;
    startWaiting();
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
      return recorder.record(
          new Outbox.Outcome(d.id(), d.attempt(), started, now, "delivered", "delivered", ok.statusCode(), null, null));
    }
    if (result instanceof DeliveryResult.Retry retry && d.attempt() < config.retry().maxAttempts()) {
      Duration wait = backoff.delay(d.attempt(), retry.retryAfter());
      log.warn("delivery failed alert={} channel={} attempt={} retryIn={} error={}",
          d.alert().getString("id"), d.channel(), d.attempt(), wait, retry.error());
      count(d, "retry", false);
      return recorder.record(new Outbox.Outcome(d.id(), d.attempt(), started, now, "pending", "retry",
          retry.statusCode(), retry.error(), now.plus(wait)));
    }
    String error = result instanceof DeliveryResult.Retry r
        ? "gave up after " + d.attempt() + " attempts: " + r.error()
        : ((DeliveryResult.Failed) result).error();
    log.error("delivery failed for good alert={} channel={} attempt={} error={}",
        d.alert().getString("id"), d.channel(), d.attempt(), error);
    count(d, "failed", true);
    return recorder.record(
        new Outbox.Outcome(d.id(), d.attempt(), started, now, "failed", "failed", result.statusCode(), error, null));
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
