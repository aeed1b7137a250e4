package io.vigil.engine;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vigil.alert.AlertService;
import io.vigil.config.VigilConfig;
import io.vigil.rules.Event;
import io.vigil.store.EventJournal;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
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
 */
public final class RuleEngine {
  private static final Logger log = LoggerFactory.getLogger(RuleEngine.class);

  private final Vertx vertx;
  private final VigilConfig config;
  private final EventJournal journal;
  private final AlertService alerts;
  private final RuleCompiler compiler;
  private final Clock clock;
  private final Map<String, TenantSession> sessions = new ConcurrentHashMap<>();
  private volatile RuleSet ruleSet;
  private volatile KieContainer container;
  private volatile boolean stopping;
  private long ticker = -1;

  public RuleEngine(
      Vertx vertx, VigilConfig config, EventJournal journal, AlertService alerts, RuleCompiler compiler, Clock clock) {
    this.vertx = vertx;
    this.config = config;
    this.journal = journal;
    this.alerts = alerts;
    this.compiler = compiler;
    this.clock = clock;
  }

  /** Compiles the rules directory, resumes tenants with unprocessed events, starts the ticker. */
  public Future<Void> start() {
    Path dir = config.rulesDir();
    return vertx.executeBlocking(() -> compiler.compile(RuleFiles.read(dir)), false)
        .compose(set -> {
          this.ruleSet = set;
          this.container = KieServices.Factory.get().newKieContainer(set.releaseId());
          report(set, dir);
          journal.onCommitted(this::accept);
          ticker = vertx.setPeriodic(config.engine().tick().toMillis(), t -> tick());
          return journal.tenantsWithBacklog();
        })
        .map(tenants -> {
          tenants.forEach(this::session);
          return null;
        });
  }

  private static void report(RuleSet set, Path dir) {
    log.info("rules loaded: {} rules from {} ({} files failed), version {}",
        set.rules().size(), dir.toAbsolutePath().normalize(), set.failedFiles().size(), set.version());
    set.failedFiles().forEach((file, errors) -> errors.forEach(e -> log.warn("rule file failed: {}", e)));
    set.warnings().forEach(w -> log.warn("rules: {}", w));
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
    byTenant.forEach((tenant, events) -> session(tenant).offer(events));
  }

  private TenantSession session(String tenant) {
    return sessions.computeIfAbsent(tenant, t -> {
      TenantSession s = new TenantSession(t, this, config.engine().inboxMax());
      s.start().exceptionally(e -> {
        log.error("engine session failed to start tenant={}", t, e);
        return null;
      });
      return s;
    });
  }

  private void tick() {
    long now = clock.millis();
    sessions.values().forEach(s -> s.tick(now));
  }

  RuleSession newRuleSession(String tenant) {
    return new RuleSession(tenant, container, ruleSet, config.engine().maxEvidence());
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
