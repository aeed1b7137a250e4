package io.vigil.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vigil.alert.RaisedAlert;
import io.vigil.testing.Events;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * {@code engine.max_session_events}: a session never holds more events than its cap, however
 * long its windows, by deleting the oldest first; the newest events, which every window
 * still counts, stay. Events that expire or that a rule deletes leave the count without
 * being called evictions.
 */
class SessionEventCapTest {
  static final Instant T0 = Instant.parse("2026-11-24T10:00:00Z");
  /** A one-hour window: without a cap, every event of the last hour stays in memory. */
  static final String RULES = """
      package cap;
      import io.vigil.rules.Event;
      global io.vigil.rules.Alerts alerts;

      rule "Five failures in an hour" @cooldown("2h")
      when
          $e : Event(type == "auth.login_failed", $ip : ip)
          Number(intValue >= 5) from accumulate(
              Event(type == "auth.login_failed", ip == $ip) over window:time(1h), count(1))
      then
          alerts.raise(kcontext, $ip);
      end

      rule "Forget drops"
      when
          $e : Event(type == "drop")
      then
          delete($e);
      end
      """;

  static RuleTester tester(int maxEvents) {
    return RuleTester.of(Map.of("cap.drl", RULES), Set.of(), "test", maxEvents);
  }

  static void failures(RuleTester t, int n, Instant at, List<RaisedAlert> out) {
    for (int i = 0; i < n; i++) {
      out.addAll(t.process(Events.of("auth.login_failed").ip("10.0.0.1").at(at.plusMillis(i))));
    }
  }

  static void noise(RuleTester t, int n, Instant at) {
    for (int i = 0; i < n; i++) {
      t.process(Events.of("net.flow").ip("10.9." + (i % 250) + ".1").at(at.plusMillis(i)));
    }
  }

  @Test
  @DisplayName("a session holds at most its cap of events, the newest; the rest are counted as evicted")
  void holds_at_most_the_cap() {
    try (RuleTester t = tester(100)) {
      noise(t, 1_000, T0);
      assertEquals(100, t.heldEvents());
      assertEquals(900, t.evicted());
      assertTrue(t.factCount() <= 100, "Drools holds no more facts than the cap: " + t.factCount());
    }
    try (RuleTester t = tester(Integer.MAX_VALUE)) {
      noise(t, 1_000, T0);
      assertEquals(1_000, t.heldEvents(), "without a cap all of the hour's events stay");
      assertEquals(0, t.evicted());
    }
  }

  @Test
  @DisplayName("windows count only what the cap kept: the oldest events leave them first")
  void windows_lose_the_oldest_first() {
    List<RaisedAlert> raised = new java.util.ArrayList<>();
    try (RuleTester t = tester(10)) {
      failures(t, 4, T0, raised);
      noise(t, 20, T0.plusSeconds(1));
      failures(t, 1, T0.plusSeconds(2), raised);
      assertEquals(List.of(), raised, "the four early failures were evicted before the fifth came");

      failures(t, 4, T0.plusSeconds(3), raised);
      assertEquals(1, raised.stream().filter(r -> !r.withinCooldown()).count(),
          "five failures among the ten newest events still raise: " + raised);
    }
    raised.clear();
    try (RuleTester t = tester(1_000)) {
      failures(t, 4, T0, raised);
      noise(t, 20, T0.plusSeconds(1));
      failures(t, 1, T0.plusSeconds(2), raised);
      assertEquals(1, raised.stream().filter(r -> !r.withinCooldown()).count(),
          "below the cap the same events raise at the fifth failure: " + raised);
      assertEquals(0, t.evicted());
    }
  }

  @Test
  @DisplayName("expired events and events a rule deleted leave the count without being evictions")
  void expiry_and_deletes_are_not_evictions() {
    try (RuleTester t = tester(50)) {
      for (int i = 0; i < 40; i++) {
        t.process(Events.of("drop").at(T0.plusMillis(i)));
      }
      noise(t, 40, T0.plusSeconds(1));
      assertEquals(0, t.evicted(), "the deleted events made room: nothing held was evicted");
      assertTrue(t.heldEvents() <= 50, "held " + t.heldEvents());

      t.advanceTo(T0.plus(Duration.ofHours(3)));
      assertEquals(0, t.factCount());
      assertEquals(0, t.heldEvents(), "every event expired with its window");
      assertEquals(0, t.evicted());
      assertEquals(0, t.factCount());
    }
  }
}
