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
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The shipped "Brute force login" rule pages once when five failed logins come from one IP
 * within a minute, keyed by that IP, and then stays quiet for that IP for ten minutes.
 */
class BruteForceRuleTest {
  private static final String RULE = "Brute force login";
  private static final String IP = "203.0.113.7";
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
  @DisplayName("five failures from one IP within a minute page once, keyed by the IP, with the five events as evidence")
  void fiveFailuresWithinAMinutePageOnce() {
    List<Event> burst = new ArrayList<>();
    List<RaisedAlert> pages = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      Event e = Events.loginFailed("user" + i, IP).at(T0.plusSeconds(10L * i));
      burst.add(e);
      List<RaisedAlert> raised = SampleRules.pagesOf(RULE, tester.process(e));
      if (i < 4) {
        assertEquals(List.of(), raised, "no page before the fifth failure");
      }
      pages.addAll(raised);
    }

    assertEquals(1, pages.size(), "pages: " + pages);
    RaisedAlert page = pages.get(0);
    assertEquals(IP, page.key());
    assertEquals("high", page.severity());
    assertEquals(T0.plusSeconds(40).toEpochMilli(), page.time());
    assertEquals(Set.copyOf(burst), new HashSet<>(page.evidence()));
    assertEquals(5, page.evidence().size());
    assertEquals(List.of("secops-webhook", "audit-log"), page.channels());
  }

  @Test
  @DisplayName("further failures in the same minute do not page again")
  void furtherFailuresInTheSameMinuteDoNotPageAgain() {
    burstAt(T0, IP);

    List<RaisedAlert> more = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      more.addAll(SampleRules.pagesOf(RULE, tester.process(Events.loginFailed("bob", IP).at(T0.plusSeconds(5 + i)))));
    }

    assertEquals(List.of(), more);
    assertEquals(1, SampleRules.pagesOf(RULE, tester.raised()).size());
  }

  @Test
  @DisplayName("four failures from one IP within a minute do not page")
  void fourFailuresDoNotPage() {
    for (int i = 0; i < 4; i++) {
      tester.process(Events.loginFailed("alice", IP).at(T0.plusSeconds(i)));
    }
    tester.advanceTo(T0.plusSeconds(120));

    assertEquals(List.of(), SampleRules.pagesOf(RULE, tester.raised()));
  }

  @Test
  @DisplayName("five failures spread over two minutes do not page")
  void fiveFailuresOverTwoMinutesDoNotPage() {
    for (int i = 0; i < 5; i++) {
      tester.process(Events.loginFailed("alice", IP).at(T0.plusSeconds(30L * i)));
    }
    tester.advanceTo(T0.plusSeconds(300));

    assertEquals(List.of(), SampleRules.pagesOf(RULE, tester.raised()));
  }

  @Test
  @DisplayName("five failures split between two IPs do not page")
  void fiveFailuresFromTwoIpsDoNotPage() {
    String other = "198.51.100.9";
    for (int i = 0; i < 5; i++) {
      tester.process(Events.loginFailed("alice", i % 2 == 0 ? IP : other).at(T0.plusSeconds(i)));
    }
    tester.advanceTo(T0.plusSeconds(120));

    assertEquals(List.of(), SampleRules.pagesOf(RULE, tester.raised()));
  }

  @Test
  @DisplayName("failed logins without an IP never page")
  void failuresWithoutAnIpDoNotPage() {
    for (int i = 0; i < 6; i++) {
      tester.process(Events.loginFailed("alice", null).at(T0.plusSeconds(i)));
    }

    assertEquals(List.of(), SampleRules.pagesOf(RULE, tester.raised()));
  }

  @Test
  @DisplayName("a second IP bursting during the first IP's cooldown gets its own page")
  void cooldownIsPerIp() {
    burstAt(T0, IP);
    List<RaisedAlert> second = burstAt(T0.plusSeconds(30), "198.51.100.9");

    assertEquals(1, second.size());
    assertEquals("198.51.100.9", second.get(0).key());
    assertEquals(2, SampleRules.pagesOf(RULE, tester.raised()).size());
  }

  @Test
  @DisplayName("a burst ending 9m59s after the alert does not page again")
  void burstJustInsideTheCooldownDoesNotPage() {
    burstAt(T0, IP);
    Instant alertAt = T0.plusSeconds(4);

    // The last failure lands one second before the ten-minute cooldown ends.
    List<RaisedAlert> late = burstAt(alertAt.plus(Duration.ofMinutes(9).plusSeconds(55)), IP);

    assertEquals(List.of(), late);
    assertEquals(1, SampleRules.pagesOf(RULE, tester.raised()).size());
  }

  @Test
  @DisplayName("a fresh burst of five after the ten-minute cooldown pages a second time")
  void freshBurstAfterTheCooldownPagesAgain() {
    burstAt(T0, IP);
    Instant alertAt = T0.plusSeconds(4);

    List<RaisedAlert> again = burstAt(alertAt.plus(Duration.ofMinutes(10)), IP);

    assertEquals(1, again.size(), "pages: " + again);
    assertEquals(IP, again.get(0).key());
    assertEquals(alertAt.plus(Duration.ofMinutes(10)).plusSeconds(4).toEpochMilli(), again.get(0).time());
    assertEquals(2, SampleRules.pagesOf(RULE, tester.raised()).size());
  }

  @Test
  @DisplayName("a burst 9m59s into the cooldown and a fresh one after it give exactly two pages in total")
  void cooldownHoldsAcrossItsWindowEdge() {
    burstAt(T0, IP);
    Instant alertAt = T0.plusSeconds(4);
    tester.process(Events.loginFailed("alice", IP).at(alertAt.plus(Duration.ofMinutes(9).plusSeconds(59))));
    // Let that failure leave the one-minute window, then burst again.
    List<RaisedAlert> again = burstAt(alertAt.plus(Duration.ofMinutes(12)), IP);

    assertEquals(1, again.size(), "pages: " + again);
    List<RaisedAlert> all = SampleRules.pagesOf(RULE, tester.raised());
    assertEquals(2, all.size(), "pages: " + all);
    assertFalse(all.stream().anyMatch(RaisedAlert::withinCooldown));
    assertTrue(all.stream().allMatch(p -> p.key().equals(IP)));
  }

  /** Five failures from {@code ip}, one second apart from {@code start}; returns the pages. */
  private List<RaisedAlert> burstAt(Instant start, String ip) {
    List<RaisedAlert> out = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      out.addAll(SampleRules.pagesOf(RULE, tester.process(Events.loginFailed("alice", ip).at(start.plusSeconds(i)))));
    }
    return out;
  }

  /** Raises of this rule that page (outside a cooldown). */
}
