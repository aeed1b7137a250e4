package io.vigil.engine.policy;

import static io.vigil.engine.policy.TestPolicies.json;
import static io.vigil.engine.policy.TestPolicies.object;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vigil.engine.policy.Policy.Group;
import io.vigil.engine.policy.Policy.Join;
import io.vigil.engine.policy.Policy.Leaf;
import io.vigil.engine.policy.Policy.Operator;
import io.vigil.engine.policy.Policy.Schedule;
import io.vigil.engine.policy.Policy.Threshold;
import io.vigil.engine.policy.Policy.Throttle;
import io.vigil.engine.policy.PolicyException.Problem;
import io.vigil.rules.Severity;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The parser accepts exactly the documented policy shape and reports every problem of a
 * body at once, each at its JSON path, with {@code invalid_regex} and the position for
 * regular expressions RE2/J cannot compile.
 */
class PolicyParserTest {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private static final String EXAMPLE = """
      {"name": "prod 5xx from admins", "description": "optional", "severity": "high", "channels": ["secops-webhook"],
       "enabled": true, "case_sensitive": false,
       "conditions": {"all": [
           {"field": "attributes.http.status", "op": "gte", "value": 500},
           {"any": [{"field": "user", "op": "in", "value": ["root", "admin"]},
                    {"field": "host", "op": "regex", "value": "^prod-"}]}]},
       "throttle": {"minutes": 10, "max_per_hour": 20},
       "threshold": {"count": 5, "within": "1m", "group_by": "ip"},
       "active": {"days": ["mon","tue","wed","thu","fri"], "from": "08:00", "to": "18:00", "timezone": "Europe/Berlin"}}
      """;

  private static final String MINIMAL =
      "{\"name\": \"minimal\", \"conditions\": {\"field\": \"type\", \"op\": \"eq\", \"value\": \"a\"}}";

  // ---- valid bodies

  @Test
  @DisplayName("the documented example parses into the typed model")
  void exampleParses() {
    Policy p = PolicyParser.parse(json(EXAMPLE), "pol_abc123", "acme");

    assertEquals("pol_abc123", p.id());
    assertEquals("acme", p.tenant());
    assertEquals("prod 5xx from admins", p.name());
    assertEquals(Optional.of("optional"), p.description());
    assertEquals(Severity.HIGH, p.severity());
    assertEquals(List.of("secops-webhook"), p.channels());
    assertTrue(p.enabled());
    assertFalse(p.caseSensitive());
    assertEquals(new Group(Join.ALL, List.of(
            new Leaf("attributes.http.status", Operator.GTE, json("500")),
            new Group(Join.ANY, List.of(
                new Leaf("user", Operator.IN, json("[\"root\", \"admin\"]")),
                new Leaf("host", Operator.REGEX, json("\"^prod-\"")))))),
        p.conditions());
    assertEquals(Optional.of(new Throttle(10, 20)), p.throttle());
    assertEquals(Optional.of(new Threshold(5, Duration.ofMinutes(1), "ip")), p.threshold());
    assertEquals(Optional.of(new Schedule(EnumSet.range(DayOfWeek.MONDAY, DayOfWeek.FRIDAY), LocalTime.of(8, 0),
        LocalTime.of(18, 0), ZoneId.of("Europe/Berlin"))), p.active());
  }

  @Test
  @DisplayName("a policy with only a name and one condition takes every default")
  void minimalPolicyTakesTheDefaults() {
    Policy p = TestPolicies.parse(MINIMAL);

    assertEquals(Optional.empty(), p.description());
    assertEquals(Severity.MEDIUM, p.severity());
    assertEquals(List.of(), p.channels());
    assertTrue(p.enabled());
    assertTrue(p.caseSensitive());
    assertEquals(new Leaf("type", Operator.EQ, json("\"a\"")), p.conditions());
    assertEquals(Optional.empty(), p.throttle());
    assertEquals(Optional.empty(), p.threshold());
    assertEquals(Optional.empty(), p.active());
  }

  @Test
  @DisplayName("explicit nulls for optional keys count as absent")
  void nullsAreAbsent() {
    Policy p = TestPolicies.parse("""
        {"name": "nulls", "description": null, "severity": null, "channels": null, "enabled": null,
         "case_sensitive": null, "throttle": null, "threshold": null, "active": null,
         "conditions": {"field": "ip", "op": "exists", "value": null}}""");

    assertEquals(Severity.MEDIUM, p.severity());
    assertTrue(p.enabled());
    assertEquals(new Leaf("ip", Operator.EXISTS, json("true")), p.conditions());
  }

