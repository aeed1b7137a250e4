package io.vigil.alert.silence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vigil.alert.silence.SilenceParser.Problem;
import io.vigil.store.SilenceStore.StoredSilence;
import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The parser takes exactly the documented silence shape and reports every problem at its
 * JSON path; regular expressions that do not compile (or would unroll too far) are the
 * only problems that make a body {@code invalid_regex}.
 */
class SilenceParserTest {
  static final Instant NOW = Instant.parse("2026-11-22T10:00:00Z");
  static final String EXAMPLE = """
      {"matchers":[{"name":"rule","op":"=","value":"Brute force login"},
                   {"name":"key","op":"=~","value":"203\\\\.0\\\\.113\\\\..*"}],
       "starts_at":"2026-11-22T10:00:00Z","ends_at":"2026-11-22T12:00:00+01:00",
       "created_by":"alice@example.org","comment":"pen test"}
      """;

  static SilenceParser.Result parse(String json) {
    return SilenceParser.parse(new JsonObject(json), UUID.randomUUID(), "acme", "key1", NOW);
  }

  static Set<String> fields(SilenceParser.Result r) {
    return r.problems().stream().map(Problem::field).collect(Collectors.toSet());
  }

  @Test
  @DisplayName("the issue's example reads as written")
  void example() {
    SilenceParser.Result r = parse(EXAMPLE);
    assertTrue(r.ok(), r.problems()::toString);
    Silence s = r.silence();
    assertEquals(2, s.matchers().size());
    assertEquals("203\\.0\\.113\\..*", s.matchers().get(1).value());
    assertEquals(SilenceMatcher.Op.RE, s.matchers().get(1).op());
    assertEquals(Instant.parse("2026-11-22T11:00:00Z"), s.endsAt());
    assertEquals("alice@example.org", s.createdBy());
    assertEquals("pen test", s.comment());
    assertEquals("acme", s.tenant());
  }

  @Test
  @DisplayName("starts_at defaults to now and created_by to the key")
  void defaults() {
    Silence s = parse("{\"matchers\":[{\"name\":\"rule\",\"op\":\"=\",\"value\":\"x\"}],"
        + "\"ends_at\":\"2026-11-22T11:00:00Z\"}").silence();
    assertEquals(NOW, s.startsAt());
    assertEquals("key1", s.createdBy());
    assertNull(s.comment());
  }

  @Test
  @DisplayName("ending before (or when) it starts is a plain invalid request, not a regex problem")
  void end_before_start() {
    for (String end : List.of("2026-11-22T09:00:00Z", "2026-11-22T10:00:00Z")) {
      SilenceParser.Result r = parse("{\"matchers\":[{\"name\":\"rule\",\"op\":\"=\",\"value\":\"x\"}],"
          + "\"starts_at\":\"2026-11-22T10:00:00Z\",\"ends_at\":\"" + end + "\"}");
      assertFalse(r.ok());
      assertEquals(Set.of("ends_at"), fields(r));
      assertFalse(r.onlyBadRegexes());
    }
  }

  @Test
  @DisplayName("a regex that does not compile is invalid_regex with its position")
  void bad_regex() {
    SilenceParser.Result r = parse("{\"matchers\":[{\"name\":\"key\",\"op\":\"=~\",\"value\":\"203.(0\"}],"
        + "\"ends_at\":\"2026-11-22T11:00:00Z\"}");
    assertTrue(r.onlyBadRegexes(), r.problems()::toString);
    Problem p = r.problems().get(0);
    assertEquals("matchers[0].value", p.field());
    assertEquals(4, p.position());
  }

