package io.vigil.delivery;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/**
 * One digest period of a channel: it starts when the first alert is held for the channel
 * and lasts the channel's {@code digest} duration. Alerts held from {@code start} up to, not
 * including, {@code end} go out in its digest; one held at or after {@code end} starts the
 * next period. A channel that no longer batches (its {@code digest} removed, or the channel
 * deleted) flushes what it holds at once: {@code flush} is then set and {@code end} is now.
 */
public record DigestPeriod(Instant start, Instant end, boolean flush) {
  /** The period that began with the first held alert at {@code firstHeld}. */
  public static DigestPeriod of(Instant firstHeld, Optional<Duration> digest, Instant now) {
    return digest.map(d -> new DigestPeriod(firstHeld, firstHeld.plus(d), false))
        .orElseGet(() -> new DigestPeriod(firstHeld, now.isBefore(firstHeld) ? firstHeld : now, true));
  }

  /** Whether the digest is due at {@code now}: the period has ended (or is being flushed). */
  public boolean due(Instant now) {
    return flush || !now.isBefore(end);
  }

  /** Whether an alert held at {@code heldAt} belongs to this period. */
  public boolean covers(Instant heldAt) {
    return !heldAt.isBefore(start) && (flush ? !heldAt.isAfter(end) : heldAt.isBefore(end));
  }
}
