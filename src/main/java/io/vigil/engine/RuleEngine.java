package io.vigil.engine;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.TimeGauge;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vigil.alert.AlertService;
import io.vigil.config.VigilConfig;
import io.vigil.rules.Event;
import io.vigil.store.EventJournal;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.concurrent.TimeUnit;
import org.kie.api.KieServices;
import org.kie.api.runtime.KieContainer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The rule engine: one compiled rule set shared by one {@link TenantSession} per tenant, so
 * correlation never crosses tenants. Committed events arrive from the journal; each
 * tenant's session runs on its own thread; a ticker moves every session's pseudo clock
 * forward from the wall clock so timers and absence rules fire without new events.
 *
 * <p>Idle sessions retire (see {@link TenantSession}); a retired tenant is remembered only
 * by the engine time it had reached and its next timer, and is rebuilt by the restart
 * replay when an event arrives or that timer falls due.
 */
public final class RuleEngine {
  private static final Logger log = LoggerFactory.getLogger(RuleEngine.class);

  private final Vertx vertx;
  private final VigilConfig config;
  private final EventJournal journal;
  private final AlertService alerts;
  private final Clock clock;
  private final MeterRegistry metrics;
  private final Map<String, TenantSession> sessions = new ConcurrentHashMap<>();
  /** Sessions whose Drools session exists: the ones a swap must pause. */
  private final Set<TenantSession> started = ConcurrentHashMap.newKeySet();
  /** Tenants whose session retired: what the next one needs to continue where it stopped. */
  private final Map<String, Retired> retired = new ConcurrentHashMap<>();
  private final Set<String> gauged = ConcurrentHashMap.newKeySet();
  private final ReentrantReadWriteLock swapLock = new ReentrantReadWriteLock();
  private volatile RuleSet ruleSet;
  private volatile KieContainer container;
  private volatile boolean stopping;
  private long ticker = -1;

  public RuleEngine(
      Vertx vertx, VigilConfig config, EventJournal journal, AlertService alerts, Clock clock, MeterRegistry metrics) {
    this.vertx = vertx;
    this.config = config;
    this.journal = journal;
    this.alerts = alerts;
    this.clock = clock;
    this.metrics = metrics;
  }

  /** Runs the first rule set, resumes tenants with unprocessed events, starts the ticker. */
  public Future<Void> start(RuleSet initial) {
    Gauge.builder("vigil_engine_sessions", sessions, Map::size)
        .description("Tenant sessions in memory (idle ones retire and are rebuilt on demand)").register(metrics);
    this.ruleSet = initial;
    this.container = KieServices.Factory.get().newKieContainer(initial.releaseId());
    journal.onCommitted(this::accept);
    ticker = vertx.setPeriodic(config.engine().tick().toMillis(), t -> tick());
    return journal.tenantsWithBacklog().map(tenants -> {
      tenants.forEach(this::session);
      return null;
    });
  }

  /**
   * Moves every tenant's live session to a new rule set without losing state: facts,
   * windows and Alert events stay, thresholds and cooldowns stay, and new or changed rules
   * see the events already inserted. Every session thread parks at a barrier between
   * fireAllRules() calls; the last to arrive updates the shared container. Blocking: call it
   * from the rules thread, never an event loop. Fails (and changes nothing) if a session
   * cannot reach the barrier within the timeout.
   */
  public void swap(RuleSet next, long timeoutMs) throws Exception {
    swapLock.writeLock().lock();
    try {
      List<TenantSession> live = new ArrayList<>(started);
      AtomicReference<Throwable> failure = new AtomicReference<>();
      Runnable update = () -> {
        try {
          org.kie.api.builder.Results r = container.updateToVersion(next.releaseId());
          if (r.hasMessages(org.kie.api.builder.Message.Level.ERROR)) {
            failure.set(new IllegalStateException("updating the rule base failed: " + r.getMessages()));
          } else {
            ruleSet = next;
          }
        } catch (Throwable e) {
          failure.set(e);
        }
      };
      if (live.isEmpty()) {
        update.run();
      } else {
        CyclicBarrier barrier = new CyclicBarrier(live.size(), update);
        List<CompletableFuture<Void>> parked = new ArrayList<>();
        for (TenantSession s : live) {
          parked.add(s.swapAt(barrier, next, timeoutMs));
        }
        try {
          CompletableFuture.allOf(parked.toArray(new CompletableFuture[0])).get(timeoutMs * 2, TimeUnit.MILLISECONDS);
        } catch (ExecutionException | TimeoutException e) {
          barrier.reset();
          throw new IllegalStateException("engine sessions did not pause for the swap in time; nothing changed", e);
        }
      }
      if (failure.get() != null) {
        throw new IllegalStateException(failure.get().getMessage(), failure.get());
      }
    } finally {
      swapLock.writeLock().unlock();
    }
  }

