package io.vigil.alert;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** An alert's identity is a stable 64-hex-character hash of (tenant, rule, key); no two triples share one. */
class FingerprintTest {

  @Test
  void is_64_lower_case_hex_characters() {
    String f = Fingerprint.of("acme", "brute-force", "203.0.113.7");

    assertEquals(64, f.length());
    assertTrue(f.matches("[0-9a-f]{64}"), f);
  }

  @Test
  void is_stable_for_the_same_triple() {
    assertEquals(Fingerprint.of("acme", "brute-force", "alice"), Fingerprint.of("acme", "brute-force", "alice"));
  }

  @Test
  void is_the_sha256_of_the_nul_separated_triple() {
    // Computed outside Java: printf 'acme\0brute-force\0alice' | sha256sum. A change of algorithm
    // or separator would give every open alert a new identity, so it must be deliberate.
    assertEquals(
        "4624dd2fc3e7cff35b835313ef08c0f4312ff500a2bcba6b55734c66b81238af",
        Fingerprint.of("acme", "brute-force", "alice"));
  }

  @Test
  void differs_when_any_part_differs() {
    String base = Fingerprint.of("acme", "brute-force", "alice");

    assertNotEquals(base, Fingerprint.of("globex", "brute-force", "alice"));
    assertNotEquals(base, Fingerprint.of("acme", "impossible-travel", "alice"));
    assertNotEquals(base, Fingerprint.of("acme", "brute-force", "bob"));
  }

  @Test
  void moving_characters_across_a_boundary_gives_a_different_fingerprint() {
    assertNotEquals(Fingerprint.of("a", "bc", ""), Fingerprint.of("ab", "c", ""));
    assertNotEquals(Fingerprint.of("", "ab", "c"), Fingerprint.of("", "a", "bc"));
    assertNotEquals(Fingerprint.of("a", "", "b"), Fingerprint.of("", "a", "b"));
  }

  @Test
  void no_two_of_many_triples_collide() {
    List<String> parts = List.of("", "a", "b", "ab", "a.b", "a b");
    Set<String> seen = new HashSet<>();
    int triples = 0;
    for (String t : parts) {
      for (String r : parts) {
        for (String k : parts) {
          seen.add(Fingerprint.of(t, r, k));
          triples++;
        }
      }
    }
    assertEquals(triples, seen.size());
  }
}
