package io.vigil.ruletest;

import io.vigil.alert.RaisedAlert;
import io.vigil.engine.RuleTester;
import io.vigil.ingest.EventValidator;
import io.vigil.rules.Event;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Runs a {@link TestCase} on a fresh rule session: events are validated as ingest would,
 * processed in offset order with the clock at each one's receive time, then the clock moves
 * on by {@code advance}. Reports what paged (raises inside a rule's cooldown only count
 * occurrences and are left out) and which expectations failed. Nothing is stored or sent.
 */
public final class TestRunner {
  private final EventValidator validator;

  public TestRunner(EventValidator validator) {
    this.validator = validator;
  }

  /** One alert the rules raised: when, on the engine clock. {@code suppressed} when over an hourly cap. */
  public record Fired(String rule, String key, String severity, String summary, Instant at, boolean suppressed) {}

  public record Result(String name, List<Fired> alerts, List<String> failures, long millis) {
    public boolean passed() {
      return failures.isEmpty();
    }
  }

  /** {@code tester} must be fresh (no events yet); it is used up by the run. */
  public Result run(RuleTester tester, TestCase c, String tenant) {
    long t0 = System.nanoTime();
    List<TestCase.TimedEvent> ordered = new ArrayList<>(c.events());
    ordered.sort(Comparator.comparing(TestCase.TimedEvent::at));
    List<Fired> fired = new ArrayList<>();
    Duration last = Duration.ZERO;
    long seq = 0;
    for (TestCase.TimedEvent te : ordered) {
      Instant received = c.start().plus(te.at());
      Event e = validator.validate(List.of(te.event()), false, tenant, received.toEpochMilli()).get(0);
      collect(tester.process(e.withSeq(++seq)), fired);
      last = te.at();
    }
    collect(tester.advanceTo(c.start().plus(last).plus(c.advance())), fired);
    List<String> failures = new ArrayList<>();
    for (TestCase.Expectation x : c.expect()) {
      if (fired.stream().noneMatch(f -> matches(f, x, c.start()))) {
        failures.add("expected " + describe(x) + "; raised " + describe(fired, c.start()));
      }
    }
    for (TestCase.Expectation x : c.expectNone()) {
      List<Fired> hits = fired.stream().filter(f -> matches(f, x, c.start())).toList();
      if (!hits.isEmpty()) {
        failures.add("expected no alert " + describe(x) + "; raised " + describe(hits, c.start()));
      }
    }
    return new Result(c.name(), fired, failures, (System.nanoTime() - t0) / 1_000_000);
  }

  private static void collect(List<RaisedAlert> raised, List<Fired> into) {
    for (RaisedAlert r : raised) {
      // A clear (alerts.resolve) resolves an alert; it is not one.
      if (!r.withinCooldown() && !r.isClear()) {
        into.add(new Fired(r.rule(), r.key(), r.severity(), r.summary(), Instant.ofEpochMilli(r.time()),
            r.rateLimited()));
      }
    }
  }

  private static boolean matches(Fired f, TestCase.Expectation x, Instant start) {
    return f.rule().equals(x.rule())
        && x.key().map(k -> k.equals(f.key())).orElse(true)
        && x.at().map(at -> start.plus(at).equals(f.at())).orElse(true);
  }

  private static String describe(TestCase.Expectation x) {
    return "rule=\"" + x.rule() + "\"" + x.key().map(k -> " key=\"" + k + "\"").orElse("")
        + x.at().map(a -> " at=+" + io.vigil.config.Durations.format(a)).orElse("");
  }

  static String describe(List<Fired> fired, Instant start) {
    if (fired.isEmpty()) {
      return "none";
    }
    return fired.stream()
        .map(f -> "rule=\"" + f.rule() + "\" key=\"" + f.key() + "\" at=+"
            + io.vigil.config.Durations.format(Duration.between(start, f.at())))
        .collect(Collectors.joining(", ", "[", "]"));
  }
}
