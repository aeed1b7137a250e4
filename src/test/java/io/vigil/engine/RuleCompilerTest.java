package io.vigil.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The compiler never lets one bad file take the others down: every failing file is reported
 * with each error at its 1-based line (and column where the text allows), and every good
 * file in the same compile still loads.
 */
class RuleCompilerTest {
  private static final RuleCompiler COMPILER = new RuleCompiler(Set.of("audit-log"), Clock.systemUTC());

  private static final String HEADER =
      """
      package rules.test;
      import io.vigil.rules.Event;
      global io.vigil.rules.Alerts alerts;

      """;

  /**
   * A one-rule file: {@code rule "name"} on line 5, the metadata on line 6 (from column 5),
   * the condition on line 8 (from column 5).
   */
  private static String rule(String name, String metadata, String condition) {
    return HEADER
        + "rule \"" + name + "\"\n"
        + "    " + metadata + "\n"
        + "when\n"
        + "    " + condition + "\n"
        + "then\n"
        + "    alerts.raise(kcontext);\n"
        + "end\n";
  }

  private static final String GOOD = rule("Good rule", "@severity(\"low\")", "$e : Event(type == \"ok\")");

  @Test
  @DisplayName("a syntax error is reported at its line and column, and the good file still loads")
  void syntaxError() {
    RuleSet set = COMPILER.compile(Map.of(
        "good.drl", GOOD,
        "syntax.drl", rule("Broken", "", "$e : Event(type == \"x\" &&& )")));

    RuleError error = onlyErrorOf(set, "syntax.drl");
    assertEquals(8, error.line(), error.toString());
    assertTrue(error.column() > 0, error.toString());
    assertGoodRuleLoaded(set);
  }

  @Test
  @DisplayName("an unknown type is reported at its line and the column of the type name")
  void unknownType() {
    RuleSet set = COMPILER.compile(Map.of(
        "good.drl", GOOD,
        "type.drl", rule("Unknown type", "", "$e : Evnt(type == \"x\")")));

    RuleError error = firstErrorOf(set, "type.drl");
    assertEquals(8, error.line(), error.toString());
    assertEquals(10, error.column(), error.toString());
    assertGoodRuleLoaded(set);
  }

  @Test
  @DisplayName("an unknown field is reported at its line and the column of the field name")
  void unknownField() {
    RuleSet set = COMPILER.compile(Map.of(
        "good.drl", GOOD,
        "field.drl", rule("Unknown field", "", "$e : Event(tpye == \"x\")")));

    RuleError error = firstErrorOf(set, "field.drl");
    assertEquals(8, error.line(), error.toString());
    assertEquals(16, error.column(), error.toString());
    assertGoodRuleLoaded(set);
  }

  @Test
  @DisplayName("a @cooldown that is not a duration is an error on the line of the @cooldown")
  void badCooldown() {
    RuleSet set = COMPILER.compile(Map.of(
        "good.drl", GOOD,
        "cooldown.drl", rule("Bad cooldown", "@severity(\"low\") @cooldown(\"ten minutes\")", "$e : Event()")));

    RuleError error = onlyErrorOf(set, "cooldown.drl");
    assertEquals(6, error.line(), error.toString());
    assertEquals(22, error.column(), error.toString());
    assertTrue(error.message().contains("ten minutes"), error.toString());
    assertGoodRuleLoaded(set);
  }

  @Test
  @DisplayName("all four broken files fail in one compile, each with its own error, and the good file loads")
  void everyBrokenFileIsReportedAtOnce() {
    RuleSet set = COMPILER.compile(Map.of(
        "a-good.drl", GOOD,
        "b-syntax.drl", rule("Broken", "", "$e : Event(type == \"x\" &&& )"),
        "c-type.drl", rule("Unknown type", "", "$e : Evnt(type == \"x\")"),
        "d-field.drl", rule("Unknown field", "", "$e : Event(tpye == \"x\")"),
        "e-cooldown.drl", rule("Bad cooldown", "@cooldown(\"ten minutes\")", "$e : Event()")));

    assertEquals(Set.of("b-syntax.drl", "c-type.drl", "d-field.drl", "e-cooldown.drl"), set.failedFiles().keySet(),
        set.failedFiles().toString());
    assertEquals(8, firstErrorOf(set, "b-syntax.drl").line(), set.failedFiles().toString());
    assertEquals(8, firstErrorOf(set, "c-type.drl").line(), set.failedFiles().toString());
    assertEquals(8, firstErrorOf(set, "d-field.drl").line(), set.failedFiles().toString());
    assertEquals(6, firstErrorOf(set, "e-cooldown.drl").line(), set.failedFiles().toString());
    assertTrue(firstErrorOf(set, "b-syntax.drl").column() > 0, set.failedFiles().toString());
    assertTrue(firstErrorOf(set, "c-type.drl").column() > 0, set.failedFiles().toString());
    assertTrue(firstErrorOf(set, "d-field.drl").column() > 0, set.failedFiles().toString());
    assertGoodRuleLoaded(set);
  }

