package io.vigil.config;

import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as written in Vigil's configuration, rule metadata and API: a sequence of
 * number-unit pairs such as {@code 30s}, {@code 10m}, {@code 1h30m}, {@code 1d},
 * {@code 250ms}. One syntax everywhere, so an operator never wonders which one applies.
 */
public final class Durations {
  private static final Pattern WHOLE = Pattern.compile("(?:\\d+(?:ms|s|m|h|d))+");
  private static final Pattern PART = Pattern.compile("(\\d+)(ms|s|m|h|d)");

  private Durations() {}

  /** Parses a duration; throws {@link IllegalArgumentException} with a readable message. */
  public static Duration parse(String text) {
    if (text == null) {
      throw new IllegalArgumentException("a duration is required, e.g. 30s, 10m, 1h, 1d");
    }
    String t = text.trim();
    if (!WHOLE.matcher(t).matches()) {
      throw new IllegalArgumentException(
          "'" + text + "' is not a duration; write it as 30s, 10m, 1h, 1d or 250ms");
    }
    Matcher m = PART.matcher(t);
    Duration total = Duration.ZERO;
    while (m.find()) {
      long n;
      try {
        n = Long.parseLong(m.group(1));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("'" + text + "' is too large");
      }
      try {
        total =
            total.plus(
                switch (m.group(2)) {
                  case "ms" -> Duration.ofMillis(n);
                  case "s" -> Duration.ofSeconds(n);
                  case "m" -> Duration.ofMinutes(n);
                  case "h" -> Duration.ofHours(n);
                  default -> Duration.ofDays(n);
                });
      } catch (ArithmeticException e) {
        throw new IllegalArgumentException("'" + text + "' is too large");
      }
    }
    return total;
  }

  /** Formats the way an operator would write it: {@code 90s} becomes {@code 1m30s}. */
  public static String format(Duration d) {
    long ms = d.toMillis();
    if (ms == 0) {
      return "0s";
    }
    StringBuilder b = new StringBuilder();
    long[] units = {86_400_000L, 3_600_000L, 60_000L, 1_000L, 1L};
    String[] names = {"d", "h", "m", "s", "ms"};
    for (int i = 0; i < units.length; i++) {
      long n = ms / units[i];
      if (n > 0) {
        b.append(n).append(names[i]);
        ms -= n * units[i];
      }
    }
    return b.toString();
  }
}