  /** The journal's listener: committed events, in seq order, to their tenants' sessions. */
  void accept(List<Event> committed) {
    if (stopping) {
      return;
    }
    Map<String, List<Event>> byTenant = new LinkedHashMap<>();
    for (Event e : committed) {
      byTenant.computeIfAbsent(e.getTenant(), t -> new ArrayList<>()).add(e);
    }
    long now = clock.millis();
    // A session that retired meanwhile refuses the offer after leaving the map: the next
    // lookup builds its successor, which replays the journal and then takes these events.
    byTenant.forEach((tenant, events) -> {
      while (!session(tenant).offer(events, now)) {
        // The retired session has left the map; the next lookup builds its successor.
      }
    });
  }

  private TenantSession session(String tenant) {
    return sessions.computeIfAbsent(tenant, t -> {
      Retired before = retired.remove(t);
      TenantSession s = new TenantSession(t, this, config.engine().inboxMax(),
          before == null ? 0 : before.engineTime(), clock.millis());
      if (gauged.add(t)) {
        // Tenants are bounded by the keys an operator creates, so one series each is bounded too.
        // The gauges look the session up, as a retired one is replaced by a new object.
        Gauge.builder("vigil_engine_queue_depth", this, e -> e.queuedEvents(t))
            .description("Events handed to the tenant's engine session and not yet processed")
            .tag("tenant", t).register(metrics);
        TimeGauge.builder("vigil_engine_lag", this, TimeUnit.MILLISECONDS, e -> e.lagMillis(t))
            .description("Age of the oldest event the tenant's engine session has not processed yet")
            .tag("tenant", t).register(metrics);
        Gauge.builder("vigil_engine_events_held", this, e -> e.heldEvents(t))
            .description("Events in the tenant's engine session (inside windows), at most engine.max_session_events")
            .tag("tenant", t).register(metrics);
      }
      s.start().exceptionally(e -> {
        log.error("engine session failed to start tenant={}", t, e);
        return null;
      });
      return s;
    });
  }

  private int queuedEvents(String tenant) {
    TenantSession s = sessions.get(tenant);
    return s == null ? 0 : s.queuedEvents();
  }

  private int heldEvents(String tenant) {
    TenantSession s = sessions.get(tenant);
    return s == null ? 0 : s.heldEvents();
  }

  /** Counts events a session deleted before their windows ended, to stay within its cap. */
  void evicted(String tenant, long events) {
    metrics.counter("vigil_engine_events_evicted", "tenant", tenant).increment(events);
  }

  private long lagMillis(String tenant) {
    TenantSession s = sessions.get(tenant);
    return s == null ? 0 : s.lagMillis(clock.millis());
  }

  private void tick() {
    long now = clock.millis();
    sessions.values().forEach(s -> s.tick(now));
    // A retired tenant with a timer due (an absence, an expiry) is rebuilt to fire it.
    retired.forEach((tenant, r) -> {
      if (r.wakeAt() >= 0 && r.wakeAt() <= now && !stopping) {
        session(tenant);
      }
    });
  }

  long idleTimeoutMillis() {
    return config.engine().idleSessionTimeout().toMillis();
  }

