package io.vigil.rules;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The threshold construct: true on the Nth matching event within the window for a key,
 * then not again for that key until the cooldown has passed (engine clock); idempotent per
 * rule, key and event; idle keys forgotten.
 */
class ThresholdsTest {
  long now = 1_000_000_000_000L;
  long seq;
  final Thresholds t = new Thresholds(() -> now);

  Event at(long time, String ip) {
    return new Event(++seq, "t", "e" + seq, "x", time, time, null, null, null, ip, null, Map.of());
  }

  boolean hit(String ip, int n, String within, String cooldown) {
    return t.hit("R", ip, at(now, ip), n, within, cooldown);
  }

  @Test
  @DisplayName("fires on the Nth event within the window, not before, and not again inside the cooldown")
  void nth_event_then_cooldown() {
    for (int i = 1; i <= 4; i++) {
      assertFalse(hit("a", 5, "1m", "10m"), "event " + i);
      now += 10_000;
    }
    assertTrue(hit("a", 5, "1m", "10m"), "the fifth within a minute");
    now += 1_000;
    assertFalse(hit("a", 5, "1m", "10m"), "the sixth is inside the cooldown");
    now += 9 * 60_000;
    for (int i = 0; i < 5; i++) {
      now += 1_000;
      assertFalse(hit("a", 5, "1m", "10m"), "still inside the cooldown");
    }
    now += 60_000;
    assertFalse(hit("a", 5, "1m", "10m"), "cooldown over, but one event in the window");
  }

  @Test
  @DisplayName("events spread wider than the window never add up, and keys count apart")
  void window_and_keys() {
    for (int i = 0; i < 10; i++) {
      assertFalse(hit("a", 5, "1m", "0s"));
      assertFalse(hit(i % 2 == 0 ? "b" : "c", 5, "1m", "0s"));
      now += 20_000;
    }
  }

  @Test
  @DisplayName("an event counted once is never counted again, as when a reload re-evaluates it")
  void idempotent_per_event() {
    Event[] events = new Event[5];
    for (int i = 0; i < 5; i++) {
      events[i] = at(now, "a");
      boolean fired = t.hit("R", "a", events[i], 5, "1m", "10m");
      assertEquals(i == 4, fired);
      now += 1_000;
    }
    for (Event e : events) {
      assertFalse(t.hit("R", "a", e, 5, "1m", "0s"), "re-evaluation counts nothing and fires nothing");
    }
    for (Event e : events) {
      assertFalse(t.hit("R2", "a", e, 6, "1m", "0s"), "another rule counts the same events for itself");
    }
  }

  @Test
  @DisplayName("counts survive a changed threshold: a lower count fires on the next event")
  void counts_survive_changed_parameters() {
    for (int i = 0; i < 3; i++) {
      assertFalse(hit("a", 5, "1m", "0s"));
      now += 1_000;
    }
    assertTrue(hit("a", 4, "1m", "0s"), "the fourth event meets the new threshold of four");
  }

  @Test
  @DisplayName("an event older than the window counts nothing")
  void late_events() {
    for (int i = 0; i < 5; i++) {
      assertFalse(t.hit("R", "a", at(now - 120_000, "a"), 2, "1m", "0s"));
    }
  }

  @Test
  @DisplayName("keys idle past their window and cooldown are forgotten")
  void eviction() {
    assertFalse(hit("a", 3, "1m", "5m"));
    assertTrue(hit("b", 1, "1m", "0s"), "a count of one fires at once");
    assertEquals(2, t.keyCount());
    now += 61_000;
    t.evictIdle();
    assertEquals(0, t.keyCount());
    for (int i = 0; i < 3; i++) {
      hit("c", 3, "1m", "5m");
    }
    now += 2 * 60_000;
    t.evictIdle();
    assertEquals(1, t.keyCount(), "a key in its cooldown stays");
    now += 4 * 60_000;
    t.evictIdle();
    assertEquals(0, t.keyCount());
  }
}