  @Test
  @DisplayName("a rule name used in a second file of the same package is an error on the second file")
  void duplicateNameInSamePackage() throws IOException {
    Map<String, String> files = new TreeMap<>(RuleFiles.read(Path.of("rules")));
    files.put("zz-copy.drl", rule("Brute force login", "", "$e : Event(type == \"x\")").replace("rules.test", "rules.auth"));

    RuleSet set = COMPILER.compile(files);

    assertEquals(Set.of("zz-copy.drl"), set.failedFiles().keySet(), set.failedFiles().toString());
    RuleError error = onlyErrorOf(set, "zz-copy.drl");
    assertEquals(5, error.line(), error.toString());
    assertTrue(error.column() > 0, error.toString());
    assertEquals("brute-force.drl", set.rule("Brute force login").file());
  }

  @Test
  @DisplayName("a rule name used in a second file of another package is an error on the second file")
  void duplicateNameAcrossPackages() {
    // "zeta" sorts after "alpha" but may come first in a hash order: the later name must fail.
    String other = rule("Same name", "", "$e : Event(type == \"b\")").replace("package rules.test;", "package rules.other;");
    RuleSet set = COMPILER.compile(Map.of(
        "zeta.drl", other,
        "alpha.drl", rule("Same name", "", "$e : Event(type == \"a\")")));

    assertEquals(Set.of("zeta.drl"), set.failedFiles().keySet(), set.failedFiles().toString());
    RuleError error = onlyErrorOf(set, "zeta.drl");
    assertEquals(5, error.line(), error.toString());
    assertEquals(6, error.column(), error.toString());
    assertTrue(error.message().contains("alpha.drl"), error.toString());
    assertEquals("alpha.drl", set.rule("Same name").file());
  }

  @Test
  @DisplayName("an unknown @severity is an error on the line of the @severity")
  void unknownSeverity() {
    RuleSet set = COMPILER.compile(Map.of(
        "good.drl", GOOD,
        "severity.drl", rule("Severe", "@severity(\"severe\")", "$e : Event()")));

    RuleError error = onlyErrorOf(set, "severity.drl");
    assertEquals(6, error.line(), error.toString());
    assertTrue(error.message().contains("severe"), error.toString());
    assertEquals(null, set.rule("Severe"));
    assertGoodRuleLoaded(set);
  }

  @Test
  @DisplayName("a @channels naming an unconfigured channel is only a warning and the rule loads")
  void unconfiguredChannelIsAWarning() {
    RuleSet set = COMPILER.compile(Map.of(
        "channels.drl", rule("Paging", "@channels(\"audit-log, pager\")", "$e : Event()")));

    assertEquals(Map.of(), set.failedFiles());
    assertEquals(1, set.warnings().size(), set.warnings().toString());
    assertTrue(set.warnings().get(0).contains("'pager'"), set.warnings().toString());
    assertTrue(set.warnings().get(0).contains("channels.drl"), set.warnings().toString());
    assertEquals(List.of("audit-log", "pager"), set.rule("Paging").metadata().channels());
  }

  @Test
  @DisplayName("retention is the longest temporal-operator range when that is the longest")
  void retentionFollowsTheLongestTemporalRange() {
    RuleSet set = COMPILER.compile(Map.of(
        "window.drl", rule("Window", "@cooldown(\"3m\")",
            "Number(intValue >= 2) from accumulate(Event(type == \"w\") over window:time(2m), count(1))"),
        "temporal.drl", rule("Temporal", "",
            "$a : Event(type == \"a\") and Event(type == \"b\", this after[0s, 7m] $a)")));

    assertEquals(Map.of(), set.failedFiles(), set.failedFiles().toString());
    assertEquals(Duration.ofMinutes(7), set.retention());
  }