  @Test
  @DisplayName("exists without a value means exists true, and takes false")
  void existsDefaultsToTrue() {
    assertEquals(new Leaf("ip", Operator.EXISTS, json("true")),
        TestPolicies.parse(withConditions("{\"field\": \"ip\", \"op\": \"exists\"}")).conditions());
    assertEquals(new Leaf("ip", Operator.EXISTS, json("false")),
        TestPolicies.parse(withConditions("{\"field\": \"ip\", \"op\": \"exists\", \"value\": false}")).conditions());
  }

  @ParameterizedTest(name = "name \"{0}\" is accepted")
  @ValueSource(strings = {"a", "Prod 5xx (EU) / admins #1 @night + more_x.y:z-w", "Überwachung der Anmeldungen",
      "监控"})
  @DisplayName("names of letters, digits, spaces and _ . : - ( ) / # @ + up to 100 characters are accepted")
  void validNames(String name) {
    ObjectNode body = object(MINIMAL).put("name", name);
    assertEquals(name, TestPolicies.parse(body).name());
  }

  @Test
  @DisplayName("a name of exactly 100 characters is accepted and 101 is not")
  void nameLengthLimit() {
    assertEquals(100, TestPolicies.parse(object(MINIMAL).put("name", "n".repeat(100))).name().length());
    assertEquals(Set.of("name"), fields(object(MINIMAL).put("name", "n".repeat(101))));
  }

  @ParameterizedTest(name = "name {0} is refused")
  @ValueSource(strings = {"\"\"", "\"   \"", "\"a\\\"b\"", "\"a\\\\b\"", "\"a\\nb\"", "\"a'b\"", "\"a;b\"",
      "\"a{b}\"", "\"a,b\"", "\"a\\u2028b\"", "\"a\\tb\"", "5", "true", "[\"a\"]", "{}"})
  @DisplayName("a name with quotes, backslashes, line breaks, other marks, or of another type is a problem at name")
  void invalidNames(String nameJson) {
    ObjectNode body = object(MINIMAL);
    body.set("name", json(nameJson));
    assertEquals(Set.of("name"), fields(body));
  }

  @Test
  @DisplayName("a missing name is a problem")
  void nameIsRequired() {
    ObjectNode body = object(MINIMAL);
    body.remove("name");
    assertEquals(Set.of("name"), fields(body));
  }

  @Test
  @DisplayName("a description is optional, at most 1000 characters, and a string")
  void descriptionRules() {
    assertEquals(Optional.of("d".repeat(1000)),
        TestPolicies.parse(object(MINIMAL).put("description", "d".repeat(1000))).description());
    assertEquals(Set.of("description"), fields(object(MINIMAL).put("description", "d".repeat(1001))));
    assertEquals(Set.of("description"), fields(object(MINIMAL).put("description", 7)));
  }

  @ParameterizedTest(name = "severity {0}")
  @EnumSource(Severity.class)
  @DisplayName("every severity label is accepted")
  void everySeverityIsAccepted(Severity s) {
    assertEquals(s, TestPolicies.parse(object(MINIMAL).put("severity", s.label())).severity());
  }

  @ParameterizedTest(name = "severity {0} is refused")
  @ValueSource(strings = {"\"urgent\"", "\"\"", "3", "true"})
  @DisplayName("a severity that is not one of the labels is a problem")
  void invalidSeverity(String severityJson) {
    ObjectNode body = object(MINIMAL);
    body.set("severity", json(severityJson));
    assertEquals(Set.of("severity"), fields(body));
  }

  @Test
  @DisplayName("channels is a list of distinct channel names, each problem at its index")
  void channelRules() {
    ObjectNode ok = object(MINIMAL);
    ok.set("channels", json("[\"secops-webhook\", \"audit-log\", \"pager_1.eu\"]"));
    assertEquals(List.of("secops-webhook", "audit-log", "pager_1.eu"), TestPolicies.parse(ok).channels());

    ObjectNode bad = object(MINIMAL);
    bad.set("channels", json("[\"ok\", \"Bad Name\", 5, \"ok\", \"\"]"));
    assertEquals(Set.of("channels[1]", "channels[2]", "channels[3]", "channels[4]"), fields(bad));

    assertEquals(Set.of("channels"), fields(object(MINIMAL).put("channels", "secops-webhook")));
  }