  /**
   * Waits (on an engine thread) until every raise and position the tenant submitted so far
   * is stored; only its own writer, so other tenants' load cannot keep it from retiring.
   */
  boolean alertsStored(String tenant, long timeoutMs) {
    try {
      alerts.flush(tenant).toCompletionStage().toCompletableFuture().get(timeoutMs, TimeUnit.MILLISECONDS);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    } catch (ExecutionException | TimeoutException e) {
      return false;
    }
  }

  /**
   * Retires a session if nothing was offered to it since {@code seen}: it leaves the map and
   * the swap set together, so neither the journal nor a reload reaches it again. Skipped
   * while a reload holds the swap lock (the session would never reach the barrier).
   */
  boolean retire(TenantSession s, long seen, long engineTime, long wakeAt) {
    if (stopping || !swapLock.readLock().tryLock()) {
      return false;
    }
    try {
      synchronized (s) {
        if (!s.markRetiredIfUnchanged(seen)) {
          return false;
        }
        retired.put(s.tenant(), new Retired(engineTime, wakeAt));
        metrics.counter("vigil_engine_sessions_retired").increment();
        started.remove(s);
        sessions.remove(s.tenant(), s);
        return true;
      }
    } finally {
      swapLock.readLock().unlock();
    }
  }

  /** Tenants whose session has retired (for status and tests). */
  public Set<String> retiredTenants() {
    return Set.copyOf(retired.keySet());
  }

  private record Retired(long engineTime, long wakeAt) {}

  /**
   * A session's Drools half, created on its own thread. Creation waits while a swap is
   * running, and a session created counts for every later swap.
   */
  RuleSession newRuleSession(TenantSession owner) {
    swapLock.readLock().lock();
    try {
      RuleSession s = new RuleSession(owner.tenant(), container, ruleSet, config.engine().maxEvidence(),
          config.engine().maxSessionEvents());
      started.add(owner);
      return s;
    } finally {
      swapLock.readLock().unlock();
    }
  }

  EventJournal journal() {
    return journal;
  }

  AlertService alerts() {
    return alerts;
  }

  public RuleSet ruleSet() {
    return ruleSet;
  }

  public boolean ready() {
    return ruleSet != null && !stopping;
  }

  /** Counts what the rules raised (not the silent replay after a restart) per tenant and rule. */
  void fired(String tenant, List<io.vigil.alert.RaisedAlert> raised) {
    for (io.vigil.alert.RaisedAlert r : raised) {
      metrics.counter("vigil_rule_firings", "tenant", tenant, "rule", r.rule()).increment();
    }
  }

  /** Every tenant's session: how much it has queued and how far behind it is. */
  public List<SessionStatus> sessions() {
    long now = clock.millis();
    List<SessionStatus> out = new ArrayList<>();
    sessions.values().forEach(s -> out.add(new SessionStatus(s.tenant(), s.queuedEvents(), s.lagMillis(now),
        s.live(), s.heldEvents(), s.evictedEvents())));
    out.sort(java.util.Comparator.comparing(SessionStatus::tenant));
    return out;
  }

  /** Events handed to sessions and not processed yet, over all tenants. */
  public int queuedEvents() {
    return sessions.values().stream().mapToInt(TenantSession::queuedEvents).sum();
  }

  /** Stops taking events, lets every session finish what it has, then flushes alerts. */
  public Future<Void> stop() {
    stopping = true;
    if (ticker >= 0) {
      vertx.cancelTimer(ticker);
    }
    return vertx.executeBlocking(() -> {
          sessions.values().forEach(s -> s.stop(30_000));
          return null;
        }, false)
        // Raises not stored by then are not lost: their events stay after the stored position
        // and are processed again at the next start.
        .compose(v -> alerts.flush().timeout(30, TimeUnit.SECONDS).recover(e -> {
          log.warn("alerts still unwritten at shutdown; they will be raised again from the journal at next start");
          return Future.succeededFuture();
        }))
        .onComplete(v -> {
          if (container != null) {
            container.dispose();
          }
        });
  }
}
