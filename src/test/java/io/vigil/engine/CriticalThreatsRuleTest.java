package io.vigil.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vigil.alert.RaisedAlert;
import io.vigil.rules.Event;
import io.vigil.testing.Events;
import io.vigil.testing.SampleRules;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The shipped "Critical threats" rule raises an alert for every critical or emergency event,
 * at the event's own severity, keyed by type and origin; repeats of one key within a minute
 * of its page are occurrences, not new pages.
 */
class CriticalThreatsRuleTest {
  private static final String RULE = "Critical threats";
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
  @DisplayName("a critical event pages at critical severity, keyed by its type and origin")
  void criticalEventPages() {
    Event e = Events.of("malware.detected").severity("critical").host("db-1").source("edr").at(T0);

    List<RaisedAlert> raised = SampleRules.of(RULE, tester.process(e));

    assertEquals(1, raised.size());
    RaisedAlert page = raised.get(0);
    assertFalse(page.withinCooldown());
    assertEquals("malware.detected db-1", page.key());
    assertEquals("critical", page.severity());
    assertEquals("Critical event malware.detected from edr", page.summary());
    assertEquals(List.of(e), page.evidence());
  }

  @Test
  @DisplayName("an emergency event pages at emergency severity")
  void emergencyEventPages() {
    List<RaisedAlert> raised =
        SampleRules.of(RULE, tester.process(Events.of("ransomware.detected").severity("emergency").ip("10.0.0.5").at(T0)));

    assertEquals(1, raised.size());
    assertEquals("emergency", raised.get(0).severity());
    assertEquals("ransomware.detected 10.0.0.5", raised.get(0).key());
    assertFalse(raised.get(0).withinCooldown());
  }

  @Test
  @DisplayName("high, lower and missing severities do not raise")
  void lowerSeveritiesDoNotRaise() {
    tester.process(Events.of("malware.detected").severity("high").host("db-1").at(T0));
    tester.process(Events.of("malware.detected").severity("medium").host("db-1").at(T0.plusSeconds(1)));
    tester.process(Events.of("malware.detected").host("db-1").at(T0.plusSeconds(2)));

    assertEquals(List.of(), SampleRules.of(RULE, tester.raised()));
  }

  @Test
  @DisplayName("a repeat of the same key within a minute is an occurrence, not a page")
  void repeatWithinAMinuteIsWithinCooldown() {
    tester.process(critical("db-1").at(T0));

    List<RaisedAlert> repeat = SampleRules.of(RULE, tester.process(critical("db-1").at(T0.plusSeconds(59))));

    assertEquals(1, repeat.size());
    assertTrue(repeat.get(0).withinCooldown());
    assertEquals("malware.detected db-1", repeat.get(0).key());
  }

  @Test
  @DisplayName("the same key pages again once a minute has passed since its page")
  void sameKeyPagesAgainAfterAMinute() {
    tester.process(critical("db-1").at(T0));
    tester.process(critical("db-1").at(T0.plusSeconds(30)));

    List<RaisedAlert> later = SampleRules.of(RULE, tester.process(critical("db-1").at(T0.plusSeconds(60))));

    assertEquals(1, later.size());
    assertFalse(later.get(0).withinCooldown());
    assertEquals(2, SampleRules.pagesOf(RULE, tester.raised()).size());
  }

  @Test
  @DisplayName("a different key within the minute pages on its own")
  void differentKeyIsNotInTheCooldown() {
    tester.process(critical("db-1").at(T0));

    List<RaisedAlert> other = SampleRules.of(RULE, tester.process(critical("db-2").at(T0.plusSeconds(10))));

    assertEquals(1, other.size());
    assertFalse(other.get(0).withinCooldown());
    assertEquals("malware.detected db-2", other.get(0).key());
  }

  private static Events.Builder critical(String host) {
    return Events.of("malware.detected").severity("critical").host(host);
  }

}
