package io.vigil.engine;

import io.vigil.alert.RaisedAlert;
import io.vigil.rules.AlertRaise;
import io.vigil.rules.Alerts;
import io.vigil.rules.Conditions;
import io.vigil.rules.Event;
import io.vigil.rules.Thresholds;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.drools.core.common.InternalFactHandle;
import org.kie.api.runtime.KieContainer;
import org.kie.api.runtime.KieSession;
import org.kie.api.runtime.rule.FactHandle;
import org.kie.api.time.SessionPseudoClock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One tenant's Drools session in STREAM mode on the pseudo clock, without threads: the
 * caller owns it from one thread. It is the same code whether the clock is moved by the
 * wall clock (production), by a journal replay after a restart, or by hand (rule tests):
 * the clock moves to an event's receive time before the event is inserted, and rules fire
 * after every insert (firing once per batch would evaluate windows after the clock moved on).
 *
 * <p>Engine-side policy lives here too, on the engine clock, so a journal replay rebuilds
 * it: {@code @cooldown} per rule and key, {@code @max_alerts_per_hour} per rule, and the
 * {@link Thresholds} counters.
 */
public final class RuleSession implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RuleSession.class);
  private static final long HOUR = 3_600_000L;
  /** How often, in engine time, the threshold counters (one per key) are swept for idle keys. */
  private static final long SWEEP_EVERY_MS = 10_000L;

  private final String tenant;
  private final KieSession session;
  private final SessionPseudoClock clock;
  private final Thresholds thresholds;
  private final int maxEvidence;
  private final int maxEvents;
  /**
   * Handles of the events inserted, oldest first, with those Drools has already let go
   * (expired, or deleted by a rule) dropped from the head as they reach it: what the
   * {@code engine.max_session_events} cap counts and evicts from.
   */
  private final ArrayDeque<FactHandle> events = new ArrayDeque<>();
  private long evicted;
  private final List<AlertRaise> fired = new ArrayList<>();
  /**
   * Last raise outside a cooldown, per rule and key, in engine-clock milliseconds. Kept in
   * the order of that time (a key raised again moves to the end; the engine clock never goes
   * back), so eviction reads only the expired head instead of every key on every tick.
   */
  private final LinkedHashMap<String, Long> lastPage = new LinkedHashMap<>();
  /**
   * Matches already raised (rule, key, event positions), until their events have expired;
   * in raise order, which is time order, for the same reason.
   */
  private final LinkedHashMap<String, Long> raisedMatches = new LinkedHashMap<>();
  /** Pages of the last hour per rule with {@code @max_alerts_per_hour}. */
  private final Map<String, ArrayDeque<Long>> pagesThisHour = new HashMap<>();
  private RuleSet ruleSet;
  private long operations;
  private long lastSweep = Long.MIN_VALUE / 2;
  private long ruleFailures;

  /**
   * {@code maxEvents}: events held at most; past it the oldest are deleted from the session
   * before their windows end, so the heap a tenant's windows take has a bound whatever the
   * event rate (counted in {@link #evicted()}).
   */
  public RuleSession(String tenant, KieContainer container, RuleSet ruleSet, int maxEvidence, int maxEvents) {
    if (maxEvents < 1) {
      throw new IllegalArgumentException("maxEvents must be at least 1: " + maxEvents);
    }
    this.tenant = tenant;
    this.ruleSet = ruleSet;
    this.maxEvidence = maxEvidence;
    this.maxEvents = maxEvents;
    this.session = container.newKieSession();
    this.clock = session.getSessionClock();
    this.thresholds = new Thresholds(clock::getCurrentTime);
    session.setGlobal("alerts", new Alerts(tenant, fired::add));
    session.setGlobal("thresholds", thresholds);
    session.setGlobal("conditions", Conditions.INSTANCE);
  }

  public String tenant() {
    return tenant;
  }

  /** The engine clock, epoch milliseconds. */
  public long now() {
    return clock.getCurrentTime();
  }

  /**
   * Engine time of the next scheduled Drools job (a timer, an absence, an event expiring),
   * or -1 when nothing is scheduled: when a retired session must be rebuilt at the latest.
   */
  public long nextTimerAt() {
    if (clock instanceof org.drools.core.time.TimerService timers) {
      long in = timers.getTimeToNextJob();
      return in == -1 ? -1 : clock.getCurrentTime() + Math.max(0, in);
    }
    return clock.getCurrentTime();
  }

  /** Cooldowns and raised matches remembered, which eviction keeps to those still running. */
  int remembered() {
    return lastPage.size() + raisedMatches.size();
  }

  public long factCount() {
    return session.getFactCount();
  }

  /**
   * Events the session holds, at most: every event inserted that has not expired, been
   * evicted, or been deleted by a rule (one a rule deleted counts until it is the oldest).
   */
  public int heldEvents() {
    return events.size();
  }

  /** Events deleted before their time because the session held {@code maxEvents}. */
  public long evicted() {
    return evicted;
  }

  /** Receive time of the oldest event still held, or -1: how far back windows reach now. */
  public long oldestHeldAt() {
    FactHandle h = events.peekFirst();
    return h == null ? -1 : ((Event) ((InternalFactHandle) h).getObject()).getReceivedAt();
  }

  public Thresholds thresholds() {
    return thresholds;
  }

  /** Moves the clock to the event's receive time (never backwards), inserts it, fires rules. */
  public List<RaisedAlert> process(Event event) {
    List<RaisedAlert> out = new ArrayList<>();
    moveClock(event.getReceivedAt(), out);
    try {
      events.addLast(session.insert(event));
      holdAtMost(maxEvents);
    } catch (RuntimeException e) {
      // A constraint that throws on this event (a rule bug, not the event's): the other rules
      // have seen it; the engine goes on with the next event rather than stall the tenant.
      ruleFailure(e, event);
    }
    fire(event);
    collect(event.getSeq(), out);
    if (++operations % 4096 == 0) {
      evict();
    }
    return out;
  }

  /** Moves the clock forward (timers and expirations run) and fires what became due. */
  public List<RaisedAlert> advanceTo(long epochMillis) {
    List<RaisedAlert> out = new ArrayList<>();
    moveClock(epochMillis, out);
    evict();
    return out;
  }

  /**
   * Takes the rule set the shared container was just moved to: metadata comes from it
   * from now on, and rules that changed see the events already in the session.
   */
  public List<RaisedAlert> ruleSetChanged(RuleSet changed) {
    this.ruleSet = changed;
    List<RaisedAlert> out = new ArrayList<>();
    fire(null);
    collect(0, out);
    return out;
  }

  private void moveClock(long target, List<RaisedAlert> out) {
    long now = clock.getCurrentTime();
    if (target > now) {
      clock.advanceTime(target - now, TimeUnit.MILLISECONDS);
      fire(null);
      collect(0, out);
    }
  }

  /**
   * Fires the agenda. A consequence that throws stops Drools' firing loop with the rest of
   * the agenda still due; it is logged and firing resumes, so one failing rule never
   * keeps the others from running or the engine from moving on.
   */
  private void fire(Event event) {
    for (int attempt = 0; attempt < 1000; attempt++) {
      try {
        session.fireAllRules();
        return;
      } catch (RuntimeException e) {
        ruleFailure(e, event);
      }
    }
  }

  private void ruleFailure(RuntimeException e, Event event) {
    ruleFailures++;
    log.error("rule failed tenant={} event={} error={}", tenant, event == null ? "-" : event.getId(),
        e.getMessage() == null ? e.toString() : e.getMessage().replaceAll("\\s+", " "));
  }

  /** Rules that threw, since the session started. */
  public long ruleFailures() {
    return ruleFailures;
  }

  private void collect(long eventSeq, List<RaisedAlert> out) {
    if (fired.isEmpty()) {
      return;
    }
    for (AlertRaise raise : fired) {
      if (!firstTimeMatched(raise)) {
        continue;
      }
      if (raise.isClear()) {
        forgetCooldown(raise.getRule(), raise.getKey());
        out.add(new RaisedAlert(tenant, raise.getRule(), raise.getKey(), raise.getSeverity(), raise.getSummary(),
            List.of(), List.of(), Optional.empty(), raise.getEvidence(), raise.getTime(), eventSeq, Duration.ZERO,
            false, false, Optional.empty(), Optional.empty(), Optional.of(raise.getResolvedBy())));
        continue;
      }
      RuleInfo info = ruleSet.rule(raise.getRuleId());
      RuleMetadata meta = info != null
          ? info.metadata()
          : RuleMetadata.unknown(raise.getSeverity());
      boolean withinCooldown = withinCooldown(raise, meta.cooldown());
      boolean rateLimited = !withinCooldown && overHourlyCap(raise, meta.maxPerHour());
      Set<String> tags = new LinkedHashSet<>(meta.tags());
      tags.addAll(raise.getTags());
      List<Event> evidence = raise.getEvidence();
      if (evidence.size() > maxEvidence) {
        evidence = evidence.subList(evidence.size() - maxEvidence, evidence.size());
      }
      out.add(new RaisedAlert(
          tenant, raise.getRule(), raise.getKey(), raise.getSeverity(), raise.getSummary(), List.copyOf(tags),
          meta.channels(), meta.template(), List.copyOf(evidence), raise.getTime(), eventSeq, meta.cooldown(),
          withinCooldown, rateLimited, meta.resolveAfter(), meta.repeat(), Optional.empty()));
    }
    fired.clear();
  }

  /**
   * A reload makes Drools match the changed rules against the events already in the
   * session again. The same rule matching the same events is the same raise: it is dropped,
   * so a reload never raises an alert twice. Matches without events (timers) always count.
   */
  private boolean firstTimeMatched(AlertRaise raise) {
    long[] seqs = raise.getMatchedSeqs();
    if (seqs.length == 0) {
      return true;
    }
    String signature = raise.getRuleId() + '\u0000' + (raise.isClear() ? "clear:" + raise.getRule() : "")
        + '\u0000' + raise.getKey() + '\u0000' + java.util.Arrays.toString(seqs);
    return raisedMatches.putIfAbsent(signature, raise.getTime()) == null;
  }

  private boolean withinCooldown(AlertRaise raise, Duration cooldown) {
    if (cooldown.isZero()) {
      return false;
    }
    String k = raise.getRuleId() + '\u0000' + raise.getKey();
    Long last = lastPage.get(k);
    if (last != null && raise.getTime() - last < cooldown.toMillis()) {
      return true;
    }
    if (last != null) {
      lastPage.remove(k);
    }
    lastPage.put(k, raise.getTime());
    return false;
  }

  /** After a clear, the next raise of that rule and key opens a new alert at once. */
  private void forgetCooldown(String rule, String key) {
    lastPage.keySet().removeIf(k -> {
      int cut = k.indexOf('\u0000');
      if (!k.substring(cut + 1).equals(key)) {
        return false;
      }
      RuleInfo info = ruleSet.rule(k.substring(0, cut));
      Object display = info == null ? null : info.rawMetadata().get("alert_rule");
      return rule.equals(display != null ? display.toString() : k.substring(0, cut));
    });
  }

  private boolean overHourlyCap(AlertRaise raise, int maxPerHour) {
    if (maxPerHour <= 0) {
      return false;
    }
    ArrayDeque<Long> pages = pagesThisHour.computeIfAbsent(raise.getRuleId(), r -> new ArrayDeque<>());
    while (!pages.isEmpty() && raise.getTime() - pages.peekFirst() >= HOUR) {
      pages.pollFirst();
    }
    if (pages.size() >= maxPerHour) {
      return true;
    }
    pages.addLast(raise.getTime());
    return false;
  }

  /**
   * Forgets cooldowns, hourly counts and threshold keys that have run out. The cooldown and
   * match maps are read from their oldest end and stop at the first entry still running (an
   * entry behind a longer cooldown waits for it, which only keeps it a little longer); the
   * rest is swept whole, at most once per {@link #SWEEP_EVERY_MS} of engine time. Handles of
   * expired events leave the event count here too, so it follows expiry between inserts.
   */
  void evict() {
    holdAtMost(maxEvents);
    long now = clock.getCurrentTime();
    for (Iterator<Map.Entry<String, Long>> it = lastPage.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<String, Long> e = it.next();
      RuleInfo info = ruleSet.rule(e.getKey().substring(0, e.getKey().indexOf('\u0000')));
      long cooldown = info == null ? 0 : info.metadata().cooldown().toMillis();
      if (now - e.getValue() < cooldown) {
        break;
      }
      it.remove();
    }
    long keep = ruleSet.expiry().toMillis();
    for (Iterator<Long> it = raisedMatches.values().iterator(); it.hasNext(); ) {
      if (now - it.next() <= keep) {
        break;
      }
      it.remove();
    }
    if (now - lastSweep < SWEEP_EVERY_MS) {
      return;
    }
    lastSweep = now;
    pagesThisHour.values().forEach(q -> {
      while (!q.isEmpty() && now - q.peekFirst() >= HOUR) {
        q.pollFirst();
      }
    });
    pagesThisHour.values().removeIf(ArrayDeque::isEmpty);
    thresholds.evictIdle();
  }

  /**
   * Drops the handles of events Drools has let go from the head, then deletes the oldest
   * events still held until at most {@code max} remain. Oldest first because windows look
   * back from now: the newest events are the ones every window still counts. Deleting is
   * what expiry does, only earlier, so rules see the event leave its windows as usual.
   */
  private void holdAtMost(int max) {
    while (!events.isEmpty() && !held(events.peekFirst())) {
      events.pollFirst();
    }
    while (events.size() > max) {
      FactHandle oldest = events.pollFirst();
      if (held(oldest)) {
        evicted++;
        try {
          session.delete(oldest);
        } catch (RuntimeException e) {
          ruleFailure(e, null);
        }
      }
    }
  }

  /** Drools marks an expired event's handle expired but leaves it valid. */
  private static boolean held(FactHandle h) {
    InternalFactHandle handle = (InternalFactHandle) h;
    return handle.isValid() && !handle.isExpired();
  }

  @Override
  public void close() {
    events.clear();
    session.dispose();
  }
}