  @ParameterizedTest
  @ValueSource(strings = {"((a{1000}){1000}){1000}", "(a{1000}){1000}", "(((x{30}){30}){30})"})
  @DisplayName("a regex whose repetitions unroll too far is refused before it is compiled")
  void regex_too_large(String pattern) {
    SilenceParser.Result r = parse(new JsonObject().put("matchers", new JsonArray().add(new JsonObject()
        .put("name", "key").put("op", "!~").put("value", pattern))).put("ends_at", "2026-11-22T11:00:00Z").encode());
    assertTrue(r.onlyBadRegexes(), r.problems()::toString);
    assertTrue(r.problems().get(0).message().contains("too large"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"(\\d{1,3}\\.){3}\\d{1,3}", "[a-z]{1,64}", "\\p{Greek}+", "x{2}y{3}", "a{,3}", "\\Q{9999}\\E"})
  @DisplayName("ordinary regexes with repetitions pass the size guard")
  void regex_sizes_that_pass(String pattern) {
    assertTrue(PatternSize.of(pattern) <= PatternSize.MAX, pattern + " -> " + PatternSize.of(pattern));
  }

  @Test
  @DisplayName("a regex problem alongside any other problem makes the body an invalid request")
  void regex_with_other_problems() {
    SilenceParser.Result r = parse("{\"matchers\":[{\"name\":\"key\",\"op\":\"=~\",\"value\":\"(\"}]}");
    assertFalse(r.onlyBadRegexes());
    assertEquals(Set.of("matchers[0].value", "ends_at"), fields(r));
  }

  @Test
  @DisplayName("every problem of a body is listed, each at its path")
  void every_problem() {
    SilenceParser.Result r = parse("""
        {"matchers":[{"name":"alertname","op":"==","value":5},
                     {"name":"event.password","op":"=","value":"x","extra":1},
                     "rule=x",
                     {"name":"severity","op":"=","value":"urgent"},
                     {"name":"event.attributes.a..b","op":"=","value":"x"}],
         "starts_at":"yesterday","ends_at":12,"created_by":["me"],"comment":false,"silence":true,
         "recurrence":{"days":["mon","funday","mon"],"from":"25:00","timezone":"Mars/Olympus","every":"week"}}
        """);
    assertEquals(Set.of("matchers[0].name", "matchers[0].op", "matchers[0].value", "matchers[1].name",
        "matchers[1].extra", "matchers[2]", "matchers[3].value", "matchers[4].name", "starts_at", "ends_at",
        "created_by", "comment", "silence", "recurrence.days[1]", "recurrence.days[2]", "recurrence.from",
        "recurrence.to", "recurrence.timezone", "recurrence.every"), fields(r), r.problems()::toString);
    assertNull(r.silence());
  }

  @Test
  @DisplayName("matchers are required: absent, empty, or too many")
  void matchers_required() {
    assertEquals(Set.of("matchers"), fields(parse("{\"ends_at\":\"2026-11-22T11:00:00Z\"}")));
    assertEquals(Set.of("matchers"), fields(parse("{\"matchers\":[],\"ends_at\":\"2026-11-22T11:00:00Z\"}")));
    JsonArray many = new JsonArray();
    for (int i = 0; i <= SilenceParser.MAX_MATCHERS; i++) {
      many.add(new JsonObject().put("name", "rule").put("op", "=").put("value", "r" + i));
    }
    assertEquals(Set.of("matchers"),
        fields(parse(new JsonObject().put("matchers", many).put("ends_at", "2026-11-22T11:00:00Z").encode())));
  }

  @Test
  @DisplayName("a recurrence reads with its days, hours and zone; days default to every day")
  void recurrence() {
    Silence s = parse("{\"matchers\":[{\"name\":\"rule\",\"op\":\"=\",\"value\":\"x\"}],"
        + "\"ends_at\":\"2026-12-31T00:00:00Z\",\"recurrence\":{\"days\":[\"sat\",\"fri\"],\"from\":\"22:00\","
        + "\"to\":\"02:00\",\"timezone\":\"Europe/Berlin\"}}").silence();
    MaintenanceWindow w = s.recurrence().orElseThrow();
    assertEquals(EnumSet.of(DayOfWeek.FRIDAY, DayOfWeek.SATURDAY), w.days());
    assertEquals(LocalTime.of(22, 0), w.from());
    assertEquals(LocalTime.of(2, 0), w.to());
    assertEquals(ZoneId.of("Europe/Berlin"), w.zone());
    assertEquals("{\"days\":[\"fri\",\"sat\"],\"from\":\"22:00\",\"to\":\"02:00\",\"timezone\":\"Europe/Berlin\"}",
        w.toJson().encode());
    Silence every = parse("{\"matchers\":[{\"name\":\"rule\",\"op\":\"=\",\"value\":\"x\"}],"
        + "\"ends_at\":\"2026-12-31T00:00:00Z\",\"recurrence\":{\"from\":\"01:00\",\"to\":\"02:00\","
        + "\"timezone\":\"UTC\"}}").silence();
    assertEquals(EnumSet.allOf(DayOfWeek.class), every.recurrence().orElseThrow().days());
  }

  @Test
  @DisplayName("the README's silence example is a valid body that covers the README's brute force alert")
  void readme_example() throws java.io.IOException {
    String readme = java.nio.file.Files.readString(java.nio.file.Path.of("README.md"));
    java.util.regex.Matcher m = java.util.regex.Pattern.compile(
        "(?s)curl -s -X POST localhost:8080/api/v1/silences.*?-d '([^']*)'").matcher(readme);
    assertTrue(m.find(), "the README has a silence example");
    SilenceParser.Result r = parse(m.group(1));
    assertTrue(r.ok(), r.problems()::toString);
    assertTrue(r.silence().matches(SilenceMatchingTest.BRUTE_FORCE));
  }

  @Test
  @DisplayName("what is stored reads back as the same silence")
  void stored_round_trip() {
    Silence s = parse(EXAMPLE).silence();
    JsonArray matchers = new JsonArray();
    s.matchers().forEach(m -> matchers.add(m.toJson()));
    Silence back = SilenceParser.fromStored(new StoredSilence(s.id(), s.tenant(), matchers, s.startsAt(), s.endsAt(),
        null, s.createdBy(), s.comment(), s.createdKey(), s.createdAt(), s.updatedAt(), null));
    assertEquals(s.matchers().stream().map(SilenceMatcher::toJson).toList(),
        back.matchers().stream().map(SilenceMatcher::toJson).toList());
    assertTrue(back.matches(SilenceMatchingTest.BRUTE_FORCE));
  }
}
