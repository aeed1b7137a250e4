package io.vigil.ruletest;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Writes rule test results as JUnit XML, the format CI systems read. */
final class JUnitReport {
  private JUnitReport() {}

  static void write(Path file, String suite, List<TestRunner.Result> results) throws IOException {
    long failures = results.stream().filter(r -> !r.passed()).count();
    double seconds = results.stream().mapToLong(TestRunner.Result::millis).sum() / 1000.0;
    StringBuilder x = new StringBuilder("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    x.append("<testsuite name=\"").append(esc(suite)).append("\" tests=\"").append(results.size())
        .append("\" failures=\"").append(failures).append("\" errors=\"0\" time=\"").append(seconds).append("\">\n");
    for (TestRunner.Result r : results) {
      x.append("  <testcase classname=\"").append(esc(suite)).append("\" name=\"").append(esc(r.name()))
          .append("\" time=\"").append(r.millis() / 1000.0).append("\"");
      if (r.passed()) {
        x.append("/>\n");
      } else {
        x.append(">\n    <failure message=\"").append(esc(r.failures().get(0))).append("\">")
            .append(esc(String.join("\n", r.failures()))).append("</failure>\n  </testcase>\n");
      }
    }
    x.append("</testsuite>\n");
    if (file.getParent() != null) {
      Files.createDirectories(file.getParent());
    }
    Files.writeString(file, x, StandardCharsets.UTF_8);
  }

  private static String esc(String s) {
    StringBuilder b = new StringBuilder(s.length());
    for (char c : s.toCharArray()) {
      switch (c) {
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '&' -> b.append("&amp;");
        case '"' -> b.append("&quot;");
        default -> b.append(c < 0x20 && c != '\n' && c != '\t' ? ' ' : c);
      }
    }
    return b.toString();
  }
}
