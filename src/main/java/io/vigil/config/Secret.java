package io.vigil.config;

import com.fasterxml.jackson.annotation.JsonValue;
import java.util.Objects;

/**
 * A configuration value that must never be shown: webhook URLs, HMAC secrets, tokens,
 * database URLs with passwords. {@link #toString()} and JSON serialization print
 * {@code <secret>}, so logging the effective configuration or returning it over the API
 * is safe by construction; only {@link #reveal()} gives the value, at the point of use.
 */
public final class Secret {
  public static final String MASK = "<secret>";

  private final String value;

  private Secret(String value) {
    this.value = Objects.requireNonNull(value);
  }

  public static Secret of(String value) {
    return new Secret(value);
  }

  public String reveal() {
    return value;
  }

  public boolean isEmpty() {
    return value.isEmpty();
  }

  @JsonValue
  @Override
  public String toString() {
    return MASK;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Secret s && s.value.equals(value);
  }

  @Override
  public int hashCode() {
    return value.hashCode();
  }
}
