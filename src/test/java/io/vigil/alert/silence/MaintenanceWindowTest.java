package io.vigil.alert.silence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vigil.alert.silence.MaintenanceWindow.Window;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.EnumSet;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Maintenance windows at their edges: the start is inside, the end is not; a window whose
 * end is at or before its start runs over midnight from the day it is listed for; across
 * DST changes the wall times hold, so the window is an hour shorter or longer.
 */
class MaintenanceWindowTest {
  static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

  static MaintenanceWindow window(Set<DayOfWeek> days, String from, String to, ZoneId zone) {
    return new MaintenanceWindow(days, LocalTime.parse(from), LocalTime.parse(to), zone);
  }

  static boolean in(MaintenanceWindow w, String instant) {
    return w.at(Instant.parse(instant)).isPresent();
  }

  @Test
  @DisplayName("within a day: from is inside, to is outside, other days are outside")
  void within_a_day() {
    MaintenanceWindow w = window(EnumSet.of(DayOfWeek.MONDAY), "09:00", "17:00", ZoneId.of("UTC"));
    // 2026-11-23 is a Monday.
    assertFalse(in(w, "2026-11-23T08:59:59.999Z"));
    assertTrue(in(w, "2026-11-23T09:00:00Z"));
    assertTrue(in(w, "2026-11-23T16:59:59.999Z"));
    assertFalse(in(w, "2026-11-23T17:00:00Z"));
    assertFalse(in(w, "2026-11-24T10:00:00Z"), "Tuesday is not listed");
    assertFalse(in(w, "2026-11-16T08:00:00Z"));
    assertTrue(in(w, "2026-11-16T12:00:00Z"), "every Monday");
  }

  @Test
  @DisplayName("over midnight: Friday 22:00 to Saturday 02:00 in Berlin; days are the days a window starts")
  void over_midnight() {
    MaintenanceWindow w = window(EnumSet.of(DayOfWeek.FRIDAY), "22:00", "02:00", BERLIN);
    // 2026-11-27 is a Friday; Berlin is UTC+1 in November.
    assertFalse(in(w, "2026-11-27T20:59:59Z"));
    assertTrue(in(w, "2026-11-27T21:00:00Z"));
    assertTrue(in(w, "2026-11-27T23:30:00Z"), "Saturday 00:30 local, in Friday's window");
    assertTrue(in(w, "2026-11-28T00:59:59Z"));
    assertFalse(in(w, "2026-11-28T01:00:00Z"), "Saturday 02:00 local ends it");
    assertFalse(in(w, "2026-11-28T21:30:00Z"), "Saturday 22:30 starts no window");
    assertFalse(in(w, "2026-11-27T00:30:00Z"), "Friday 01:30 belongs to Thursday, not listed");
    assertEquals(Optional.of(new Window(Instant.parse("2026-11-27T21:00:00Z"), Instant.parse("2026-11-28T01:00:00Z"))),
        w.at(Instant.parse("2026-11-28T00:00:00Z")));
  }

  @Test
  @DisplayName("from equal to to is a whole day, and back-to-back days join up")
  void whole_days() {
    MaintenanceWindow w = window(EnumSet.of(DayOfWeek.SATURDAY, DayOfWeek.SUNDAY), "00:00", "00:00", ZoneId.of("UTC"));
    // 2026-11-28 is a Saturday.
    assertFalse(in(w, "2026-11-27T23:59:59Z"));
    assertTrue(in(w, "2026-11-28T00:00:00Z"));
    assertTrue(in(w, "2026-11-29T00:00:00Z"));
    assertTrue(in(w, "2026-11-29T23:59:59Z"));
    assertFalse(in(w, "2026-11-30T00:00:00Z"));
  }

