package io.vigil.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vigil.engine.RuleTester;
import io.vigil.rules.Event;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The engine benchmark compares the threshold idioms' speed, which means something only if
 * they are the same rule: on the benchmark's own event stream (the first 60,000 events, half
 * an hour of engine time, so windows slide and cooldowns end many times) every idiom raises
 * the same alerts, in the same order, at the same events.
 */
class ThresholdIdiomTest {
  @Test
  @DisplayName("every threshold idiom raises the same alerts at the same events on the benchmark's stream")
  void idioms_raise_the_same_alerts() {
    List<Event> events = EngineBenchIT.events("bench", 60_000, 7);
    List<String> expected = null;
    for (ThresholdIdiom idiom : ThresholdIdiom.values()) {
      List<String> raised = new ArrayList<>();
      try (RuleTester t = RuleTester.of(Map.of("bench.drl", idiom.ruleFile()), Set.of(), "bench")) {
        for (Event e : events) {
          t.process(e).forEach(r -> raised.add(e.getSeq() + " " + r.rule() + " " + r.key()));
        }
      }
      assertTrue(raised.stream().anyMatch(r -> r.contains("threshold")), idiom + " raised no threshold alert");
      if (expected == null) {
        expected = raised;
      } else {
        int at = 0;
        while (at < Math.min(expected.size(), raised.size()) && expected.get(at).equals(raised.get(at))) {
          at++;
        }
        // The first difference, not two lists of thousands of alerts.
        assertEquals(at < expected.size() ? expected.get(at) : "(no more alerts)",
            at < raised.size() ? raised.get(at) : "(no more alerts)",
            idiom + " differs from " + ThresholdIdiom.values()[0] + " at alert " + at + " of " + expected.size());
      }
    }
  }
}
