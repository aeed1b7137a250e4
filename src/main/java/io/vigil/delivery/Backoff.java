package io.vigil.delivery;

import java.time.Duration;
import java.util.Optional;
import java.util.function.LongUnaryOperator;

/**
 * When to try again: exponential backoff with full jitter, computed from the stored attempt
 * count (so a restart keeps the schedule), overridden by the receiver's {@code Retry-After}
 * and capped at {@code max}. Attempt n waits a random time in [0, min(max, initial * 2^(n-1))].
 */
public final class Backoff {
  private final Duration initial;
  private final Duration max;
  private final LongUnaryOperator random;

  /** {@code random} maps a bound to a value in [0, bound]; tests pass a fixed one. */
  public Backoff(Duration initial, Duration max, LongUnaryOperator random) {
    this.initial = initial;
    this.max = max;
    this.random = random;
  }

  public Duration delay(int attempt, Optional<Duration> retryAfter) {
    if (retryAfter.isPresent()) {
      Duration ra = retryAfter.get();
      return ra.compareTo(max) > 0 ? max : ra;
    }
    return Duration.ofMillis(random.applyAsLong(ceiling(attempt).toMillis()));
  }

  /** The largest delay attempt n can get. */
  public Duration ceiling(int attempt) {
    long shift = Math.max(0L, (long) attempt - 1);
    long ms = initial.toMillis();
    long capped = max.toMillis();
    // Doubling past the cap (or past 62 bits) can only give the cap.
    long value = shift >= 62 || ms > (capped >> shift) ? capped : ms << shift;
    return Duration.ofMillis(Math.min(value, capped));
  }
}
