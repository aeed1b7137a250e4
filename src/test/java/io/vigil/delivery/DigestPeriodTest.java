package io.vigil.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Digest periods: from the first held alert, for the channel's digest duration. */
class DigestPeriodTest {
  static final Instant FIRST = Instant.parse("2026-11-22T10:00:07Z");

  @Test
  @DisplayName("the period starts at the first held alert and ends one digest later; it is due at its end")
  void period_from_first_held() {
    DigestPeriod p = DigestPeriod.of(FIRST, Optional.of(Duration.ofMinutes(5)), FIRST.plusSeconds(1));
    assertEquals(FIRST, p.start());
    assertEquals(Instant.parse("2026-11-22T10:05:07Z"), p.end());
    assertFalse(p.flush());
    assertFalse(p.due(Instant.parse("2026-11-22T10:05:06.999Z")));
    assertTrue(p.due(Instant.parse("2026-11-22T10:05:07Z")));
  }

  @Test
  @DisplayName("alerts held from its start up to, not including, its end belong to it; later ones start the next")
  void covers_start_inclusive_end_exclusive() {
    DigestPeriod p = DigestPeriod.of(FIRST, Optional.of(Duration.ofMinutes(1)), FIRST);
    assertTrue(p.covers(FIRST));
    assertTrue(p.covers(FIRST.plusSeconds(59)));
    assertFalse(p.covers(FIRST.plusSeconds(60)));
    assertFalse(p.covers(FIRST.minusMillis(1)));
  }

  @Test
  @DisplayName("a channel that no longer batches flushes what it holds at once")
  void no_digest_flushes() {
    Instant now = FIRST.plusSeconds(30);
    DigestPeriod p = DigestPeriod.of(FIRST, Optional.empty(), now);
    assertTrue(p.flush());
    assertTrue(p.due(now));
    assertEquals(now, p.end());
    assertTrue(p.covers(FIRST) && p.covers(now));
    assertFalse(p.covers(now.plusMillis(1)));
  }
}
