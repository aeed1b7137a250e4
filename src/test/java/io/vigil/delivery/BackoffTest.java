package io.vigil.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongUnaryOperator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Attempt n waits a random time up to min(max, initial * 2^(n-1)); a receiver's Retry-After
 * replaces that, but is capped at max too. The bound never overflows, however many attempts.
 */
class BackoffTest {
  private static final Duration INITIAL = Duration.ofSeconds(5);
  private static final Duration MAX = Duration.ofMinutes(10);
  private static final LongUnaryOperator ALWAYS_THE_BOUND = bound -> bound;

  private final Backoff backoff = new Backoff(INITIAL, MAX, ALWAYS_THE_BOUND);

  @Test
  void attempt_n_waits_initial_times_two_to_the_n_minus_one_capped_at_max() {
    long[] expectedSeconds = {5, 10, 20, 40, 80, 160, 320, 600, 600, 600};
    for (int attempt = 1; attempt <= expectedSeconds.length; attempt++) {
      assertEquals(
          Duration.ofSeconds(expectedSeconds[attempt - 1]),
          backoff.delay(attempt, Optional.empty()),
          "attempt " + attempt);
    }
  }

  @Test
  void the_ceiling_is_exact_just_below_and_at_the_cap() {
    Backoff b = new Backoff(Duration.ofMillis(3), Duration.ofMillis(24), ALWAYS_THE_BOUND);

    assertEquals(Duration.ofMillis(12), b.ceiling(3));
    assertEquals(Duration.ofMillis(24), b.ceiling(4), "3 * 2^3 is exactly the cap");
    assertEquals(Duration.ofMillis(24), b.ceiling(5));
  }

  @Test
  void the_delay_is_the_random_draw_below_the_ceiling() {
    AtomicLong seenBound = new AtomicLong(-1);
    Backoff b =
        new Backoff(INITIAL, MAX, bound -> {
          seenBound.set(bound);
          return bound / 4;
        });

    Duration d = b.delay(3, Optional.empty());

    assertEquals(20_000, seenBound.get(), "the random function gets the ceiling in ms");
    assertEquals(Duration.ofSeconds(5), d);
  }

  @Test
  void retry_after_overrides_the_backoff() {
    assertEquals(Duration.ofSeconds(42), backoff.delay(1, Optional.of(Duration.ofSeconds(42))));
    assertEquals(Duration.ofSeconds(1), backoff.delay(9, Optional.of(Duration.ofSeconds(1))));
  }

  @Test
  void retry_after_is_capped_at_max() {
    assertEquals(MAX, backoff.delay(1, Optional.of(Duration.ofHours(6))));
  }

  @ParameterizedTest(name = "attempt {0} waits at most max")
  @ValueSource(ints = {31, 32, 33, 41, 62, 63, 64, 65, 1000, Integer.MAX_VALUE})
  void large_attempt_numbers_do_not_overflow(int attempt) {
    Duration d = backoff.delay(attempt, Optional.empty());

    assertEquals(MAX, d);
  }

  @Test
  void large_attempt_numbers_with_a_huge_max_stay_positive() {
    Backoff b = new Backoff(Duration.ofDays(1), Duration.ofMillis(Long.MAX_VALUE), ALWAYS_THE_BOUND);

    for (int attempt : new int[] {1, 30, 40, 41, 63, 64, Integer.MAX_VALUE}) {
      Duration d = b.delay(attempt, Optional.empty());
      assertTrue(!d.isNegative() && d.compareTo(Duration.ofMillis(Long.MAX_VALUE)) <= 0, attempt + " -> " + d);
      assertTrue(d.compareTo(Duration.ofDays(1)) >= 0, attempt + " -> " + d);
    }
  }

  @ParameterizedTest(name = "attempt {0} is treated as the first")
  @ValueSource(ints = {0, -1, -1000})
  void attempt_numbers_below_one_wait_the_initial_delay(int attempt) {
    assertEquals(INITIAL, backoff.delay(attempt, Optional.empty()));
  }

  @Test
  void the_smallest_attempt_number_does_not_wrap_around_to_the_longest_delay() {
    assertEquals(INITIAL, backoff.delay(Integer.MIN_VALUE, Optional.empty()));
  }
}
