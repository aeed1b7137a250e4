package io.vigil.alert;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;

/**
 * A clock hour in UTC, {@code [start, start + 1h)}: the window a channel's {@code
 * max_per_hour} counts alerts in, and the span one "held back" notice covers. Fixed clock
 * hours rather than a rolling 60 minutes, so that "when the hour ends" is one moment that
 * every process agrees on, and a count kept in the database needs one row per hour.
 */
public record ClockHour(Instant start) {
  public static final Duration LENGTH = Duration.ofHours(1);

  /** The clock hour an instant falls in. */
  public static ClockHour of(Instant t) {
    return new ClockHour(t.truncatedTo(ChronoUnit.HOURS));
  }

  public Instant end() {
    return start.plus(LENGTH);
  }

  /** Whether the hour is over at {@code now}: its end is not after it. */
  public boolean endedBy(Instant now) {
    return !now.isBefore(end());
  }

  /** The start of the latest hour that has ended by {@code now}: rows of hours before or at it are due a notice. */
  public static Instant lastEndedStart(Instant now) {
    return of(now).start().minus(LENGTH);
  }
}