  @Test
  @DisplayName("enabled and case_sensitive must be booleans")
  void flagsMustBeBooleans() {
    ObjectNode body = object(MINIMAL).put("enabled", "yes").put("case_sensitive", 1);
    assertEquals(Set.of("enabled", "case_sensitive"), fields(body));

    Policy p = TestPolicies.parse(object(MINIMAL).put("enabled", false).put("case_sensitive", false));
    assertFalse(p.enabled());
    assertFalse(p.caseSensitive());
  }

  // ---- conditions

  @Test
  @DisplayName("conditions are required and must be a group or a condition object")
  void conditionsRequired() {
    ObjectNode missing = object(MINIMAL);
    missing.remove("conditions");
    assertEquals(Set.of("conditions"), fields(missing));

    assertEquals(Set.of("conditions"), fields(object(MINIMAL).put("conditions", "type == x")));
    ObjectNode list = object(MINIMAL);
    list.set("conditions", json("[{\"field\": \"type\", \"op\": \"exists\"}]"));
    assertEquals(Set.of("conditions"), fields(list));
  }

  @Test
  @DisplayName("an empty object is neither a group nor a condition: field and op are missing")
  void emptyConditionObject() {
    assertEquals(Set.of("conditions.field", "conditions.op"), fields(withConditions("{}")));
  }

  @Test
  @DisplayName("a group has exactly one of all and any, a non-empty list, and no other keys")
  void groupRules() {
    String leaf = "{\"field\": \"type\", \"op\": \"exists\"}";
    assertEquals(Set.of("conditions"), fields(withConditions("{\"all\": [" + leaf + "], \"any\": [" + leaf + "]}")));
    assertEquals(Set.of("conditions.all"), fields(withConditions("{\"all\": []}")));
    assertEquals(Set.of("conditions.any"), fields(withConditions("{\"any\": " + leaf + "}")));
    assertEquals(Set.of("conditions.field"), fields(withConditions("{\"all\": [" + leaf + "], \"field\": \"type\"}")));
    assertEquals(Set.of("conditions.all[1]"), fields(withConditions("{\"all\": [" + leaf + ", \"type\"]}")));
  }

  @Test
  @DisplayName("groups may nest 10 deep, not 11")
  void nestingDepthLimit() {
    Policy ten = TestPolicies.parse(withConditions(nested(10)));
    int depth = 0;
    Policy.Condition c = ten.conditions();
    while (c instanceof Group g) {
      depth++;
      c = g.children().get(0);
    }
    assertEquals(10, depth);

    PolicyException e = assertThrows(PolicyException.class, () -> TestPolicies.parse(withConditions(nested(11))));
    assertEquals(1, e.problems().size(), "reported once: " + e.problems());
    assertTrue(e.problems().get(0).field().startsWith("conditions.all[0]"), e.problems().toString());
    assertTrue(e.problems().get(0).message().contains("10"), e.problems().get(0).message());
  }

  @Test
  @DisplayName("a body nested far deeper than the limit is refused with one problem")
  void deepNestingIsCutOff() {
    PolicyException e = assertThrows(PolicyException.class, () -> TestPolicies.parse(withConditions(nested(400))));
    assertEquals(1, e.problems().size());
  }

  @Test
  @DisplayName("a policy may hold 200 conditions, not 201")
  void leafCountLimit() {
    assertEquals(200, ((Group) TestPolicies.parse(withConditions(manyLeaves(200))).conditions()).children().size());
    assertEquals(Set.of("conditions"), fields(withConditions(manyLeaves(201))));
  }

  @ParameterizedTest(name = "field {0}")
  @ValueSource(strings = {"id", "type", "source", "severity", "user", "ip", "host", "attributes.a",
      "attributes.http.status", "attributes.A-b_9.c", "attributes.0", "attributes.a.b.c.d.e.f.g.h.i.j"})
  @DisplayName("typed fields and attributes paths of up to 10 parts are accepted")
  void validFieldPaths(String field) {
    Policy p = TestPolicies.parse(withConditions("{\"field\": \"" + field + "\", \"op\": \"exists\"}"));
    assertEquals(field, ((Leaf) p.conditions()).field());
  }

