package io.vigil.ruletest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code vigil.jar test}: the shipped sample rules pass their shipped tests (so {@code mvn
 * verify} runs them), a failing expectation fails the run with a readable reason and exit
 * 1, JUnit XML is written, and unreadable input exits 2.
 */
class RuleTestCommandTest {
  @TempDir Path dir;

  int run(List<String> args, StringBuilder output) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int code = RuleTestCommand.run(args, new PrintStream(bytes, true, StandardCharsets.UTF_8));
    output.append(bytes.toString(StandardCharsets.UTF_8));
    return code;
  }

  @Test
  @DisplayName("the sample rules pass every shipped rule test, and JUnit XML is written")
  void sample_rules_pass_their_tests() throws Exception {
    StringBuilder out = new StringBuilder();
    Path junit = Path.of("target", "rule-tests", "TEST-sample-rules.xml");
    int code = run(List.of("rules", "rules/tests", "--junit", junit.toString()), out);
    assertEquals(0, code, out.toString());
    long cases;
    try (var files = Files.list(Path.of("rules/tests"))) {
      cases = files.filter(p -> p.toString().endsWith(".yaml")).count();
    }
    assertTrue(out.toString().contains(cases + " passed, 0 failed"), out.toString());
    String xml = Files.readString(junit);
    assertTrue(xml.contains("tests=\"" + cases + "\" failures=\"0\""), xml);
  }

  @Test
  @DisplayName("a broken expectation fails with what was expected and what was raised, exit 1")
  void failing_case() throws Exception {
    Files.writeString(dir.resolve("wrong.yaml"), """
        start: 2026-11-22T10:00:00Z
        events:
          - { at: +0s, event: { type: auth.login_failed, ip: 203.0.113.7 } }
        expect:
          - { rule: Brute force login, key: 203.0.113.7 }
        """);
    Files.writeString(dir.resolve("right.yaml"), """
        start: 2026-11-22T10:00:00Z
        events:
          - { at: +0s, event: { type: auth.login_failed, ip: 203.0.113.7 } }
        expect_none:
          - { rule: Brute force login }
        """);
    StringBuilder out = new StringBuilder();
    Path junit = dir.resolve("out/junit.xml");
    assertEquals(1, run(List.of("rules", dir.toString(), "--junit", junit.toString()), out), out.toString());
    assertTrue(out.toString().contains("FAIL wrong.yaml"), out.toString());
    assertTrue(out.toString().contains("PASS right.yaml"), out.toString());
    assertTrue(out.toString().contains("expected rule=\"Brute force login\" key=\"203.0.113.7\""), out.toString());
    assertTrue(out.toString().contains("1 passed, 1 failed"), out.toString());
    assertTrue(Files.readString(junit).contains("<failure message="));
  }

  @Test
  @DisplayName("rules that do not compile, a test file that is not a test, and bad arguments exit 2 or fail")
  void bad_input() throws Exception {
    Path rules = Files.createDirectories(dir.resolve("rules"));
    Files.writeString(rules.resolve("bad.drl"), "package x;\nrule \"B\" when\n  Nope()\nthen end\n");
    Path tests = Files.createDirectories(dir.resolve("tests"));
    Files.writeString(tests.resolve("a.yaml"), "events: []\n");
    StringBuilder out = new StringBuilder();
    assertEquals(2, run(List.of(rules.toString(), tests.toString()), out));
    assertTrue(out.toString().contains("bad.drl:3"), out.toString());
    assertEquals(2, run(List.of("only-one-arg"), new StringBuilder()));
    Files.writeString(tests.resolve("b.yaml"), "events: nope\nsurprise: 1\n");
    StringBuilder notATest = new StringBuilder();
    assertEquals(1, run(List.of("rules", tests.toString()), notATest));
    assertTrue(notATest.toString().contains("FAIL b.yaml"), notATest.toString());
    assertTrue(notATest.toString().contains("surprise: unknown key"), notATest.toString());
  }
}
