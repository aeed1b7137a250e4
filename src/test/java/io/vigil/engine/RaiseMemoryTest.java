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
 * What a session remembers about its raises (cooldowns per rule and key, matches already
 * raised) is forgotten once it has run out, read from the oldest end, and never while it
 * still runs: a key raised again after its cooldown starts a new one, which neither
 * holds back the eviction of keys raised after its first raise nor is evicted with them.
 */
class RaiseMemoryTest {
  static final String RULES = """
      package m;
      import io.vigil.rules.Event;
      global io.vigil.rules.Alerts alerts;

      rule "Per source" @cooldown("5m")
      when
          $e : Event(type == "probe")
      then
          alerts.raise(kcontext, $e.getIp());
      end
      """;

  private static boolean inCooldown(List<RaisedAlert> out) {
    assertEquals(1, out.size());
    return out.get(0).withinCooldown();
  }

  @Test
  @DisplayName("cooldowns and raised matches are forgotten when they run out, and only then")
  void forgets_what_ran_out() {
    Instant t0 = Instant.parse("2026-11-24T10:00:00Z");
    try (RuleTester t = RuleTester.of(Map.of("m.drl", RULES), Set.of())) {
      assertEquals(false, inCooldown(t.process(Events.of("probe").ip("a").at(t0))));
      Instant burst = t0.plus(Duration.ofMinutes(2));
      for (int i = 0; i < 5_000; i++) {
        t.process(Events.of("probe").ip("s" + i).at(burst.plusMillis(i)));
      }
      assertTrue(t.remembered() >= 5_001, "every key's cooldown is remembered while it runs: " + t.remembered());

      // "a" pages again once its cooldown is over, after the burst's keys were raised: its
      // new cooldown outlives theirs, so it must not stand in front of them when they run out.
      Instant again = t0.plus(Duration.ofMinutes(5)).plusSeconds(10);
      assertEquals(false, inCooldown(t.process(Events.of("probe").ip("a").at(again))));
      t.advanceTo(t0.plus(Duration.ofMinutes(10)));
      assertTrue(t.remembered() < 10, "the burst's cooldowns and matches are forgotten: " + t.remembered());
      assertTrue(inCooldown(t.process(Events.of("probe").ip("a").at(t0.plus(Duration.ofMinutes(10))))),
          "the newest cooldown survived the eviction of the older ones");
      assertEquals(false, inCooldown(t.process(Events.of("probe").ip("s1").at(t0.plus(Duration.ofMinutes(10))))),
          "a burst key's cooldown had run out");

      t.advanceTo(t0.plus(Duration.ofHours(1)));
      assertEquals(0, t.remembered(), "nothing is remembered after every cooldown and match ran out");
    }
  }
}