  @Test
  @DisplayName("an attributes path part may be 64 characters, not 65")
  void attributePartLength() {
    assertTrue(PolicyParser.isFieldPath("attributes." + "p".repeat(64)));
    assertFalse(PolicyParser.isFieldPath("attributes." + "p".repeat(65)));
  }

  @ParameterizedTest(name = "field {0} is refused")
  @ValueSource(strings = {"\"attributes\"", "\"attributes.\"", "\"attributes..a\"", "\"attributes.a.\"",
      "\"attributes.a b\"", "\"attributes.a\\\"\"", "\"attributes.a(b)\"", "\"tenant\"", "\"time\"", "\"seq\"",
      "\"Attributes.a\"", "\"user.name\"", "\"\"", "\"attributes.a.b.c.d.e.f.g.h.i.j.k\"", "\"getClass\"", "5",
      "null"})
  @DisplayName("any other field path is a problem at the field")
  void invalidFieldPaths(String fieldJson) {
    assertEquals(Set.of("conditions.field"),
        fields(withConditions("{\"field\": " + fieldJson + ", \"op\": \"exists\"}")));
  }

  @ParameterizedTest(name = "op {0} is refused")
  @ValueSource(strings = {"\"equals\"", "\"EQ\"", "\"==\"", "\"\"", "\"matches\"", "1", "null"})
  @DisplayName("an operator outside eq ne gt lt gte lte in not_in contains regex exists is a problem at op")
  void invalidOperators(String opJson) {
    assertEquals(Set.of("conditions.op"),
        fields(withConditions("{\"field\": \"type\", \"op\": " + opJson + ", \"value\": \"x\"}")));
  }

  @ParameterizedTest(name = "{0} {1}: {2}")
  @CsvSource(delimiter = '|', quoteCharacter = '`', textBlock = """
      eq       | "a"                  | true
      eq       | 5                    | true
      eq       | 2.5                  | true
      eq       | false                | true
      eq       | [1]                  | false
      eq       | {}                   | false
      ne       | "a"                  | true
      ne       | -3                   | true
      ne       | true                 | true
      ne       | ["a"]                | false
      gt       | 5                    | true
      gt       | -0.5                 | true
      gt       | "5"                  | false
      gt       | true                 | false
      gt       | [5]                  | false
      lt       | 5                    | true
      lt       | "a"                  | false
      gte      | 1e300                | true
      gte      | 1e400                | false
      lte      | 0                    | true
      lte      | false                | false
      in       | ["a", 1, true]       | true
      in       | []                   | false
      in       | "a"                  | false
      in       | [["a"]]              | false
      in       | [{}]                 | false
      in       | [null]               | false
      not_in   | ["a"]                | true
      not_in   | []                   | false
      not_in   | 5                    | false
      contains | "a"                  | true
      contains | 5                    | true
      contains | true                 | true
      contains | ["a"]                | false
      contains | {}                   | false
      regex    | "^a+$"               | true
      regex    | 5                    | false
      regex    | ["a"]                | false
      exists   | true                 | true
      exists   | false                | true
      exists   | "yes"                | false
      exists   | 1                    | false
      """)
  @DisplayName("each operator takes only its value types")
  void valueTypes(String op, String valueJson, boolean valid) {
    String body = withConditions("{\"field\": \"attributes.v\", \"op\": \"" + op + "\", \"value\": " + valueJson + "}");
    if (valid) {
      Leaf leaf = (Leaf) TestPolicies.parse(body).conditions();
      assertEquals(json(valueJson), leaf.value());
    } else {
      Set<String> fields = fields(body);
      assertEquals(1, fields.size(), fields.toString());
      assertTrue(fields.iterator().next().startsWith("conditions.value"), fields.toString());
    }
  }

  @ParameterizedTest(name = "{0} without a value")
  @ValueSource(strings = {"eq", "ne", "gt", "lt", "gte", "lte", "in", "not_in", "contains", "regex"})
  @DisplayName("every operator but exists requires a value")
  void valueIsRequired(String op) {
    assertEquals(Set.of("conditions.value"),
        fields(withConditions("{\"field\": \"attributes.v\", \"op\": \"" + op + "\"}")));
  }

