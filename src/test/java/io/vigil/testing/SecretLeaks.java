package io.vigil.testing;

import static org.junit.jupiter.api.Assertions.fail;

import java.util.ArrayList;
import java.util.List;

/**
 * The one check every channel test and the channels API test make: none of the secrets
 * given (tokens, URL paths, passwords, routing keys) appears in any of the texts (API
 * responses, captured log lines, stored last_error values, delivery results).
 */
public final class SecretLeaks {
  private SecretLeaks() {}

  public static void assertNone(Iterable<String> texts, String... secrets) {
    List<String> leaks = new ArrayList<>();
    for (String text : texts) {
      if (text == null) {
        continue;
      }
      for (String secret : secrets) {
        if (secret != null && !secret.isEmpty() && text.contains(secret)) {
          leaks.add("'" + secret + "' in: " + (text.length() > 300 ? text.substring(0, 300) + "..." : text));
        }
      }
    }
    if (!leaks.isEmpty()) {
      fail("secrets leaked:\n" + String.join("\n", leaks));
    }
  }

  public static void assertNone(String text, String... secrets) {
    assertNone(List.of(text == null ? "" : text), secrets);
  }
}
