package io.vigil.engine.policy;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vigil.alert.RaisedAlert;
import io.vigil.engine.RuleTester;
import io.vigil.rules.Event;
import io.vigil.testing.Events;
import java.time.Instant;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.drools.drl.ast.descr.AnnotationDescr;
import org.drools.drl.ast.descr.BaseDescr;
import org.drools.drl.ast.descr.ExprConstraintDescr;
import org.drools.drl.ast.descr.PackageDescr;
import org.drools.drl.ast.descr.PatternDescr;
import org.drools.drl.ast.descr.RuleDescr;
import org.drools.drl.parser.DrlParser;
import org.drools.drl.parser.DroolsParserException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.mvel2.MVEL;

/**
 * A policy value is data and never DRL: whatever string a policy compares against, its
 * file parses into exactly one rule with the same pattern, the value sits inside one
 * string literal that reads back as the value's JSON text (to the Drools parser and to
 * MVEL, which evaluates the constraint), and the rule matches exactly the events that
 * carry that string.
 */
class PolicyInjectionTest {
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final Instant T0 = Instant.parse("2026-03-02T10:00:00Z");

  /** Strings that would end a literal, a constraint, the rule or the file if pasted into DRL. */
  static List<String> payloads() {
    return List.of(
        "\" || true || \"",
        "\"); end rule \"x\" when then end",
        "\") || eval(true) || (\"",
        "x\nend",
        "x\r\nend\nrule \"injected\" when then end",
        "then",
        "end",
        "eval(",
        "eval(true)",
        "\\\"",
        "ends with a backslash \\",
        "\\\\",
        "\\",
        "\\u0022 || true || \\u0022",
        "\\n",
        "line\u2028separator\u2029paragraph",
        "nul\u0000and\u0001bell\u0007esc\u001b",
        "tab\there",
        "/* open comment",
        "// line comment",
        "${jndi:ldap://x}",
        "@{1+1} #{1+1} $x $e",
        "'single' `back`",
        "kcontext.getKieRuntime().halt()",
        "🚨 alarm ü ß",
        "");
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("payloads")
  @DisplayName("a hostile value compiles to one rule that matches exactly the event carrying it")
  void hostileValueIsMatchedAsData(String payload) {
    Policy p = eqPolicy(NODES.textNode(payload), true);
    String drl = PolicyCompiler.compile(p);

    assertOneRuleComparingTo(drl, NODES.textNode(payload));
    try (RuleTester t = TestPolicies.tester(p)) {
      assertEquals(1, t.ruleSet().rules().size());
      assertEquals(List.of(), t.process(withV(payload + "x", 0)), "an event with a different value");
      assertEquals(List.of(), t.process(withV("x" + payload, 1)), "an event with a different value");
      assertEquals(List.of(), t.process(Events.of("probe").at(T0.plusSeconds(2))), "an event without the value");
      List<RaisedAlert> raised = t.process(withV(payload, 3));
      assertEquals(1, raised.size(), "the event carrying the value");
      assertEquals("policy:injection probe", raised.get(0).rule());
    }
  }

  @Test
  @DisplayName("hostile values in every operator and a list compile into one rule that parses")
  void hostileValuesInEveryOperator() {
    for (String payload : payloads()) {
      for (String op : List.of("eq", "ne", "contains", "in", "not_in")) {
        JsonNode value = op.endsWith("in")
            ? NODES.arrayNode().add(payload).add(payload + "\"")
            : NODES.textNode(payload);
        Policy p = leafPolicy(op, value, true);
        assertOneRuleComparingTo(PolicyCompiler.compile(p), op, value, true);
      }
    }
  }

  @Test
  @DisplayName("a policy keeps matching its value after many evaluations")
  void manyEvaluationsKeepMatching() {
    String payload = "\" || true || \"\\";
    try (RuleTester t = TestPolicies.tester(eqPolicy(NODES.textNode(payload), true))) {
      for (int i = 0; i < 60; i++) {
        boolean carries = i % 3 == 0;
        List<RaisedAlert> raised = t.process(withV(carries ? payload : payload + i, i));
        assertEquals(carries ? 1 : 0, raised.size(), "event " + i);
      }
    }
  }

  @Test
  @DisplayName("an unpaired surrogate in a value travels as a JSON escape and still matches exactly")
  void unpairedSurrogate() {
    String payload = "a\ud800b";
    String json = PolicyCompiler.valueJson(NODES.textNode(payload));
    assertEquals("\"a\\ud800b\"", json);
    try (RuleTester t = TestPolicies.tester(eqPolicy(NODES.textNode(payload), true))) {
      assertEquals(List.of(), t.process(withV("a?b", 0)));
      assertEquals(1, t.process(withV(payload, 1)).size());
    }
  }

  @Test
  @DisplayName("the literal escaper writes the documented escapes and nothing else")
  void literalEscapes() {
    assertEquals("\"plain: text (ok) / #1\"", PolicyCompiler.literal("plain: text (ok) / #1"));
    assertEquals("\"\\\\ \\\" \\n \\r \\t\"", PolicyCompiler.literal("\\ \" \n \r \t"));
    assertEquals("\"\\u0000\\u0001\\u001F\\u2028\\u2029\"", PolicyCompiler.literal("\u0000\u0001\u001f\u2028\u2029"));
    assertEquals("\"ü 🚨 \u007f\"", PolicyCompiler.literal("ü 🚨 \u007f"));
  }

  @Test
  @DisplayName("a value that reads like a window or a temporal range does not change how long events are kept")
  void windowTextInAValueDoesNotChangeRetention() {
    for (String payload : List.of("after[0s, 20d]", "window:time(3650d)")) {
      try (RuleTester t = TestPolicies.tester(eqPolicy(NODES.textNode(payload), true))) {
        assertEquals(java.time.Duration.ZERO, t.ruleSet().retention(), payload);
      }
    }
  }

  // ---- properties

  @Property(tries = 200)
  @Label("any string value parses back as one rule whose check holds it as one literal of its JSON text")
  void anyStringParsesBackAsOneRuleWithThatLiteral(@ForAll("values") String value) {
    JsonNode node = NODES.textNode(value);
    Policy p = eqPolicy(node, true);
    assertOneRuleComparingTo(PolicyCompiler.compile(p), node);
  }

  @Property(tries = 25)
  @Label("any string value, compiled and run, matches exactly the event carrying it")
  void anyStringMatchesExactlyTheEventCarryingIt(@ForAll("values") String value) {
    Policy p = eqPolicy(NODES.textNode(value), true);
    try (RuleTester t = TestPolicies.tester(p)) {
      assertEquals(List.of(), t.process(withV(value + "x", 0)));
      assertEquals(List.of(), t.process(withV("x" + value, 1)));
      assertEquals(List.of(), t.process(Events.of("probe").at(T0.plusSeconds(2))));
      assertEquals(1, t.process(withV(value, 3)).size());
    }
  }

  /** Arbitrary strings, and strings built from the pieces DRL, Java and MVEL give meaning to. */
  @Provide
  Arbitrary<String> values() {
    Arbitrary<String> any = Arbitraries.strings().all().ofMaxLength(40);
    Arbitrary<String> pieces = Arbitraries.of(
            "\"", "\\", "\\\\", "\\\"", "\\u0022", "\\n", "\n", "\r", "\t", "\u0000", "\u001f", "\u2028", "\u2029",
            "end", "then", "when", "rule \"x\"", "eval(", "(", ")", "[", "]", "{", "}", "||", "&&", ",", ";", "//",
            "/*", "*/", "$e", "#", "@", "${", "'", "`", "🚨", "\ud800", "\udfff", " ", "a", "0", "1e3", "-")
        .list().ofMaxSize(10).map(l -> String.join("", l));
    return Arbitraries.oneOf(any, pieces);
  }

  // ---- helpers

  private static Policy eqPolicy(JsonNode value, boolean caseSensitive) {
    return leafPolicy("eq", value, caseSensitive);
  }

  private static Policy leafPolicy(String op, JsonNode value, boolean caseSensitive) {
    ObjectNode leaf = NODES.objectNode().put("field", "attributes.v").put("op", op);
    leaf.set("value", value);
    ObjectNode body = NODES.objectNode().put("name", "injection probe").put("case_sensitive", caseSensitive);
    body.set("conditions", leaf);
    return TestPolicies.parse(body);
  }

  private static Event withV(String v, int second) {
    return Events.of("probe").attr("v", v).at(T0.plusSeconds(second));
  }

  private static void assertOneRuleComparingTo(String drl, JsonNode value) {
    assertOneRuleComparingTo(drl, "eq", value, true);
  }

  /**
   * The DRL parses without errors into one rule of one {@code Event} pattern with two
   * constraints (the tenant and the policy's check), the check holds the value as one
   * literal, and that literal reads back as the value's JSON text.
   */
  private static void assertOneRuleComparingTo(String drl, String op, JsonNode value, boolean caseSensitive) {
    DrlParser parser = new DrlParser();
    PackageDescr pkg;
    try {
      pkg = parser.parse(false, drl);
    } catch (DroolsParserException e) {
      throw new AssertionError("DRL does not parse:\n" + drl, e);
    }
    assertFalse(parser.hasErrors(), () -> parser.getErrors() + "\n" + drl);
    assertEquals(1, pkg.getRules().size(), drl);
    RuleDescr rule = pkg.getRules().get(0);
    assertEquals(Set.of("alert_rule", "policy_id", "tenant", "severity", "tags"),
        rule.getAnnotations().stream().map(AnnotationDescr::getName).collect(Collectors.toSet()));
    assertEquals("alerts.raise(kcontext, conditions.keyOf($e, \"\")).summary(\"Policy injection probe: \""
        + " + $e.getType()).evidence($e);", rule.getConsequence().toString().trim());

    List<BaseDescr> lhs = rule.getLhs().getDescrs();
    assertEquals(1, lhs.size(), drl);
    PatternDescr pattern = (PatternDescr) lhs.get(0);
    assertEquals("Event", pattern.getObjectType());
    assertEquals("$e", pattern.getIdentifier());
    List<String> constraints = pattern.getConstraint().getDescrs().stream()
        .map(d -> ((ExprConstraintDescr) d).getExpression()).toList();
    String json = PolicyCompiler.valueJson(value);
    String literal = PolicyCompiler.literal(json);
    assertEquals(List.of("tenant == \"test\"", "conditions.check(this, \"attributes.v\", \"" + op + "\", " + literal
        + ", " + caseSensitive + ")"), constraints);

    assertEquals(json, unescape(literal), "the literal unescapes to the JSON text");
    assertEquals(json, MVEL.eval(literal), "MVEL reads the literal as the JSON text");
    assertEquals(value, TestPolicies.json(json), "the JSON text is the value");
  }

  /** Reads a Java/DRL string literal (quotes included) the way the Java language defines it. */
  static String unescape(String literal) {
    assertTrue(literal.length() >= 2 && literal.startsWith("\"") && literal.endsWith("\""), literal);
    StringBuilder b = new StringBuilder();
    for (int i = 1; i < literal.length() - 1; i++) {
      char c = literal.charAt(i);
      if (c == '"' || c < 0x20 || c == '\u2028' || c == '\u2029') {
        throw new AssertionError("raw " + (int) c + " inside a literal at " + i + ": " + literal);
      }
      if (c != '\\') {
        b.append(c);
        continue;
      }
      char e = literal.charAt(++i);
      switch (e) {
        case '\\' -> b.append('\\');
        case '"' -> b.append('"');
        case 'n' -> b.append('\n');
        case 'r' -> b.append('\r');
        case 't' -> b.append('\t');
        case 'u' -> {
          b.append((char) Integer.parseInt(literal.substring(i + 1, i + 5), 16));
          i += 4;
        }
        default -> throw new AssertionError("unexpected escape \\" + e + " in " + literal);
      }
    }
    return b.toString();
  }
}