  @Test
  @DisplayName("retention is the longest window when that is the longest")
  void retentionFollowsTheLongestWindow() {
    RuleSet set = COMPILER.compile(Map.of(
        "window.drl", rule("Window", "@cooldown(\"3m\")",
            "Number(intValue >= 2) from accumulate(Event(type == \"w\") over window:time(90m), count(1))"),
        "temporal.drl", rule("Temporal", "",
            "$a : Event(type == \"a\") and Event(type == \"b\", this after[0s, 7m] $a)")));

    assertEquals(Map.of(), set.failedFiles(), set.failedFiles().toString());
    assertEquals(Duration.ofMinutes(90), set.retention());
  }

  @Test
  @DisplayName("retention is the longest cooldown when that is the longest")
  void retentionFollowsTheLongestCooldown() {
    RuleSet set = COMPILER.compile(Map.of(
        "window.drl", rule("Window", "@cooldown(\"1h30m\")",
            "Number(intValue >= 2) from accumulate(Event(type == \"w\") over window:time(2m), count(1))"),
        "plain.drl", GOOD));

    assertEquals(Map.of(), set.failedFiles(), set.failedFiles().toString());
    assertEquals(Duration.ofMinutes(90), set.retention());
  }

  private static RuleError onlyErrorOf(RuleSet set, String file) {
    List<RuleError> errors = set.failedFiles().get(file);
    assertNotNull(errors, file + " did not fail: " + set.failedFiles());
    assertEquals(1, errors.size(), errors.toString());
    return errors.get(0);
  }

  private static RuleError firstErrorOf(RuleSet set, String file) {
    List<RuleError> errors = set.failedFiles().get(file);
    assertNotNull(errors, file + " did not fail: " + set.failedFiles());
    assertTrue(!errors.isEmpty());
    return errors.get(0);
  }

  private static void assertGoodRuleLoaded(RuleSet set) {
    assertNotNull(set.rule("Good rule"), "good rule missing; failed: " + set.failedFiles());
    assertTrue(set.rules().stream().anyMatch(r -> r.name().equals("Good rule")));
    assertTrue(set.failedFiles().keySet().stream().noneMatch(f -> f.contains("good")), set.failedFiles().toString());
  }

  @Test
  @DisplayName("@resolve_after and @repeat take a duration of at least 1m or \"never\"; anything else is an error at its line")
  void resolveAfterAndRepeat() {
    RuleSet set = COMPILER.compile(Map.of(
        "a.drl", rule("Timed", "@resolve_after(\"6h\") @repeat(\"30m\")", "$e : Event()"),
        "b.drl", rule("Never", "@resolve_after(\"never\") @repeat(\"NEVER\")", "$e : Event()"),
        "c.drl", rule("Defaults", "", "$e : Event()"),
        "d.drl", rule("Too short", "@repeat(\"30s\")", "$e : Event()"),
        "e.drl", rule("Not a duration", "@resolve_after(\"soon\")", "$e : Event()")));

    assertEquals(Optional.of(Duration.ofHours(6)), set.rule("Timed").metadata().resolveAfter());
    assertEquals(Optional.of(Duration.ofMinutes(30)), set.rule("Timed").metadata().repeat());
    assertEquals(Optional.of(Duration.ZERO), set.rule("Never").metadata().resolveAfter());
    assertEquals(Optional.of(Duration.ZERO), set.rule("Never").metadata().repeat());
    assertEquals(Optional.empty(), set.rule("Defaults").metadata().resolveAfter());
    assertEquals(Optional.empty(), set.rule("Defaults").metadata().repeat());
    assertEquals(Set.of("d.drl", "e.drl"), set.failedFiles().keySet(), set.failedFiles().toString());
    assertTrue(firstErrorOf(set, "d.drl").message().contains("at least 1m"), set.failedFiles().toString());
    assertTrue(firstErrorOf(set, "e.drl").message().startsWith("@resolve_after:"), set.failedFiles().toString());
    assertEquals(6, firstErrorOf(set, "e.drl").line(), set.failedFiles().toString());
  }
}