  @Test
  @DisplayName("a bad item in an in list is reported at its index")
  void badListItemsAtTheirIndex() {
    assertEquals(Set.of("conditions.value[1]", "conditions.value[3]"),
        fields(withConditions("{\"field\": \"user\", \"op\": \"in\", \"value\": [\"a\", null, \"b\", {}]}")));
  }

  @Test
  @DisplayName("an in list may hold 1000 values, not 1001")
  void listLengthLimit() {
    ArrayNode thousand = NODES.arrayNode();
    for (int i = 0; i < 1000; i++) {
      thousand.add("v" + i);
    }
    assertEquals(1000, ((Leaf) TestPolicies.parse(leafBody("in", thousand)).conditions()).value().size());
    assertEquals(Set.of("conditions.value"), fields(leafBody("not_in", thousand.deepCopy().add("one more"))));
  }

  @Test
  @DisplayName("a string value may be 64 KiB of UTF-8, not a byte more")
  void stringValueLimit() {
    assertEquals(65536, ((Leaf) TestPolicies.parse(leafBody("eq", NODES.textNode("a".repeat(65536))))
        .conditions()).value().textValue().length());
    assertEquals(Set.of("conditions.value"), fields(leafBody("eq", NODES.textNode("a".repeat(65537)))));
    // 21846 euro signs are 65538 bytes in UTF-8, though only 21846 characters.
    assertEquals(Set.of("conditions.value"), fields(leafBody("contains", NODES.textNode("€".repeat(21846)))));
    assertEquals(Set.of("conditions.value"), fields(leafBody("regex", NODES.textNode("a".repeat(65537)))));
    ArrayNode list = NODES.arrayNode().add("ok").add("b".repeat(65537));
    assertEquals(Set.of("conditions.value[1]"), fields(leafBody("in", list)));
  }

  @Test
  @DisplayName("an unknown key in a condition is a problem at its path")
  void unknownLeafKey() {
    assertEquals(Set.of("conditions.negate"),
        fields(withConditions("{\"field\": \"type\", \"op\": \"exists\", \"negate\": true}")));
  }

  @Test
  @DisplayName("a problem deep in the tree is located by its full JSON path")
  void problemPathsFollowTheTree() {
    String conditions = """
        {"all": [{"field": "type", "op": "exists"},
                 {"any": [{"field": "user", "op": "eq", "value": [1]},
                          {"field": "nope", "op": "exists"}]}]}""";
    assertEquals(Set.of("conditions.all[1].any[0].value", "conditions.all[1].any[1].field"),
        fields(withConditions(conditions)));
  }

  // ---- regular expressions

  @ParameterizedTest(name = "regex {0} fails at {1}")
  @CsvSource(delimiterString = "=>", quoteCharacter = '`', textBlock = """
      a(b           => 1
      ((a)          => 0
      (a)(b         => 3
      x)            => 1
      (a))          => 3
      [a-z])        => 5
      \\(a)         => 3
      a**           => 1
      *a            => 0
      x|+           => 2
      [z-a]         => 1
      [abc          => 0
      ab[c          => 2
      abc\\         => 3
      \\q           => 0
      \\\\q\\q      => 3
      (?z)          => 0
      (?P<n>a)(?z)  => 8
      a{2,1}        => 1
      [[:foo:]]     => 1
      \\pX          => 0
      (?P<a-b>x)    => 0
      """)
  @DisplayName("a regex RE2/J cannot compile is invalid_regex with the 0-based position of the error")
  void badRegexPosition(String pattern, int position) {
    PolicyException e = assertThrows(PolicyException.class,
        () -> TestPolicies.parse(leafBody("regex", NODES.textNode(pattern))));

    assertEquals(PolicyException.INVALID_REGEX, e.code());
    assertEquals(1, e.problems().size());
    Problem p = e.problems().get(0);
    assertEquals("conditions.value", p.field());
    assertEquals(position, p.position(), p.message());
  }

