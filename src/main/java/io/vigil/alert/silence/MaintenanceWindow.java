package io.vigil.alert.silence;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * When a recurring silence is in effect: on each of {@code days}, from {@code from} to
 * {@code to} in {@code zone}, wall-clock time. {@code days} are the days a window starts
 * on: with {@code to} at or before {@code from} the window runs over midnight into the next
 * day ({@code from == to} is a whole day). Across a DST change the window keeps its wall
 * times, so it is an hour longer or shorter: a time the clocks skip moves later by the gap
 * (02:30 on the spring-forward night in Berlin is 03:30), a time they pass twice means its
 * first pass.
 */
public record MaintenanceWindow(Set<DayOfWeek> days, LocalTime from, LocalTime to, ZoneId zone) {
  public MaintenanceWindow {
    EnumSet<DayOfWeek> ordered = EnumSet.noneOf(DayOfWeek.class);
    ordered.addAll(days);
    days = Collections.unmodifiableSet(ordered);
  }

  /** One occurrence: from {@code start} (inclusive) to {@code end} (exclusive). */
  public record Window(Instant start, Instant end) {
    public boolean contains(Instant t) {
      return !t.isBefore(start) && t.isBefore(end);
    }
  }

  /** The occurrence {@code t} falls in, if any. */
  public Optional<Window> at(Instant t) {
    LocalDate day = t.atZone(zone).toLocalDate();
    // A window ends at most one local day after the day it starts on.
    for (int back = 2; back >= 0; back--) {
      Optional<Window> w = startingOn(day.minusDays(back));
      if (w.isPresent() && w.get().contains(t)) {
        return w;
      }
    }
    return Optional.empty();
  }

  /** The occurrence {@code t} falls in, else the first one after it. */
  public Optional<Window> currentOrNext(Instant t) {
    LocalDate day = t.atZone(zone).toLocalDate();
    for (int i = -2; i <= 8; i++) {
      Optional<Window> w = startingOn(day.plusDays(i));
      if (w.isPresent() && w.get().end().isAfter(t)) {
        return w;
      }
    }
    return Optional.empty();
  }

  /** The occurrence that starts on {@code day}, if {@code day} is one of the days. */
  public Optional<Window> startingOn(LocalDate day) {
    if (!days.contains(day.getDayOfWeek())) {
      return Optional.empty();
    }
    Instant start = ZonedDateTime.of(day, from, zone).toInstant();
    LocalDate endDay = to.isAfter(from) ? day : day.plusDays(1);
    Instant end = ZonedDateTime.of(endDay, to, zone).toInstant();
    // Both ends inside one skipped hour can leave nothing.
    return end.isAfter(start) ? Optional.of(new Window(start, end)) : Optional.empty();
  }

  public JsonObject toJson() {
    JsonArray d = new JsonArray();
    days.forEach(x -> d.add(x.name().substring(0, 3).toLowerCase(Locale.ROOT)));
    return new JsonObject().put("days", d).put("from", from.toString()).put("to", to.toString())
        .put("timezone", zone.getId());
  }
}
