package io.vigil.engine;

import io.vigil.config.Durations;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.drools.base.util.TimeIntervalParser;

/**
 * What Vigil reads out of DRL source text itself, where Drools gives no answer: positions
 * (1-based line and column) of rules, metadata and the tokens an error message names, and
 * the longest time span the rules look back over.
 */
final class DrlText {
  private static final Pattern QUOTED = Pattern.compile("'([^'\\s]+)'");
  private static final Pattern METHOD = Pattern.compile("\\.(\\w+)\\(\\)");
  private static final Pattern EXPRESSION = Pattern.compile("Unable to Analyse Expression (.+?):");
  private static final Pattern WINDOW = Pattern.compile("window:time\\s*\\(\\s*([^)]+?)\\s*\\)");
  private static final Pattern TEMPORAL =
      Pattern.compile(
          "\\b(?:after|before|coincides|during|finishes|finishedby|includes|meets|metby|overlaps"
              + "|overlappedby|starts|startedby)\\s*\\[([^\\]]+)\\]");
  private static final Pattern QUOTED_LITERAL = Pattern.compile("\"([^\"\\\\]*)\"");
  private static final Pattern COOLDOWN = Pattern.compile("@cooldown\\s*\\(\\s*\"([^\"]*)\"");

  private DrlText() {}

  /** Best effort: find the token the message complains about on the reported line. */
  static int columnOfToken(String text, int line, String message) {
    if (text == null || line <= 0) {
      return 0;
    }
    String[] lines = text.split("\n", -1);
    if (line > lines.length) {
      return 0;
    }
    String src = lines[line - 1];
    List<String> tokens = new ArrayList<>();
    Matcher q = QUOTED.matcher(message);
    while (q.find()) {
      tokens.add(q.group(1));
    }
    Matcher mm = METHOD.matcher(message);
    while (mm.find()) {
      tokens.add(mm.group(1));
    }
    Matcher ex = EXPRESSION.matcher(message);
    if (ex.find()) {
      tokens.add(ex.group(1).trim());
    }
    for (String token : tokens) {
      Matcher w = Pattern.compile("(?<![\\w$])" + Pattern.quote(token) + "(?![\\w$])").matcher(src);
      if (w.find()) {
        return w.start() + 1;
      }
    }
    return 0;
  }

  /** Line and column (1-based) of {@code rule "name"} or {@code rule name} in the text. */
  static int[] position(String text, String name, String keyword) {
    Pattern p = Pattern.compile("(?m)^\\s*" + keyword + "\\s+(\"" + Pattern.quote(name) + "\"|'"
        + Pattern.quote(name) + "'|" + Pattern.quote(name) + "(?=\\s))");
    Matcher m = p.matcher(text);
    return m.find() ? lineColumn(text, m.start(1)) : new int[] {0, 0};
  }

  static int[] positionAfter(String text, int fromLine, String token) {
    if (fromLine <= 0) {
      return new int[] {0, 0};
    }
    int offset = 0;
    for (int i = 1; i < fromLine; i++) {
      offset = text.indexOf('\n', offset) + 1;
    }
    int at = text.indexOf(token + "(", offset);
    int end = text.indexOf("\nend", offset);
    if (at < 0 || (end >= 0 && at > end)) {
      return new int[] {0, 0};
    }
    return lineColumn(text, at);
  }

  private static int[] lineColumn(String text, int offset) {
    int line = 1;
    int lineStart = 0;
    for (int i = 0; i < offset; i++) {
      if (text.charAt(i) == '\n') {
        line++;
        lineStart = i + 1;
      }
    }
    return new int[] {line, offset - lineStart + 1};
  }

  /** The longest window, temporal-operator range or cooldown written in any of the texts. */
  static Duration retentionOf(Iterable<String> texts) {
    long longest = 0;
    for (String text : texts) {
      Matcher w = WINDOW.matcher(text);
      while (w.find()) {
        longest = Math.max(longest, interval(w.group(1)));
      }
      Matcher t = TEMPORAL.matcher(text);
      while (t.find()) {
        for (String part : t.group(1).split(",")) {
          longest = Math.max(longest, interval(part));
        }
      }
      longest = Math.max(longest, thresholdSpans(text));
      Matcher c = COOLDOWN.matcher(text);
      while (c.find()) {
        try {
          longest = Math.max(longest, Durations.parse(c.group(1)).toMillis());
        } catch (IllegalArgumentException ignored) {
          // reported as a metadata error once the file compiles
        }
      }
    }
    return Duration.ofMillis(longest);
  }

  /** The longest duration literal passed to {@code thresholds.hit(...)} (window or cooldown). */
  private static long thresholdSpans(String text) {
    long longest = 0;
    int at = text.indexOf("thresholds.hit(");
    while (at >= 0) {
      int depth = 0;
      int end = at + "thresholds.hit".length();
      for (; end < text.length(); end++) {
        char ch = text.charAt(end);
        if (ch == '(') {
          depth++;
        } else if (ch == ')' && --depth == 0) {
          break;
        }
      }
      Matcher q = QUOTED_LITERAL.matcher(text.substring(at, Math.min(end, text.length())));
      while (q.find()) {
        try {
          longest = Math.max(longest, Durations.parse(q.group(1)).toMillis());
        } catch (IllegalArgumentException notADuration) {
          // the rule name or a key: not a span
        }
      }
      at = text.indexOf("thresholds.hit(", end);
    }
    return longest;
  }

  private static long interval(String text) {
    try {
      long[] v = TimeIntervalParser.parse(text.trim());
      long max = 0;
      for (long x : v) {
        max = Math.max(max, Math.abs(x));
      }
      return max;
    } catch (RuntimeException e) {
      return 0;
    }
  }

}
