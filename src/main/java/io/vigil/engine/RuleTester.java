package io.vigil.engine;

import io.vigil.alert.RaisedAlert;
import io.vigil.rules.Event;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.kie.api.KieServices;
import org.kie.api.runtime.KieContainer;

/**
 * Runs rules on a pseudo clock with no threads, database or delivery: events go in, the
 * alerts the rules would raise come out (cooldowns included). It is the live engine's own
 * {@link RuleSession}, so what passes here behaves the same in production.
 */
public final class RuleTester implements AutoCloseable {
  private final KieContainer container;
  private RuleSet ruleSet;
  private final RuleSession session;
  private final List<RaisedAlert> raised = new ArrayList<>();

  private final boolean ownsContainer;
  private final int maxEvents;

  private RuleTester(KieContainer container, RuleSet ruleSet, String tenant, boolean ownsContainer, int maxEvents) {
    this.container = container;
    this.ruleSet = ruleSet;
    this.ownsContainer = ownsContainer;
    this.maxEvents = maxEvents;
    this.session = new RuleSession(tenant, container, ruleSet, 50, maxEvents);
  }

  /** Compiles the files; any file that fails is an {@link IllegalArgumentException} naming every error. */
  public static RuleTester of(Map<String, String> files, Set<String> channels) {
    return of(files, channels, "test");
  }

  /** As {@link #of(Map, Set)}, with the session's tenant (policies only match their own tenant). */
  public static RuleTester of(Map<String, String> files, Set<String> channels, String tenant) {
    // A rule test holds every event its windows need; the server caps a session's events.
    return of(files, channels, tenant, Integer.MAX_VALUE);
  }

  /** As {@link #of(Map, Set, String)}, holding at most {@code maxEvents} events as the server does. */
  static RuleTester of(Map<String, String> files, Set<String> channels, String tenant, int maxEvents) {
    RuleSet set = new RuleCompiler(channels, Clock.systemUTC()).compile(files);
    if (!set.failedFiles().isEmpty()) {
      KieServices.Factory.get().getRepository().removeKieModule(set.releaseId());
      throw new RulesDoNotCompile(set.failedFiles().values().stream().flatMap(List::stream).toList());
    }
    return new RuleTester(KieServices.Factory.get().newKieContainer(set.releaseId()), set, tenant, true, maxEvents);
  }

  /**
   * A fresh session for another tenant or another test case on the same compiled rules;
   * closing it leaves this tester's rules in place.
   */
  public RuleTester fresh(String tenant) {
    return new RuleTester(container, ruleSet, tenant, false, maxEvents);
  }

  public RuleSet ruleSet() {
    return ruleSet;
  }

  /** Processes one event at its receive time; returns what it raised. */
  public List<RaisedAlert> process(Event event) {
    List<RaisedAlert> out = session.process(event);
    raised.addAll(out);
    return out;
  }

  /** Moves the clock (timers, absence rules, expirations); returns what that raised. */
  public List<RaisedAlert> advanceTo(Instant time) {
    List<RaisedAlert> out = session.advanceTo(time.toEpochMilli());
    raised.addAll(out);
    return out;
  }

  /**
   * Moves this tester to new rule files in place, as a live reload does: facts, windows,
   * Alert events, thresholds and cooldowns stay. Fails (changing nothing) when they do not
   * compile. Only for a tester made by {@link #of}.
   */
  public List<RaisedAlert> swapTo(Map<String, String> files, Set<String> channels) {
    if (!ownsContainer) {
      throw new IllegalStateException("swap the tester that owns the rules");
    }
    RuleSet next = new RuleCompiler(channels, Clock.systemUTC()).compile(files);
    if (!next.failedFiles().isEmpty()) {
      KieServices.Factory.get().getRepository().removeKieModule(next.releaseId());
      throw new RulesDoNotCompile(next.failedFiles().values().stream().flatMap(List::stream).toList());
    }
    container.updateToVersion(next.releaseId());
    KieServices.Factory.get().getRepository().removeKieModule(ruleSet.releaseId());
    ruleSet = next;
    List<RaisedAlert> out = session.ruleSetChanged(next);
    raised.addAll(out);
    return out;
  }

  public Instant now() {
    return Instant.ofEpochMilli(session.now());
  }

  /** Facts in the session: events inside windows, alerts inside cooldowns. */
  public long factCount() {
    return session.factCount();
  }

  /** Events the session holds, and how many it evicted to stay within its cap. */
  int heldEvents() {
    return session.heldEvents();
  }

  long evicted() {
    return session.evicted();
  }

  /** Cooldowns and raised matches the session still remembers (what eviction bounds). */
  int remembered() {
    return session.remembered();
  }

  /** Everything raised so far, in order. */
  public List<RaisedAlert> raised() {
    return List.copyOf(raised);
  }

  /** The rules given to a tester do not compile; carries every error. */
  public static final class RulesDoNotCompile extends IllegalArgumentException {
    private final List<RuleError> errors;

    RulesDoNotCompile(List<RuleError> errors) {
      super("rules do not compile:\n" + errors.stream().map(RuleError::toString).collect(Collectors.joining("\n")));
      this.errors = List.copyOf(errors);
    }

    public List<RuleError> errors() {
      return errors;
    }
  }

  @Override
  public void close() {
    session.close();
    if (ownsContainer) {
      container.dispose();
      KieServices.Factory.get().getRepository().removeKieModule(ruleSet.releaseId());
    }
  }
}
