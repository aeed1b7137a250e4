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
  private final RuleSet ruleSet;
  private final RuleSession session;
  private final List<RaisedAlert> raised = new ArrayList<>();

  private RuleTester(KieContainer container, RuleSet ruleSet, String tenant) {
    this.container = container;
    this.ruleSet = ruleSet;
    this.session = new RuleSession(tenant, container, ruleSet, 50);
  }

  /** Compiles the files; any file that fails is an {@link IllegalArgumentException} naming every error. */
  public static RuleTester of(Map<String, String> files, Set<String> channels) {
    RuleSet set = new RuleCompiler(channels, Clock.systemUTC()).compile(files);
    if (!set.failedFiles().isEmpty()) {
      throw new IllegalArgumentException("rules do not compile:\n" + set.failedFiles().values().stream()
          .flatMap(List::stream).map(RuleError::toString).collect(Collectors.joining("\n")));
    }
    return new RuleTester(KieServices.Factory.get().newKieContainer(set.releaseId()), set, "test");
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

  public Instant now() {
    return Instant.ofEpochMilli(session.now());
  }

  /** Facts in the session: events inside windows, alerts inside cooldowns. */
  public long factCount() {
    return session.factCount();
  }

  /** Everything raised so far, in order. */
  public List<RaisedAlert> raised() {
    return List.copyOf(raised);
  }

  @Override
  public void close() {
    session.close();
    container.dispose();
    KieServices.Factory.get().getRepository().removeKieModule(ruleSet.releaseId());
  }
}
