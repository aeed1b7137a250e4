package io.vigil.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vigil.alert.RaisedAlert;
import io.vigil.rules.Event;
import io.vigil.testing.Events;
import io.vigil.testing.SampleRules;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The shipped "Anomalous behaviour" rule raises a medium alert for every event whose type
 * starts with "anomaly.", keyed by type and origin; repeats of one key within ten minutes of
 * its page are occurrences, not new pages.
 */
class AnomalousBehaviourRuleTest {
  private static final String RULE = "Anomalous behaviour";
  private static final Instant T0 = Instant.parse("2026-03-02T10:00:00Z");

  private RuleTester tester;

  @BeforeEach
  void compileShippedRules() {
    tester = SampleRules.tester();
  }

  @AfterEach
  void close() {
    tester.close();
  }

  @Test
  @DisplayName("an anomaly.* event pages at medium severity, keyed by its type and origin")
  void anomalyEventPages() {
    Event e = Events.of("anomaly.login_location").user("alice").at(T0);

    List<RaisedAlert> raised = SampleRules.of(RULE, tester.process(e));

    assertEquals(1, raised.size());
    RaisedAlert page = raised.get(0);
    assertFalse(page.withinCooldown());
    assertEquals("anomaly.login_location alice", page.key());
    assertEquals("medium", page.severity());
    assertEquals(List.of(e), page.evidence());
  }

  @Test
  @DisplayName("types that only look like anomalies do not raise")
  void lookalikeTypesDoNotRaise() {
    tester.process(Events.of("anomalyx").user("alice").at(T0));
    tester.process(Events.of("net.anomaly").user("alice").at(T0.plusSeconds(1)));
    tester.process(Events.of("anomaly").user("alice").at(T0.plusSeconds(2)));
    tester.process(Events.of("Anomaly.login").user("alice").at(T0.plusSeconds(3)));

    assertEquals(List.of(), SampleRules.of(RULE, tester.raised()));
  }

  @Test
  @DisplayName("a repeat of the same key within ten minutes is an occurrence, not a page")
  void repeatWithinTenMinutesIsWithinCooldown() {
    tester.process(Events.of("anomaly.traffic").host("web-1").at(T0));

    List<RaisedAlert> repeat =
        SampleRules.of(RULE, tester.process(Events.of("anomaly.traffic").host("web-1").at(T0.plus(Duration.ofSeconds(599)))));

    assertEquals(1, repeat.size());
    assertTrue(repeat.get(0).withinCooldown());
  }

  @Test
  @DisplayName("the same key pages again once ten minutes have passed since its page")
  void sameKeyPagesAgainAfterTenMinutes() {
    tester.process(Events.of("anomaly.traffic").host("web-1").at(T0));
    tester.process(Events.of("anomaly.traffic").host("web-1").at(T0.plus(Duration.ofMinutes(5))));

    List<RaisedAlert> later =
        SampleRules.of(RULE, tester.process(Events.of("anomaly.traffic").host("web-1").at(T0.plus(Duration.ofMinutes(10)))));

    assertEquals(1, later.size());
    assertFalse(later.get(0).withinCooldown());
    assertEquals(2, SampleRules.pagesOf(RULE, tester.raised()).size());
  }

  @Test
  @DisplayName("another key within the ten minutes pages on its own")
  void otherKeysHaveTheirOwnCooldown() {
    tester.process(Events.of("anomaly.traffic").host("web-1").at(T0));

    List<RaisedAlert> otherHost = SampleRules.of(RULE, tester.process(Events.of("anomaly.traffic").host("web-2").at(T0.plusSeconds(5))));
    List<RaisedAlert> otherType = SampleRules.of(RULE, tester.process(Events.of("anomaly.dns").host("web-1").at(T0.plusSeconds(6))));

    assertEquals(1, otherHost.size());
    assertFalse(otherHost.get(0).withinCooldown());
    assertEquals(1, otherType.size());
    assertFalse(otherType.get(0).withinCooldown());
    assertEquals("anomaly.dns web-1", otherType.get(0).key());
  }

}