  @Test
  @DisplayName("a bad regex next to another problem is invalid_policy, and the regex problem keeps its position")
  void badRegexAmongOtherProblems() {
    ObjectNode body = object(leafBody("regex", NODES.textNode("ab(")));
    body.put("severity", "urgent");

    PolicyException e = assertThrows(PolicyException.class, () -> TestPolicies.parse(body));

    assertEquals(PolicyException.INVALID_POLICY, e.code());
    assertEquals(Set.of("severity", "conditions.value"), fieldsOf(e));
    Problem regex = e.problems().stream().filter(p -> p.field().equals("conditions.value")).findFirst().orElseThrow();
    assertEquals(2, regex.position());
    assertNull(e.problems().stream().filter(p -> p.field().equals("severity")).findFirst().orElseThrow().position());
  }

  @Test
  @DisplayName("two bad regexes are both reported with their own positions")
  void twoBadRegexes() {
    String conditions = "{\"any\": [{\"field\": \"user\", \"op\": \"regex\", \"value\": \"a**\"},"
        + " {\"field\": \"host\", \"op\": \"regex\", \"value\": \"ok|[b\"}]}";
    PolicyException e = assertThrows(PolicyException.class, () -> TestPolicies.parse(withConditions(conditions)));

    assertEquals(PolicyException.INVALID_REGEX, e.code());
    assertEquals(List.of("conditions.any[0].value", "conditions.any[1].value"),
        e.problems().stream().map(Problem::field).toList());
    assertEquals(List.of(1, 3), e.problems().stream().map(Problem::position).toList());
  }

  @Test
  @DisplayName("a regex that backtracks badly elsewhere compiles: RE2/J runs it in linear time")
  void catastrophicPatternsAreAccepted() {
    Leaf leaf = (Leaf) TestPolicies.parse(leafBody("regex", NODES.textNode("(a+)+$"))).conditions();
    assertEquals("(a+)+$", leaf.value().textValue());
  }

  // ---- throttle, threshold, schedule

  @Test
  @DisplayName("throttle takes minutes 1..10080 and max_per_hour of at least 1, and needs one of them")
  void throttleRules() {
    assertEquals(Optional.of(new Throttle(10080, 0)), TestPolicies.parse(withKey("throttle", "{\"minutes\": 10080}"))
        .throttle());
    assertEquals(Optional.of(new Throttle(0, 1)), TestPolicies.parse(withKey("throttle", "{\"max_per_hour\": 1}"))
        .throttle());
    assertEquals(Optional.of(new Throttle(1, 1000000)),
        TestPolicies.parse(withKey("throttle", "{\"minutes\": 1, \"max_per_hour\": 1000000}")).throttle());

    assertEquals(Set.of("throttle"), fields(withKey("throttle", "{}")));
    assertEquals(Set.of("throttle"), fields(withKey("throttle", "10")));
    assertEquals(Set.of("throttle.minutes"), fields(withKey("throttle", "{\"minutes\": 0}")));
    assertEquals(Set.of("throttle.minutes"), fields(withKey("throttle", "{\"minutes\": 10081}")));
    assertEquals(Set.of("throttle.minutes"), fields(withKey("throttle", "{\"minutes\": 1.5}")));
    assertEquals(Set.of("throttle.minutes"), fields(withKey("throttle", "{\"minutes\": \"10\"}")));
    assertEquals(Set.of("throttle.max_per_hour"), fields(withKey("throttle", "{\"max_per_hour\": 0}")));
    assertEquals(Set.of("throttle.max_per_hour"),
        fields(withKey("throttle", "{\"max_per_hour\": 99999999999}")));
    assertEquals(Set.of("throttle.hours"), fields(withKey("throttle", "{\"minutes\": 5, \"hours\": 1}")));
  }

