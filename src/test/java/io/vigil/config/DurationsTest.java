package io.vigil.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** One duration syntax everywhere: number-unit pairs, read and written the same way. */
class DurationsTest {

  @ParameterizedTest(name = "{0} is {1} ms")
  @CsvSource({
    "30s, 30000",
    "10m, 600000",
    "1h, 3600000",
    "1d, 86400000",
    "250ms, 250",
    "1h30m, 5400000",
    "1m30s, 90000",
    "0s, 0"
  })
  void parses_number_unit_pairs(String text, long millis) {
    assertEquals(Duration.ofMillis(millis), Durations.parse(text));
  }

  @Test
  void ignores_surrounding_whitespace() {
    assertEquals(Duration.ofSeconds(30), Durations.parse("  30s "));
  }

  @ParameterizedTest(name = "\"{0}\" is rejected")
  @ValueSource(strings = {"", "10", "5x", "-1s", "1.5s", "s", "1 h", "PT30S"})
  void rejects_text_that_is_not_a_duration(String text) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Durations.parse(text));
    assertEquals("'" + text + "' is not a duration; write it as 30s, 10m, 1h, 1d or 250ms", e.getMessage());
  }

  @Test
  void rejects_null_with_a_readable_message() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Durations.parse(null));
    assertEquals("a duration is required, e.g. 30s, 10m, 1h, 1d", e.getMessage());
  }

  @Test
  void rejects_a_number_too_large_for_a_duration_instead_of_overflowing() {
    assertThrows(IllegalArgumentException.class, () -> Durations.parse("99999999999999999999d"));
    assertThrows(IllegalArgumentException.class, () -> Durations.parse("9223372036854775807d"));
  }

  @ParameterizedTest(name = "{0} formats as itself")
  @ValueSource(strings = {"30s", "10m", "1h", "1d", "250ms", "1h30m", "1d2h3m4s5ms", "0s"})
  void formats_a_parsed_duration_back_to_the_same_text(String text) {
    assertEquals(text, Durations.format(Durations.parse(text)));
  }

  @Test
  void formats_the_way_an_operator_would_write_it() {
    assertEquals("1m30s", Durations.format(Duration.ofSeconds(90)));
    assertEquals("2h", Durations.format(Duration.ofMinutes(120)));
    assertEquals("1s500ms", Durations.format(Duration.ofMillis(1500)));
  }

  @Test
  void parsing_a_formatted_duration_gives_the_same_duration() {
    for (Duration d :
        new Duration[] {Duration.ofMillis(1), Duration.ofMillis(86_400_000L + 3_723_004L), Duration.ofDays(400)}) {
      assertEquals(d, Durations.parse(Durations.format(d)), d.toString());
    }
  }
}
