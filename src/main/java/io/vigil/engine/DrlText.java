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
  private static final Pattern COOLDOWN_CALL = Pattern.compile("@cooldown\\s*\\(");
  private static final Pattern THRESHOLD_CALL = Pattern.compile("\\bthresholds\\s*\\.\\s*hit\\s*\\(");

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

  /** 1-based line and column of a character offset. */
  static int[] lineColumn(String text, int offset) {
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

  /** The longest look-back the rules need: windows and temporal ranges, and cooldowns. */
  record Spans(Duration window, Duration cooldown) {}

  /**
   * Reads the spans from DRL code only: string literals and comments are blanked first, so a
   * policy value such as "window:time(3650d)" is data and changes nothing. Cooldowns come
   * from {@code @cooldown("...")} and the window and cooldown arguments of {@code
   * thresholds.hit(...)}, whose literals are read at the positions the code view found.
   */
  static Spans spansOf(Iterable<String> texts) {
    long window = 0;
    long cooldown = 0;
    for (String text : texts) {
      String code = codeOnly(text);
      Matcher w = WINDOW.matcher(code);
      while (w.find()) {
        window = Math.max(window, interval(w.group(1)));
      }
      Matcher t = TEMPORAL.matcher(code);
      while (t.find()) {
        for (String part : t.group(1).split(",")) {
          window = Math.max(window, interval(part));
        }
      }
      Matcher c = COOLDOWN_CALL.matcher(code);
      while (c.find()) {
        List<String> args = literalsFrom(text, c.end() - 1);
        if (!args.isEmpty()) {
          cooldown = Math.max(cooldown, duration(args.get(0)));
        }
      }
      Matcher h = THRESHOLD_CALL.matcher(code);
      while (h.find()) {
        // thresholds.hit("rule", key, this, count, "window", "cooldown"): the last two literals
        List<String> args = literalsFrom(text, h.end() - 1);
        if (args.size() >= 2) {
          window = Math.max(window, duration(args.get(args.size() - 2)));
          cooldown = Math.max(cooldown, duration(args.get(args.size() - 1)));
        }
      }
    }
    return new Spans(Duration.ofMillis(window), Duration.ofMillis(cooldown));
  }

  /** The text with string literals and comments replaced by spaces (newlines kept). */
  static String codeOnly(String text) {
    char[] out = text.toCharArray();
    int i = 0;
    while (i < out.length) {
      char ch = out[i];
      if (ch == '"' || ch == '\'') {
        int j = i + 1;
        while (j < out.length && out[j] != ch && out[j] != '\n') {
          j += out[j] == '\\' ? 2 : 1;
        }
        for (int k = i + 1; k < Math.min(j, out.length); k++) {
          out[k] = out[k] == '\n' ? '\n' : ' ';
        }
        i = j + 1;
      } else if (ch == '/' && i + 1 < out.length && out[i + 1] == '/') {
        while (i < out.length && out[i] != '\n') {
          out[i++] = ' ';
        }
      } else if (ch == '/' && i + 1 < out.length && out[i + 1] == '*') {
        while (i < out.length && !(out[i] == '*' && i + 1 < out.length && out[i + 1] == '/')) {
          out[i] = out[i] == '\n' ? '\n' : ' ';
          i++;
        }
        if (i < out.length) {
          out[i++] = ' ';
        }
        if (i < out.length) {
          out[i++] = ' ';
        }
      } else {
        i++;
      }
    }
    return new String(out);
  }

  /** The string literals of the call whose opening parenthesis is at {@code open}. */
  private static List<String> literalsFrom(String text, int open) {
    List<String> out = new ArrayList<>();
    int depth = 0;
    for (int i = open; i < text.length(); i++) {
      char ch = text.charAt(i);
      if (ch == '"') {
        StringBuilder b = new StringBuilder();
        int j = i + 1;
        while (j < text.length() && text.charAt(j) != '"') {
          if (text.charAt(j) == '\\' && j + 1 < text.length()) {
            j++;
          }
          b.append(text.charAt(j++));
        }
        out.add(b.toString());
        i = j;
      } else if (ch == '(') {
        depth++;
      } else if (ch == ')' && --depth == 0) {
        break;
      }
    }
    return out;
  }

  private static long duration(String text) {
    try {
      return Durations.parse(text).toMillis();
    } catch (IllegalArgumentException | ArithmeticException e) {
      return 0; // not a duration here; metadata errors are reported by the compiler
    }
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
