package io.vigil.alert;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vigil.alert.silence.AlertFields;
import io.vigil.alert.silence.Silence;
import io.vigil.alert.silence.Silences;
import io.vigil.store.AlertStore;
import io.vigil.store.AlertStore.NewDelivery;
import io.vigil.store.SilenceStore;
import io.vigil.store.SilenceStore.HeldAlert;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What happens to the alerts a silence held back once it stops being active (it expired,
 * was deleted, or a maintenance window closed): each one another active silence covers
 * passes to that silence; each one still open (raised within the last {@link #STILL_OPEN},
 * or within its rule's cooldown when that is longer) becomes {@code active} and its
 * deliveries are queued at once, in the same transaction; the rest are resolved, undelivered.
 *
 * <p>It runs every engine tick and right after a silence is deleted, and works from stored
 * state alone: "held by a silence that is not active now" is a query, and every change
 * applies only to an alert still held by the silence it was read with. So a pass that is
 * repeated, runs twice at once, or dies halfway changes each alert once, and a restart
 * finishes what a crash left.
 */
public final class SilenceExpiry {
  private static final Logger log = LoggerFactory.getLogger(SilenceExpiry.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TypeReference<List<Map<String, Object>>> EVENTS = new TypeReference<>() {};
  /** An alert raised this recently when its silence ends is still open (unless its rule's cooldown is longer). */
  public static final Duration STILL_OPEN = Duration.ofHours(1);
  private static final int BATCH = 200;

  private final Vertx vertx;
  private final Silences silences;
  private final SilenceStore store;
  private final AlertStore alertStore;
  private final AlertService alerts;
  private final Function<String, Duration> cooldownOf;
  private final Clock clock;
  private final Runnable onNewDeliveries;
  private final Duration interval;
  private long timer = -1;
  /** The latest pass, queued after the one before it, so passes never overlap. */
  private Future<Void> running = Future.succeededFuture();

  /** {@code cooldownOf}: a rule's {@code @cooldown} by name ({@link Duration#ZERO} when it has none or is gone). */
  public SilenceExpiry(
      Vertx vertx, Silences silences, AlertStore alertStore, AlertService alerts, Function<String, Duration> cooldownOf,
      Clock clock, Runnable onNewDeliveries, Duration interval) {
    this.vertx = vertx;
    this.silences = silences;
    this.store = silences.store();
    this.alertStore = alertStore;
    this.alerts = alerts;
    this.cooldownOf = cooldownOf;
    this.clock = clock;
    this.onNewDeliveries = onNewDeliveries;
    this.interval = interval;
  }

  public void start() {
    timer = vertx.setPeriodic(Math.max(50, interval.toMillis()), t -> {
      synchronized (this) {
        if (!running.isComplete()) {
          return; // the pass in flight will see whatever this tick would have
        }
      }
      runNow();
    });
  }

  /** No more passes; completes when the one in flight has finished. */
  public synchronized Future<Void> stop() {
    if (timer >= 0) {
      vertx.cancelTimer(timer);
      timer = -1;
    }
    return running;
  }

  /** A pass after the one in flight; completes when it has handled every alert it found. */
  public synchronized Future<Void> runNow() {
    running = running.transform(x -> pass().recover(e -> {
      log.warn("releasing silenced alerts failed; the next pass retries: {}", e.toString());
      return Future.succeededFuture();
    }));
    return running;
  }

  private Future<Void> pass() {
    Instant now = clock.instant();
    silences.prune(now);
    UUID[] active = silences.activeIds(now).toArray(new UUID[0]);
    return store.heldByOthers(active, BATCH).compose(held -> {
      int[] queued = {0};
      int[] failed = {0};
      Future<Void> chain = Future.succeededFuture();
      for (HeldAlert h : held) {
        chain = chain.compose(v -> handle(h, now)
            .map(n -> {
              queued[0] += n;
              return (Void) null;
            })
            .recover(e -> {
              failed[0]++;
              log.warn("releasing silenced alert {} failed; the next pass retries: {}", h.id(), e.toString());
              return Future.succeededFuture();
            }));
      }
      return chain.compose(v -> {
        if (queued[0] > 0) {
          onNewDeliveries.run();
        }
        return held.size() == BATCH && failed[0] == 0 ? pass() : Future.succeededFuture();
      });
    });
  }

  /** Handles one held alert in its own transaction; returns how many deliveries it queued. */
  private Future<Integer> handle(HeldAlert h, Instant now) {
    Optional<Silence> other = silences.matching(h.tenant(), fields(h), now);
    if (other.isPresent()) {
      return store.pool().withTransaction(tx -> store.reassign(tx, h.id(), h.silenceId(), other.get().id(), now))
          .map(moved -> {
            if (moved) {
              log.info("alert stays silenced id={} tenant={} silence={} (was {})", h.id(), h.tenant(),
                  other.get().id(), h.silenceId());
            }
            return 0;
          });
    }
    Duration cooldown = cooldownOf.apply(h.rule());
    Duration open = cooldown.compareTo(STILL_OPEN) > 0 ? cooldown : STILL_OPEN;
    if (h.lastSeen().isBefore(now.minus(open))) {
      String note = "silence " + h.silenceId() + " ended; no raise since " + h.lastSeen();
      return store.pool().withTransaction(tx -> store.resolve(tx, h.id(), h.silenceId(), now, note)
              .compose(done -> !done ? Future.succeededFuture(false)
                  : alerts.recordAct(tx, h.id(), h.tenant(), now, "resolved", note, silence(h)).map(true)))
          .map(done -> {
            if (done) {
              log.info("silenced alert resolved undelivered id={} tenant={} silence={} last_seen={}", h.id(),
                  h.tenant(), h.silenceId(), h.lastSeen());
            }
            return 0;
          });
    }
    return store.pool()
        .withTransaction(tx -> store.release(tx, h.id(), h.silenceId(), now).compose(released -> {
          if (!released) {
            return Future.succeededFuture(-1);
          }
          return alerts.recordAct(tx, h.id(), h.tenant(), now, "released", null, silence(h))
              .compose(v -> store.silencedChannels(tx, h.id()))
              .compose(names -> alerts.releasedDeliveries(tx, h.id(), h.tenant(), names, h.severity(), now))
              .compose(ds -> {
                int pending = (int) ds.stream().filter(d -> d.status().equals("pending")).count();
                return ds.isEmpty() ? Future.succeededFuture(pending)
                    : alertStore.insertDeliveries(tx, h.id(), h.tenant(), "raised", ds, now).map(pending);
              });
        }))
        .map(pending -> {
          if (pending >= 0) {
            log.info("silence ended; alert active id={} tenant={} silence={} deliveries={}", h.id(), h.tenant(),
                h.silenceId(), pending);
          }
          return Math.max(0, pending);
        });
  }

  private static JsonObject silence(HeldAlert h) {
    return new JsonObject().put("silence_id", h.silenceId().toString());
  }

  private static AlertFields fields(HeldAlert h) {
    List<Map<String, Object>> events;
    try {
      events = JSON.readValue(h.evidenceJson(), EVENTS);
    } catch (Exception e) {
      events = List.of();
    }
    return new AlertFields(h.rule(), h.key(), h.severity(), h.tags(), events);
  }
}
