package io.vigil.engine;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vigil.testing.Events;
import io.vigil.testing.SampleRules;
import java.time.Instant;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Regression for drools#6711: a constraint with an operator (str[...], temporal operators)
 * evaluated more than 20 times used to be jitted into bytecode that throws
 * NoSuchMethodError on every later insert. Jitting must be off, and such constraints must
 * keep working after many evaluations.
 */
class DroolsJitWorkaroundTest {
  @Test
  @DisplayName("constraint jitting is off once rules are compiled")
  void jitting_is_off() {
    new RuleCompiler(java.util.Set.of(), java.time.Clock.systemUTC());
    assertTrue(DroolsJitWorkaround.jittingOff());
  }

  @Test
  @DisplayName("rules with str[...] and before[...] keep working after thousands of evaluations")
  void operator_constraints_survive_many_evaluations() {
    Instant t0 = Instant.parse("2026-11-22T10:00:00Z");
    try (RuleTester t = SampleRules.tester()) {
      assertDoesNotThrow(() -> {
        for (int i = 0; i < 3000; i++) {
          t.process(Events.of(i % 2 == 0 ? "anomaly.x" : "auth.login_failed").user("u" + (i % 7))
              .at(t0.plusMillis(i * 50L)));
        }
      });
      assertEquals(1, SampleRules.pagesOf("Anomalous behaviour",
          t.process(Events.of("anomaly.late").user("zed").at(t0.plusSeconds(3600)))).size());
    }
  }
}
