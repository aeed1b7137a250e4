package io.vigil.alert;

import java.util.Locale;
import java.util.Optional;

/** Where an alert is in its life. {@code suppressed} alerts are stored but not delivered. */
public enum AlertStatus {
  ACTIVE,
  ACKNOWLEDGED,
  RESOLVED,
  SUPPRESSED;

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Optional<AlertStatus> parse(String text) {
    for (AlertStatus s : values()) {
      if (s.label().equals(text)) {
        return Optional.of(s);
      }
    }
    return Optional.empty();
  }
}
