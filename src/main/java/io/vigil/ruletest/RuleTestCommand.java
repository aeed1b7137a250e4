package io.vigil.ruletest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.vigil.engine.RuleFiles;
import io.vigil.engine.RuleTester;
import io.vigil.ingest.EventValidator;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;

/**
 * {@code java -jar vigil.jar test <rules-dir> <tests-dir> [--junit <file>]}: runs every test
 * case file (YAML or JSON) in the tests directory against the rules, prints a pass/fail
 * report, optionally writes JUnit XML, and exits 0 when all pass, 1 when any fails, 2 when
 * the rules or the test files cannot be read.
 */
public final class RuleTestCommand {
  private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

  private RuleTestCommand() {}

  public static int run(List<String> args, PrintStream out) {
    Path junit = null;
    List<String> positional = new ArrayList<>();
    for (int i = 0; i < args.size(); i++) {
      if (args.get(i).equals("--junit") && i + 1 < args.size()) {
        junit = Path.of(args.get(++i));
      } else {
        positional.add(args.get(i));
      }
    }
    if (positional.size() != 2) {
      out.println("usage: java -jar vigil.jar test <rules-dir> <tests-dir> [--junit <file>]");
      return 2;
    }
    Path rulesDir = Path.of(positional.get(0));
    Path testsDir = Path.of(positional.get(1));
    Map<String, String> rules;
    List<Path> cases;
    try {
      rules = RuleFiles.read(rulesDir);
      try (Stream<Path> s = Files.list(testsDir)) {
        cases = s.filter(p -> p.toString().matches(".*\\.(ya?ml|json)$")).sorted().toList();
      }
    } catch (IOException e) {
      out.println("cannot read " + e.getMessage());
      return 2;
    }
    if (cases.isEmpty()) {
      out.println("no test case files (*.yaml, *.yml, *.json) in " + testsDir);
      return 2;
    }
    RuleTester compiled;
    try {
      compiled = RuleTester.of(rules, Set.of());
    } catch (RuleTester.RulesDoNotCompile e) {
      out.println("rules do not compile:");
      e.errors().forEach(err -> out.println("  " + err));
      return 2;
    }
    TestRunner runner = new TestRunner(new EventValidator(new ObjectMapper(), Duration.ofDays(3650), Duration.ofDays(3650)));
    List<TestRunner.Result> results = new ArrayList<>();
    try (compiled) {
      out.println("rules: " + compiled.ruleSet().rules().size() + " from " + rulesDir);
      for (Path file : cases) {
        TestRunner.Result result;
        try {
          JsonNode tree = YAML.readTree(file.toFile());
          TestCase c = TestCaseParser.parse(tree, file.getFileName().toString(), Clock.systemUTC());
          if (c.rules().isPresent()) {
            throw new TestCaseParser.Invalid(List.of("rules: the rules come from the rules directory"));
          }
          try (RuleTester session = compiled.fresh("test")) {
            result = runner.run(session, c, "test");
          }
        } catch (IOException | RuntimeException e) {
          result = new TestRunner.Result(file.getFileName().toString(), List.of(),
              List.of("cannot run: " + e.getMessage()), 0);
        }
        results.add(result);
        print(out, result);
      }
    }
    long failed = results.stream().filter(r -> !r.passed()).count();
    out.println((results.size() - failed) + " passed, " + failed + " failed");
    if (junit != null) {
      try {
        JUnitReport.write(junit, "vigil-rules", results);
      } catch (IOException e) {
        out.println("cannot write " + junit + ": " + e.getMessage());
        return 2;
      }
    }
    return failed == 0 ? 0 : 1;
  }

  private static void print(PrintStream out, TestRunner.Result r) {
    out.println((r.passed() ? "PASS " : "FAIL ") + r.name() + " (" + r.alerts().size() + " alerts, " + r.millis()
        + " ms)");
    r.failures().forEach(f -> out.println("  " + f));
  }

}
