package io.vigil.alert.silence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Which alerts a silence covers: every matcher must hold; regular expressions match the
 * whole value; tags are a set; {@code event.*} matchers hold for one and the same evidence
 * event, a field an event lacks reading as the empty string.
 */
class SilenceMatchingTest {
  static final Instant NOW = Instant.parse("2026-11-22T10:00:00Z");

  static final AlertFields BRUTE_FORCE = new AlertFields("Brute force login", "203.0.113.7", "high",
      List.of("auth", "brute-force"),
      List.of(Map.of("type", "auth.login_failed", "ip", "203.0.113.7", "user", "alice",
              "attributes", Map.of("http", Map.of("status", 500), "geo", List.of("de", "fr"))),
          Map.of("type", "auth.login_failed", "ip", "203.0.113.7", "user", "bob", "attributes", Map.of())));

  /** A silence from its API form, e.g. {@code "rule", "=", "x"} pairs, active around NOW. */
  static Silence silence(String... triples) {
    StringBuilder m = new StringBuilder("[");
    for (int i = 0; i < triples.length; i += 3) {
      m.append(i == 0 ? "" : ",").append(new JsonObject().put("name", triples[i]).put("op", triples[i + 1])
          .put("value", triples[i + 2]).encode());
    }
    m.append("]");
    JsonObject body = new JsonObject("{\"matchers\":" + m + ",\"starts_at\":\"2026-11-22T09:00:00Z\","
        + "\"ends_at\":\"2026-11-22T11:00:00Z\"}");
    SilenceParser.Result r = SilenceParser.parse(body, UUID.randomUUID(), "acme", "key1", NOW);
    assertTrue(r.ok(), () -> r.problems().toString());
    return r.silence();
  }

  static boolean covers(String... triples) {
    return silence(triples).matches(BRUTE_FORCE);
  }

  @Test
  @DisplayName("the issue's example: rule equal and key by regex")
  void issue_example() {
    assertTrue(covers("rule", "=", "Brute force login", "key", "=~", "203\\.0\\.113\\..*"));
    assertFalse(covers("rule", "=", "Brute force login", "key", "=~", "198\\.51\\.100\\..*"));
    assertFalse(covers("rule", "=", "Port scan", "key", "=~", "203\\.0\\.113\\..*"), "every matcher must hold");
  }

  @ParameterizedTest(name = "{0} {1} \"{2}\" -> {3}")
  @CsvSource(delimiter = '|', value = {
      "rule|=|Brute force login|true",
      "rule|=|brute force login|false",
      "rule|!=|Brute force login|false",
      "rule|!=|Port scan|true",
      "key|=~|203|false",
      "key|=~|.*113.*|true",
      "key|=~|203\\.0\\.113\\.7|true",
      "key|!~|203\\..*|false",
      "key|!~|10\\..*|true",
      "severity|=|high|true",
      "severity|!=|high|false",
      "tags|=|auth|true",
      "tags|=|au|false",
      "tags|!=|auth|false",
      "tags|!=|network|true",
      "tags|=~|brute-.*|true",
      "tags|=~|brute|false",
      "tags|!~|brute-.*|false",
      "tags|!~|net.*|true",
  })
  void alert_fields(String name, String op, String value, boolean expected) {
    assertEquals(expected, covers(name, op, value));
  }

  @Test
  @DisplayName("a regex alternation at top level still has to match the whole value")
  void alternation_is_anchored() {
    assertTrue(covers("severity", "=~", "high|critical"));
    assertFalse(covers("severity", "=~", "hi|crit"));
    assertFalse(covers("key", "=~", "203|xyz"));
  }

  @Test
  @DisplayName("tags: an alert without tags has none equal and none matching")
  void no_tags() {
    AlertFields untagged = new AlertFields("r", "k", "low", List.of(), List.of());
    assertFalse(silence("tags", "=~", ".*").matches(untagged));
    assertTrue(silence("tags", "!~", ".*").matches(untagged));
    assertTrue(silence("tags", "!=", "auth").matches(untagged));
  }

  @ParameterizedTest(name = "{0} {1} \"{2}\" -> {3}")
  @CsvSource(delimiter = '|', value = {
      "event.ip|=|203.0.113.7|true",
      "event.user|=|bob|true",
      "event.user|=|carol|false",
      "event.user|!=|alice|true",
      "event.type|=~|auth\\..*|true",
      "event.type|!~|auth\\..*|false",
      "event.host|=||true",
      "event.host|!=||false",
      "event.host|=~|.*|true",
      "event.attributes.http.status|=|500|true",
      "event.attributes.http.status|=~|5\\d\\d|true",
      "event.attributes.http.status|=|404|false",
      "event.attributes.geo.1|=|fr|true",
      "event.attributes.missing.path|=||true",
  })
  void event_fields(String name, String op, String value, boolean expected) {
    assertEquals(expected, covers(name, op, value == null ? "" : value));
  }

  @Test
  @DisplayName("event matchers must hold for the same evidence event")
  void event_matchers_on_one_event() {
    assertTrue(covers("event.user", "=", "alice", "event.attributes.http.status", "=", "500"));
    assertFalse(covers("event.user", "=", "bob", "event.attributes.http.status", "=", "500"),
        "bob's event has no status 500; alice's is another event");
  }

  @Test
  @DisplayName("an alert without evidence is matched as one event with no fields")
  void no_evidence() {
    AlertFields bare = new AlertFields("Timer", "k", "low", List.of(), List.of());
    assertTrue(silence("event.user", "!=", "alice").matches(bare));
    assertFalse(silence("event.user", "=", "alice").matches(bare));
    assertTrue(silence("rule", "=", "Timer", "event.ip", "=", "").matches(bare));
  }
}