  @Test
  @DisplayName("threshold takes count 1..100000, within 1s..1d, and an optional whitelisted group_by")
  void thresholdRules() {
    assertEquals(Optional.of(new Threshold(1, Duration.ofSeconds(1), "")),
        TestPolicies.parse(withKey("threshold", "{\"count\": 1, \"within\": \"1s\"}")).threshold());
    assertEquals(Optional.of(new Threshold(100000, Duration.ofDays(1), "attributes.account.id")),
        TestPolicies.parse(withKey("threshold", "{\"count\": 100000, \"within\": \"24h\","
            + " \"group_by\": \"attributes.account.id\"}")).threshold());
    assertEquals(Optional.of(new Threshold(3, Duration.ofSeconds(90), "user")),
        TestPolicies.parse(withKey("threshold", "{\"count\": 3, \"within\": \"1m30s\", \"group_by\": \"user\"}"))
            .threshold());

    assertEquals(Set.of("threshold.count", "threshold.within"), fields(withKey("threshold", "{}")));
    for (String count : List.of("0", "100001", "2.5", "\"5\"", "-1")) {
      assertEquals(Set.of("threshold.count"),
          fields(withKey("threshold", "{\"count\": " + count + ", \"within\": \"1m\"}")), count);
    }
    for (String within : List.of("\"0s\"", "\"500ms\"", "\"1d1s\"", "\"2d\"", "\"soon\"", "\"\"", "60")) {
      assertEquals(Set.of("threshold.within"),
          fields(withKey("threshold", "{\"count\": 2, \"within\": " + within + "}")), within);
    }
    assertEquals(Set.of("threshold.group_by"),
        fields(withKey("threshold", "{\"count\": 2, \"within\": \"1m\", \"group_by\": \"tenant\"}")));
    assertEquals(Set.of("threshold.per"),
        fields(withKey("threshold", "{\"count\": 2, \"within\": \"1m\", \"per\": \"ip\"}")));
  }

  @Test
  @DisplayName("active takes distinct days mon..sun, from and to as HH:mm, and a known time zone")
  void scheduleRules() {
    Schedule s = TestPolicies.parse(withKey("active",
        "{\"days\": [\"sun\", \"sat\"], \"from\": \"22:30\", \"to\": \"06:00\", \"timezone\": \"UTC\"}"))
        .active().orElseThrow();
    assertEquals(EnumSet.of(DayOfWeek.SATURDAY, DayOfWeek.SUNDAY), s.days());
    assertEquals(LocalTime.of(22, 30), s.from());
    assertEquals(LocalTime.of(6, 0), s.to());
    assertEquals(ZoneId.of("UTC"), s.zone());
    assertEquals(ZoneId.of("+02:00"), TestPolicies.parse(withKey("active",
        "{\"days\": [\"mon\"], \"from\": \"00:00\", \"to\": \"23:59\", \"timezone\": \"+02:00\"}")).active()
        .orElseThrow().zone());

    String ok = "\"from\": \"08:00\", \"to\": \"18:00\", \"timezone\": \"UTC\"";
    for (String days : List.of("[]", "[\"monday\"]", "\"mon\"", "[\"Mon\"]", "[1]")) {
      assertTrue(fields(withKey("active", "{\"days\": " + days + ", " + ok + "}")).stream()
          .allMatch(f -> f.startsWith("active.days")), days);
    }
    assertEquals(Set.of("active.days[1]"),
        fields(withKey("active", "{\"days\": [\"mon\", \"mon\"], " + ok + "}")));
    for (String time : List.of("\"8:00\"", "\"24:00\"", "\"08:60\"", "\"08:00:00\"", "\"0800\"", "800")) {
      assertEquals(Set.of("active.from"), fields(withKey("active",
          "{\"days\": [\"mon\"], \"from\": " + time + ", \"to\": \"18:00\", \"timezone\": \"UTC\"}")), time);
    }
    assertEquals(Set.of("active.to", "active.timezone"),
        fields(withKey("active", "{\"days\": [\"mon\"], \"from\": \"08:00\"}")));
    assertEquals(Set.of("active.timezone"), fields(withKey("active",
        "{\"days\": [\"mon\"], \"from\": \"08:00\", \"to\": \"18:00\", \"timezone\": \"Mars/Olympus\"}")));
    assertEquals(Set.of("active.hours"), fields(withKey("active", "{\"days\": [\"mon\"], " + ok
        + ", \"hours\": 3}")));
  }

  // ---- the body as a whole

  @ParameterizedTest(name = "top-level key {0} is refused")
  @ValueSource(strings = {"id", "tenant", "rule", "drl", "Name", "conditions "})
  @DisplayName("an unknown top-level key is a problem")
  void unknownTopLevelKeys(String key) {
    assertEquals(Set.of(key), fields(object(MINIMAL).put(key, "x")));
  }

  @ParameterizedTest(name = "body {0}")
  @ValueSource(strings = {"[]", "\"policy\"", "5", "null"})
  @DisplayName("a body that is not a JSON object is one problem at the body")
  void bodyMustBeAnObject(String body) {
    assertEquals(Set.of(""), fields(json(body)));
    PolicyException e = assertThrows(PolicyException.class,
        () -> PolicyParser.parse(null, "pol_1", "acme"));
    assertEquals(PolicyException.INVALID_POLICY, e.code());
  }