  @Test
  @DisplayName("spring forward in Berlin (29 March 2026, 02:00 -> 03:00): a window over it is an hour shorter")
  void spring_forward() {
    MaintenanceWindow w = window(EnumSet.of(DayOfWeek.SATURDAY), "22:00", "06:00", BERLIN);
    // Saturday 28 March 22:00 CET = 21:00Z; Sunday 06:00 CEST = 04:00Z: 7 hours, not 8.
    Window occurrence = w.at(Instant.parse("2026-03-29T00:00:00Z")).orElseThrow();
    assertEquals(Instant.parse("2026-03-28T21:00:00Z"), occurrence.start());
    assertEquals(Instant.parse("2026-03-29T04:00:00Z"), occurrence.end());
    assertEquals(Duration.ofHours(7), Duration.between(occurrence.start(), occurrence.end()));
    assertTrue(in(w, "2026-03-29T03:59:59Z"));
    assertFalse(in(w, "2026-03-29T04:00:00Z"));
  }

  @Test
  @DisplayName("spring forward: a start in the skipped hour moves later by the gap")
  void start_in_the_gap() {
    MaintenanceWindow w = window(EnumSet.of(DayOfWeek.SUNDAY), "02:30", "05:00", BERLIN);
    // 02:30 does not exist on 29 March 2026 in Berlin: it becomes 03:30 CEST = 01:30Z.
    assertFalse(in(w, "2026-03-29T01:29:59Z"));
    assertTrue(in(w, "2026-03-29T01:30:00Z"));
    assertTrue(in(w, "2026-03-29T02:59:59Z"));
    assertFalse(in(w, "2026-03-29T03:00:00Z"), "05:00 CEST");
    // A week later, an ordinary Sunday: 02:30 CEST = 00:30Z.
    assertTrue(in(w, "2026-04-05T00:30:00Z"));
  }

  @Test
  @DisplayName("fall back in Berlin (25 October 2026, 03:00 -> 02:00): a window over it is an hour longer")
  void fall_back() {
    MaintenanceWindow w = window(EnumSet.of(DayOfWeek.SATURDAY), "22:00", "06:00", BERLIN);
    // Saturday 24 October 22:00 CEST = 20:00Z; Sunday 06:00 CET = 05:00Z: 9 hours.
    Window occurrence = w.at(Instant.parse("2026-10-25T01:30:00Z")).orElseThrow();
    assertEquals(Instant.parse("2026-10-24T20:00:00Z"), occurrence.start());
    assertEquals(Instant.parse("2026-10-25T05:00:00Z"), occurrence.end());
    assertEquals(Duration.ofHours(9), Duration.between(occurrence.start(), occurrence.end()));
    assertTrue(in(w, "2026-10-25T04:59:59Z"));
    assertFalse(in(w, "2026-10-25T05:00:00Z"));
  }

  @Test
  @DisplayName("fall back: a time passed twice means its first pass")
  void end_in_the_repeated_hour() {
    MaintenanceWindow w = window(EnumSet.of(DayOfWeek.SATURDAY), "23:00", "02:30", BERLIN);
    // 02:30 happens at 00:30Z (CEST) and again at 01:30Z (CET); the window ends at the first.
    assertTrue(in(w, "2026-10-25T00:29:59Z"));
    assertFalse(in(w, "2026-10-25T00:30:00Z"));
    assertFalse(in(w, "2026-10-25T01:30:00Z"));
  }

  @Test
  @DisplayName("the current or next occurrence")
  void current_or_next() {
    MaintenanceWindow w = window(EnumSet.of(DayOfWeek.FRIDAY), "22:00", "02:00", BERLIN);
    Window fri = new Window(Instant.parse("2026-11-27T21:00:00Z"), Instant.parse("2026-11-28T01:00:00Z"));
    assertEquals(Optional.of(fri), w.currentOrNext(Instant.parse("2026-11-25T12:00:00Z")), "Wednesday: next Friday");
    assertEquals(Optional.of(fri), w.currentOrNext(Instant.parse("2026-11-28T00:59:59Z")), "inside it: this one");
    assertEquals(Instant.parse("2026-12-04T21:00:00Z"),
        w.currentOrNext(Instant.parse("2026-11-28T01:00:00Z")).orElseThrow().start(), "at its end: the next");
  }
}
