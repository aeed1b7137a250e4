package io.vigil.rules;

import java.util.Locale;
import java.util.Optional;

/** Alert and event severities, ordered from least to most severe. */
public enum Severity {
  INFO,
  LOW,
  MEDIUM,
  HIGH,
  CRITICAL,
  EMERGENCY;

  /** The lower-case name used in JSON, DRL metadata and the API. */
  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Optional<Severity> parse(String text) {
    if (text == null) {
      return Optional.empty();
    }
    try {
      return Optional.of(valueOf(text.trim().toUpperCase(Locale.ROOT)));
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
  }

  /** The labels in order, for error messages. */
  public static String labels() {
    return "info, low, medium, high, critical, emergency";
  }
}
