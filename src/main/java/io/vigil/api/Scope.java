package io.vigil.api;

import java.util.Locale;
import java.util.Optional;

/**
 * What an API key may do. {@code operator} is global (rule files, templates, DRL sent in
 * requests, keys for any tenant) and implies every other scope; the rest act on the key's
 * own tenant only.
 */
public enum Scope {
  INGEST,
  READ,
  RESPOND,
  ADMIN,
  OPERATOR;

  public String label() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static Optional<Scope> parse(String s) {
    for (Scope v : values()) {
      if (v.label().equals(s)) {
        return Optional.of(v);
      }
    }
    return Optional.empty();
  }
}
