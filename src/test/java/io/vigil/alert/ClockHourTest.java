package io.vigil.alert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Instant;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Clock hours in UTC: what max_per_hour counts in and what a held-back notice covers. */
class ClockHourTest {
  static Instant at(String t) {
    return Instant.parse(t);
  }

  @Test
  @DisplayName("an instant belongs to the UTC hour it falls in; the hour's start is in it, its end is not")
  void hour_of_an_instant() {
    assertEquals(at("2026-11-22T10:00:00Z"), ClockHour.of(at("2026-11-22T10:00:00Z")).start());
    assertEquals(at("2026-11-22T10:00:00Z"), ClockHour.of(at("2026-11-22T10:59:59.999999Z")).start());
    assertEquals(at("2026-11-22T11:00:00Z"), ClockHour.of(at("2026-11-22T11:00:00Z")).start());
    assertEquals(at("2026-11-22T11:00:00Z"), ClockHour.of(at("2026-11-22T10:17:00Z")).end());
    assertEquals(at("2026-11-23T00:00:00Z"), ClockHour.of(at("2026-11-22T23:30:00Z")).end(), "across midnight");
  }

  @Test
  @DisplayName("an hour has ended exactly at its end, not a moment before")
  void ended_at_its_end() {
    ClockHour h = ClockHour.of(at("2026-11-22T10:20:00Z"));
    assertFalse(h.endedBy(at("2026-11-22T10:59:59.999Z")));
    assertTrue(h.endedBy(at("2026-11-22T11:00:00Z")));
    assertTrue(h.endedBy(at("2026-11-22T13:00:00Z")));
  }

  @Test
  @DisplayName("the last hour that has ended by now starts an hour before the current one")
  void last_ended_hour() {
    assertEquals(at("2026-11-22T10:00:00Z"), ClockHour.lastEndedStart(at("2026-11-22T11:00:00Z")));
    assertEquals(at("2026-11-22T10:00:00Z"), ClockHour.lastEndedStart(at("2026-11-22T11:59:59Z")));
    assertEquals(at("2026-11-22T09:00:00Z"), ClockHour.lastEndedStart(at("2026-11-22T10:59:59Z")));
    // Consistent with endedBy: the hour at lastEndedStart has ended, the next one has not.
    Instant now = at("2026-11-22T11:42:00Z");
    assertTrue(new ClockHour(ClockHour.lastEndedStart(now)).endedBy(now));
    assertFalse(ClockHour.of(now).endedBy(now));
  }
}
