package io.vigil.ruletest;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The README's worked example (a rule and its test) is taken from the README and must pass. */
class ReadmeExampleTest {
  @TempDir Path dir;

  @Test
  @DisplayName("the README's disk-full rule passes the README's disk-full test")
  void worked_example_passes() throws Exception {
    String readme = Files.readString(Path.of("README.md"));
    String section = readme.substring(readme.indexOf("### Writing and testing a rule"));
    Path rules = Files.createDirectories(dir.resolve("rules"));
    Path tests = Files.createDirectories(dir.resolve("tests"));
    Files.writeString(rules.resolve("disk-full.drl"), block(section, "```\n(   package rules.ops;.*?)   ```"));
    Files.writeString(tests.resolve("disk-full.yaml"), block(section, "```yaml\n(   start:.*?)   ```"));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    int code = RuleTestCommand.run(List.of(rules.toString(), tests.toString()),
        new PrintStream(out, true, StandardCharsets.UTF_8));
    assertEquals(0, code, out.toString(StandardCharsets.UTF_8));
    assertTrue(out.toString(StandardCharsets.UTF_8).contains("1 passed, 0 failed"));
  }

  /** A fenced block indented by three spaces (inside a numbered list), unindented. */
  private static String block(String text, String regex) {
    Matcher m = Pattern.compile(regex, Pattern.DOTALL).matcher(text);
    assertTrue(m.find(), "README block " + regex);
    StringBuilder b = new StringBuilder();
    for (String line : m.group(1).split("\n")) {
      b.append(line.length() >= 3 ? line.substring(3) : line.strip()).append('\n');
    }
    return b.toString();
  }
}
