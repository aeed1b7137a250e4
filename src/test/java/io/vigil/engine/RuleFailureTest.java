package io.vigil.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vigil.testing.Events;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A rule that throws is logged and counted, and never stalls the engine. A consequence that
 * throws leaves the other rules firing for that event; a condition that throws stops Drools
 * propagating that one event (a Drools limit), and the engine goes on with the next.
 */
class RuleFailureTest {
  static final String RULES = """
      package f;
      import io.vigil.rules.Event;
      global io.vigil.rules.Alerts alerts;

      rule "Throws in the consequence"
      when
          $e : Event(type == "boom")
      then
          String s = null;
          s.length();
      end

      rule "Throws in the condition"
      when
          $e : Event(type == "bad-field", field("missing").toString().length() > 0)
      then
          alerts.raise(kcontext, "never");
      end

      rule "Every event"
      when
          $e : Event()
      then
          alerts.raise(kcontext, $e.getId());
      end
      """;

  @Test
  @DisplayName("a throwing rule neither stops the other rules nor the events after it")
  void failures_are_contained() {
    Instant t0 = Instant.parse("2026-11-22T10:00:00Z");
    try (RuleTester t = RuleTester.of(Map.of("f.drl", RULES), Set.of())) {
      assertEquals(1, t.process(Events.of("boom").at(t0)).size(), "the other rule fired for the same event");
      t.process(Events.of("bad-field").at(t0.plusSeconds(1)));
      assertEquals(1, t.process(Events.of("fine").at(t0.plusSeconds(2))).size(), "and the engine went on");
      assertEquals(java.util.List.of("Every event", "Every event"),
          t.raised().stream().map(r -> r.rule()).toList());
    }
  }
}