  @Test
  @DisplayName("a body with many problems reports every one of them at once")
  void everyProblemAtOnce() {
    String body = """
        {"name": "bad \\"name\\"", "description": 5, "severity": "urgent", "channels": ["Bad"],
         "enabled": "yes", "case_sensitive": 0, "color": "red",
         "conditions": {"all": [
             {"field": "tenant", "op": "eq", "value": "x"},
             {"field": "user", "op": "like", "value": "x"},
             {"field": "attributes.n", "op": "gt", "value": "5"},
             {"any": []}]},
         "throttle": {"minutes": 0},
         "threshold": {"count": 0, "within": "1w", "group_by": "nope"},
         "active": {"days": ["someday"], "from": "25:00", "to": "18:00", "timezone": "Nowhere/Land"}}""";

    PolicyException e = assertThrows(PolicyException.class, () -> TestPolicies.parse(body));

    assertEquals(PolicyException.INVALID_POLICY, e.code());
    assertEquals(Set.of("name", "description", "severity", "channels[0]", "enabled", "case_sensitive", "color",
        "conditions.all[0].field", "conditions.all[1].op", "conditions.all[2].value", "conditions.all[3].any",
        "throttle.minutes", "threshold.count", "threshold.within", "threshold.group_by", "active.days[0]",
        "active.from", "active.timezone"), fieldsOf(e));
    assertEquals(18, e.problems().size(), "one problem per mistake: " + e.problems());
    assertTrue(e.problems().stream().allMatch(p -> p.position() == null && !p.message().isBlank()));
  }

  @Test
  @DisplayName("an invalid tenant or policy id is a programming error, not a body problem")
  void idsAreCheckedByTheCaller() {
    JsonNode body = json(MINIMAL);
    assertThrows(IllegalArgumentException.class, () -> PolicyParser.parse(body, "pol_1", "Acme"));
    assertThrows(IllegalArgumentException.class, () -> PolicyParser.parse(body, "1", "acme"));
    assertEquals("pol_Ok-1_x", PolicyParser.parse(body, "pol_Ok-1_x", "acme-eu.1").id());
  }

  @Test
  @DisplayName("the parsed policy does not share mutable JSON with the body")
  void leafValuesAreCopies() {
    ObjectNode body = object(leafBody("in", NODES.arrayNode().add("a")));
    Leaf leaf = (Leaf) TestPolicies.parse(body).conditions();
    ((ArrayNode) body.get("conditions").get("value")).add("b");
    ((ArrayNode) leaf.value()).add("c");

    assertEquals(json("[\"a\"]"), leaf.value());
    assertInstanceOf(ArrayNode.class, leaf.value());
  }

  // ---- helpers

  private static Set<String> fields(String body) {
    return fields(json(body));
  }

  private static Set<String> fields(JsonNode body) {
    PolicyException e = assertThrows(PolicyException.class, () -> TestPolicies.parse(body),
        "expected the body to be refused: " + body);
    return fieldsOf(e);
  }

  private static Set<String> fieldsOf(PolicyException e) {
    return e.problems().stream().map(Problem::field).collect(Collectors.toSet());
  }

  private static String withConditions(String conditions) {
    return "{\"name\": \"t\", \"conditions\": " + conditions + "}";
  }

  private static String withKey(String key, String valueJson) {
    ObjectNode body = object(MINIMAL);
    body.set(key, json(valueJson));
    return body.toString();
  }

  private static String leafBody(String op, JsonNode value) {
    ObjectNode leaf = NODES.objectNode().put("field", "attributes.v").put("op", op);
    leaf.set("value", value);
    return withConditions(leaf.toString());
  }

  /** {@code depth} groups, each holding the next, the innermost holding one condition. */
  private static String nested(int depth) {
    String c = "{\"field\": \"type\", \"op\": \"exists\"}";
    for (int i = 0; i < depth; i++) {
      c = "{\"all\": [" + c + "]}";
    }
    return c;
  }

  private static String manyLeaves(int n) {
    return "{\"any\": [" + String.join(", ", java.util.Collections.nCopies(n,
        "{\"field\": \"type\", \"op\": \"eq\", \"value\": \"x\"}")) + "]}";
  }
}
