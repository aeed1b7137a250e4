package io.vigil.alert;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vigil.alert.silence.AlertFields;
import io.vigil.alert.silence.Silence;
import io.vigil.alert.silence.Silences;
import io.vigil.config.VigilConfig;
import io.vigil.delivery.Channel;
import io.vigil.delivery.Channels;
import io.vigil.rules.Severity;
import io.vigil.rules.Event;
import io.vigil.store.AlertEvents;
import io.vigil.store.AlertStore;
import io.vigil.template.Masking;
import io.vigil.store.AlertStore.NewAlert;
import io.vigil.store.AlertStore.NewDelivery;
import io.vigil.store.EventCodec;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The alert lifecycle: turns raises into alerts (a raise while an alert with the same
 * fingerprint is open, or inside the rule's cooldown, only counts an occurrence), writes
 * each new alert with one outbox row per channel in one transaction (held back, with the
 * reason, when a silence covers it), and acknowledges and resolves alerts.
 *
 * <p>Raises from each tenant are written in the order the engine raised them, together
 * with the engine's journal position, so after a crash the engine resumes exactly after
 * the last event whose alerts are stored: no alert is lost and none is raised twice.
 */
public final class AlertService {
  private static final Logger log = LoggerFactory.getLogger(AlertService.class);

  private final Vertx vertx;
  private final AlertStore store;
  private final VigilConfig config;
  private final Channels channels;
  private final Silences silences;
  private final Clock clock;
  private final Runnable onNewDeliveries;
  /** The statuses of an open alert, which acknowledge and resolve move from. */
  static final List<String> OPEN = List.of("active", "acknowledged", "suppressed");

  private final Map<String, TenantAlertWriter> writers = new ConcurrentHashMap<>();
  /** A key may be an event value (a card number); the log gets it masked as messages do. */
  private final Masking masking;
  private final DeliveryLimits limits;
  private final AlertEvents events;

  public AlertService(
      Vertx vertx, AlertStore store, VigilConfig config, Channels channels, Silences silences, Clock clock,
      Runnable onNewDeliveries) {
    this.vertx = vertx;
    this.silences = silences;
    this.store = store;
    this.config = config;
    this.channels = channels;
    this.clock = clock;
    this.onNewDeliveries = onNewDeliveries;
    this.limits = new DeliveryLimits(channels);
    this.masking = new Masking(config.templates().maskSensitive(), config.templates().sensitiveFields());
    this.events = new AlertEvents(store.pool());
  }

  /**
   * Queues raises and the journal position they came from. Called on engine threads; blocks
   * when the tenant's queue is full, which slows that tenant's engine rather than losing alerts.
   */
  public void submit(String tenant, List<RaisedAlert> raises, long position) throws InterruptedException {
    writers.computeIfAbsent(tenant, t -> new TenantAlertWriter(t, vertx.getOrCreateContext(), this::write))
        .submit(raises, position);
  }

  /** Completes once everything one tenant submitted so far is written. */
  public Future<Void> flush(String tenant) {
    TenantAlertWriter w = writers.get(tenant);
    return w == null ? Future.succeededFuture() : w.idle();
  }

  /** Completes once everything submitted so far is written. */
  public Future<Void> flush() {
    List<Future<Void>> all = new ArrayList<>();
    writers.values().forEach(w -> all.add(w.idle()));
    return Future.all(all).mapEmpty();
  }

  /**
   * Writes one batch in one transaction; returns how many deliveries it created. Raises of
   * one fingerprint are recorded one after the other, in order (the first opens the alert,
   * the next counts on it); raises of different fingerprints touch different alerts, so
   * their statements go out together and the connection pipelines them: a batch costs a
   * few round trips, not a few per raise. {@link RaiseTurns} keeps what depends on order
   * (channel caps, the numbering of alerts) in raise order.
   */
  private Future<Integer> write(String tenant, List<RaisedAlert> raises, long position) {
    Instant now = clock.instant();
    return store.pool()
        .withTransaction(tx -> {
          Map<String, Future<Integer>> lastOfFingerprint = new HashMap<>();
          List<Future<Integer>> recorded = new ArrayList<>();
          RaiseTurns turns = new RaiseTurns();
          for (RaisedAlert r : raises) {
            RaiseTurns.Turn turn = turns.next();
            String fingerprint = r.fingerprint();
            Future<Integer> before = lastOfFingerprint.get(fingerprint);
            Future<Integer> one = (before == null ? record(tx, r, fingerprint, now, turn)
                : before.compose(n -> record(tx, r, fingerprint, now, turn)))
                .andThen(ar -> turn.pass());
            lastOfFingerprint.put(fingerprint, one);
            recorded.add(one);
          }
          // The position goes out with the raises: the transaction commits both or neither.
          Future<Void> saved = position > 0 ? store.savePosition(tx, tenant, position) : Future.succeededFuture();
          // join, not all: the transaction ends only after every statement sent in it has answered.
          List<Future<?>> all = new ArrayList<>(recorded);
          all.add(saved);
          return Future.join(all).map(done -> recorded.stream().mapToInt(Future::result).sum());
        })
        .onSuccess(created -> {
          if (created > 0) {
            onNewDeliveries.run();
          }
        });
  }

  private Future<Integer> record(
      io.vertx.sqlclient.SqlClient tx, RaisedAlert r, String fingerprint, Instant now, RaiseTurns.Turn turn) {
    if (r.isClear()) {
      return clear(tx, r, fingerprint, now);
    }
    String evidence = evidenceJson(r.evidence());
    Instant seen = Instant.ofEpochMilli(r.time());
    int maxEvidence = config.engine().maxEvidence();
    // An open alert takes the raise as an occurrence; inside the cooldown, so does the last one.
    return store.addOccurrence(tx, fingerprint, seen, evidence, maxEvidence, false, "duplicate_active")
        .compose(found -> found || !r.withinCooldown()
            ? Future.succeededFuture(found)
            : store.addOccurrence(tx, fingerprint, seen, evidence, maxEvidence, true, "cooldown"))
        .compose(found -> {
          if (found) {
            return Future.succeededFuture(0);
          }
          // Silences are wall-clock: decided on Vigil's clock at write time, not the event's time.
          // Over the rule's hourly cap the alert is kept suppressed, with the reason, and no
          // silence is looked up: it is delivered to no one either way.
          Optional<Silence> silence = r.rateLimited() ? Optional.empty() : silenceFor(r, now);
          NewAlert alert = new NewAlert(
              r.tenant(), r.rule(), r.key(), fingerprint, r.severity(),
              (r.rateLimited() || silence.isPresent() ? AlertStatus.SUPPRESSED : AlertStatus.ACTIVE).label(),
              r.summary(), r.tags(), r.template().orElse(null), evidence, seen, r.eventSeq(), now,
              r.rateLimited() ? DeliveryLimits.RATE_LIMITED : silence.isPresent() ? Silences.REASON : null,
              r.resolveAfter().orElse(config.alerts().resolveAfter()), r.repeat().orElse(config.alerts().repeat()));
          // A silenced alert uses none of a channel's hourly allowance and joins no digest.
          Future<List<NewDelivery>> decided = turn.decide(() -> silence.isPresent()
              ? Future.succeededFuture(Silences.held(deliveriesFor(r)))
              : limits.apply(tx, r, deliveriesFor(r), now));
          return decided.compose(deliveries -> turn.insert(() -> store.insert(tx, alert, deliveries))
              .compose(id -> silence.isEmpty() ? Future.succeededFuture(id)
                  : silences.hold(tx, id, silence.get()).map(id))
              .compose(id -> limits.countHeldBack(tx, r, id, deliveries, now).map(id))
              .map(id -> {
                log.info("alert raised id={} tenant={} rule=\"{}\" key={} severity={} channels={}{}",
                    id, r.tenant(), r.rule(), masking.apply(r.key()), r.severity(), deliveries.size(),
                    silence.map(x -> " silenced_by=" + x.id()).orElse(""));
                return (int) deliveries.stream().filter(d -> d.status().equals("pending")).count();
              }));
        });
  }

  /** A rule's alerts.resolve: resolves the open alert of that rule and key, if there is one. */
  private Future<Integer> clear(io.vertx.sqlclient.SqlClient tx, RaisedAlert r, String fingerprint, Instant now) {
    String by = "rule:" + r.resolvedBy().orElseThrow();
    return store.openAlertId(tx, fingerprint).compose(id -> id.isEmpty()
        ? Future.succeededFuture(0)
        : transitionIn(tx, r.tenant(), id.get(), AlertStatus.RESOLVED, OPEN, now, by, null, null).map(n -> {
          log.info("alert resolved id={} tenant={} by={}", id.get(), r.tenant(), by);
          return n.orElse(0);
        }));
  }

  private Optional<Silence> silenceFor(RaisedAlert r, Instant now) {
    if (!silences.any(r.tenant())) {
      return Optional.empty();
    }
    List<Map<String, Object>> events = r.evidence().stream().map(EventCodec::toMap).toList();
    return silences.matching(r.tenant(), new AlertFields(r.rule(), r.key(), r.severity(), r.tags(), events), now);
  }

  private List<NewDelivery> deliveriesFor(RaisedAlert r) {
    List<String> names = r.channels().isEmpty() ? config.defaultChannelsFor(r.tenant()) : r.channels();
    return deliveriesFor(r.tenant(), names, r.severity());
  }

  /**
   * The deliveries of an alert a silence held back, now that it goes out to {@code names}: as
   * a raise makes them, under the channel caps and digests of the hour it goes out in.
   */
  Future<List<NewDelivery>> releasedDeliveries(
      io.vertx.sqlclient.SqlClient tx, UUID alertId, String tenant, List<String> names, String severity,
      Instant now) {
    return limits.apply(tx, tenant, deliveriesFor(tenant, names, severity), now)
        .compose(ds -> limits.countHeldBack(tx, tenant, "", alertId, ds, now).map(ds));
  }

  /**
   * One delivery per channel, as a raise makes them: pending; skipped below the channel's
   * min_severity; failed at once for a channel that is not configured.
   */
  List<NewDelivery> deliveriesFor(String tenant, List<String> names, String severity) {
    int rank = Severity.parse(severity).map(Enum::ordinal).orElse(0);
    List<NewDelivery> out = new ArrayList<>();
    for (String name : names) {
      Optional<Channel> ch = channels.get(tenant, name);
      if (ch.isEmpty()) {
        out.add(new NewDelivery(name, "failed", "unknown_channel: channel '" + name + "' is not configured", null));
      } else if (ch.get().options().minSeverity().map(min -> rank < min.ordinal()).orElse(false)) {
        out.add(new NewDelivery(name, "skipped", null, "below_min_severity"));
      } else {
        out.add(new NewDelivery(name, "pending", null, null));
      }
    }
    return out;
  }

  private static String evidenceJson(List<Event> evidence) {
    JsonArray a = new JsonArray();
    for (Event e : evidence) {
      a.add(new JsonObject(EventCodec.toMap(e)));
    }
    return a.encode();
  }

  public Future<Optional<JsonObject>> get(String tenant, UUID id) {
    return store.get(tenant, id);
  }

  public Future<AlertStore.Page> list(String tenant, AlertStore.AlertQuery query) {
    return store.list(tenant, query);
  }

  /** Acknowledges an open alert; repeating it is harmless. A resolved alert is a conflict. */
  public Future<Transition> acknowledge(String tenant, UUID id, String by, String note) {
    return acknowledge(tenant, id, by, note, null);
  }

  /** As {@link #acknowledge(String, UUID, String, String)}, naming the API key that asked (for the timeline). */
  public Future<Transition> acknowledge(String tenant, UUID id, String by, String note, String keyId) {
    return transition(tenant, id, AlertStatus.ACKNOWLEDGED, OPEN, by, note, keyId);
  }

  /** Resolves an open alert; a raise after this opens a new alert. */
  public Future<Transition> resolve(String tenant, UUID id, String by, String note) {
    return resolve(tenant, id, by, note, null);
  }

  /** As {@link #resolve(String, UUID, String, String)}, naming the API key that asked (for the timeline). */
  public Future<Transition> resolve(String tenant, UUID id, String by, String note, String keyId) {
    return transition(tenant, id, AlertStatus.RESOLVED, OPEN, by, note, keyId);
  }

  private Future<Transition> transition(
      String tenant, UUID id, AlertStatus to, List<String> from, String by, String note, String keyId) {
    Instant now = clock.instant();
    return store.pool()
        .withTransaction(tx -> transitionIn(tx, tenant, id, to, from, now, by, note, keyId))
        .compose(changed -> {
          if (changed.isEmpty()) {
            return store.status(tenant, id).map(s -> s.isEmpty() ? Transition.notFound() : Transition.conflict(s.get()));
          }
          if (changed.get() > 0) {
            onNewDeliveries.run();
          }
          log.info("alert {} id={} tenant={} by={}", to.label(), id, tenant, by);
          return store.get(tenant, id).map(a -> Transition.done(a.orElseThrow()));
        });
  }

  /**
   * Changes the alert's status inside {@code tx} and queues the notice of the change for each
   * channel it was raised to that wants one (PagerDuty always; others with send_resolved).
   * Empty when the alert is not in {@code from}; else how many notices were queued (none when
   * the status was already {@code to}: a repeated acknowledge sends nothing). Each change,
   * and each repeat that carries a note, is kept for the alert's timeline in the same
   * transaction; {@code keyId} is the API key that asked, null when Vigil or a rule did.
   */
  Future<Optional<Integer>> transitionIn(io.vertx.sqlclient.SqlClient tx, String tenant, UUID id, AlertStatus to,
      List<String> from, Instant now, String by, String note, String keyId) {
    String kind = to.label();
    return store.transition(tx, tenant, id, kind, from, now, by, note)
        .compose(previous -> previous.isEmpty() || (previous.get().equals(kind) && note == null)
            ? Future.succeededFuture(previous)
            : events.append(tx, id, tenant, now, kind, keyId, by, note, null).map(previous))
        .compose(previous -> {
          if (previous.isEmpty() || previous.get().equals(kind)) {
            return Future.succeededFuture(previous.map(p -> 0));
          }
          return notify(tx, tenant, id, kind, now).map(Optional::of);
        });
  }

  /** Keeps an act of Vigil's own on an alert (a silence released or resolved it) for its timeline. */
  Future<Void> recordAct(io.vertx.sqlclient.SqlClient tx, UUID id, String tenant, Instant now, String kind,
      String note, JsonObject details) {
    return events.append(tx, id, tenant, now, kind, null, "vigil", note, details);
  }

  /** Queues a {@code kind} notice of an alert for each channel it was raised to that wants it; returns how many. */
  Future<Integer> notify(io.vertx.sqlclient.SqlClient tx, String tenant, UUID id, String kind, Instant now) {
    return store.raisedChannels(tx, id).compose(names -> {
      List<NewDelivery> notices = new ArrayList<>();
      for (String name : names) {
        if (channels.get(tenant, name).map(c -> c.wants("alert." + kind)).orElse(false)) {
          notices.add(new NewDelivery(name, "pending", null, null));
        }
      }
      return notices.isEmpty() ? Future.succeededFuture(0)
          : store.insertDeliveries(tx, id, tenant, kind, notices, now).map(v -> notices.size());
    });
  }

  /** Wakes the delivery worker after notices were queued outside a raise. */
  void deliveriesQueued() {
    onNewDeliveries.run();
  }

  /** The outcome of an acknowledge or resolve. */
  public record Transition(JsonObject alert, boolean found, String currentStatus) {
    static Transition done(JsonObject a) {
      return new Transition(a, true, a.getString("status"));
    }

    static Transition notFound() {
      return new Transition(null, false, null);
    }

    static Transition conflict(String status) {
      return new Transition(null, true, status);
    }

    public boolean conflict() {
      return found && alert == null;
    }
  }
}
