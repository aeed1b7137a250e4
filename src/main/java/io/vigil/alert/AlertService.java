package io.vigil.alert;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
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
 * each new alert with one outbox row per channel in one transaction, and acknowledges and
 * resolves alerts.
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
  private final Clock clock;
  private final Runnable onNewDeliveries;
  private final Map<String, TenantAlertWriter> writers = new ConcurrentHashMap<>();
  /** A key may be an event value (a card number); the log gets it masked as messages do. */
  private final Masking masking;
  private final AlertEvents events;

  public AlertService(
      Vertx vertx, AlertStore store, VigilConfig config, Channels channels, Clock clock, Runnable onNewDeliveries) {
    this.vertx = vertx;
    this.store = store;
    this.config = config;
    this.channels = channels;
    this.clock = clock;
    this.onNewDeliveries = onNewDeliveries;
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

  /** Completes once everything submitted so far is written. */
  public Future<Void> flush() {
    List<Future<Void>> all = new ArrayList<>();
    writers.values().forEach(w -> all.add(w.idle()));
    return Future.all(all).mapEmpty();
  }

  /** Writes one batch in one transaction; returns how many deliveries it created. */
  private Future<Integer> write(String tenant, List<RaisedAlert> raises, long position) {
    Instant now = clock.instant();
    return store.pool()
        .withTransaction(tx -> {
          Future<Integer> chain = Future.succeededFuture(0);
          for (RaisedAlert r : raises) {
            chain = chain.compose(n -> record(tx, r, now).map(created -> n + created));
          }
          return position > 0 ? chain.compose(n -> store.savePosition(tx, tenant, position).map(n)) : chain;
        })
        .onSuccess(created -> {
          if (created > 0) {
            onNewDeliveries.run();
          }
        });
  }

  private Future<Integer> record(io.vertx.sqlclient.SqlClient tx, RaisedAlert r, Instant now) {
    String fingerprint = Fingerprint.of(r.tenant(), r.rule(), r.key());
    String evidence = evidenceJson(r.evidence());
    Instant seen = Instant.ofEpochMilli(r.time());
    int maxEvidence = config.engine().maxEvidence();
    return store.addOccurrence(tx, fingerprint, seen, evidence, maxEvidence, false)
        .compose(found -> found || !r.withinCooldown()
            ? Future.succeededFuture(found)
            : store.addOccurrence(tx, fingerprint, seen, evidence, maxEvidence, true))
        .compose(found -> {
          if (found) {
            return Future.succeededFuture(0);
          }
          // Over the rule's hourly cap: kept, with the reason, and delivered to no one.
          List<NewDelivery> deliveries = r.rateLimited() ? List.of() : deliveriesFor(r);
          NewAlert alert = new NewAlert(
              r.tenant(), r.rule(), r.key(), fingerprint, r.severity(),
              (r.rateLimited() ? AlertStatus.SUPPRESSED : AlertStatus.ACTIVE).label(),
              r.summary(), r.tags(), r.template().orElse(null), evidence, seen, r.eventSeq(), now,
              r.rateLimited() ? "rate_limited" : null);
          return store.insert(tx, alert, deliveries)
              .map(id -> {
                log.info("alert raised id={} tenant={} rule=\"{}\" key={} severity={} channels={}",
                    id, r.tenant(), r.rule(), masking.apply(r.key()), r.severity(), deliveries.size());
                return (int) deliveries.stream().filter(d -> d.status().equals("pending")).count();
              });
        });
  }

  private List<NewDelivery> deliveriesFor(RaisedAlert r) {
    List<String> names = r.channels().isEmpty() ? config.defaultChannelsFor(r.tenant()) : r.channels();
    int rank = Severity.parse(r.severity()).map(Enum::ordinal).orElse(0);
    List<NewDelivery> out = new ArrayList<>();
    for (String name : names) {
      Optional<Channel> ch = channels.get(r.tenant(), name);
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
    return transition(tenant, id, AlertStatus.ACKNOWLEDGED,
        List.of("active", "acknowledged", "suppressed"), by, note, keyId);
  }

  /** Resolves an open alert; a raise after this opens a new alert. */
  public Future<Transition> resolve(String tenant, UUID id, String by, String note) {
    return resolve(tenant, id, by, note, null);
  }

  /** As {@link #resolve(String, UUID, String, String)}, naming the API key that asked (for the timeline). */
  public Future<Transition> resolve(String tenant, UUID id, String by, String note, String keyId) {
    return transition(tenant, id, AlertStatus.RESOLVED, List.of("active", "acknowledged", "suppressed"), by, note,
        keyId);
  }

  /**
   * Changes the alert's status and, in the same transaction, queues the notice of the
   * change for each channel it was raised to that wants one (PagerDuty always; others with
   * send_resolved). A repeated acknowledge changes nothing and sends nothing. Each change,
   * and each repeat that carries a note, is kept for the alert's timeline in the same
   * transaction.
   */
  private Future<Transition> transition(
      String tenant, UUID id, AlertStatus to, List<String> from, String by, String note, String keyId) {
    Instant now = clock.instant();
    String kind = to.label();
    return store.pool()
        .withTransaction(tx -> store.transition(tx, tenant, id, to.label(), from, now, by, note)
            .compose(previous -> previous.isEmpty() || (previous.get().equals(to.label()) && note == null)
                ? Future.succeededFuture(previous)
                : events.append(tx, id, tenant, now, kind, keyId, by, note, null).map(previous))
            .compose(previous -> {
              if (previous.isEmpty() || previous.get().equals(to.label())) {
                return Future.succeededFuture(previous.map(p -> 0));
              }
              return store.raisedChannels(tx, id).compose(names -> {
                List<NewDelivery> notices = new ArrayList<>();
                for (String name : names) {
                  if (channels.get(tenant, name).map(c -> c.wants("alert." + kind)).orElse(false)) {
                    notices.add(new NewDelivery(name, "pending", null, null));
                  }
                }
                return notices.isEmpty() ? Future.succeededFuture(Optional.of(0))
                    : store.insertDeliveries(tx, id, tenant, kind, notices, now).map(v -> Optional.of(notices.size()));
              });
            }))
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
