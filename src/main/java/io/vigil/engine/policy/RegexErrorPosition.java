package io.vigil.engine.policy;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * Where in a pattern RE2/J's error is. RE2/J's {@code getIndex()} is always -1, so the
 * position is worked out from the text it quotes: the fragment it names, found where a
 * prefix of the pattern ending with that fragment fails with the same error (parsing is
 * left to right, so that is where the parser stopped).
 */
public final class RegexErrorPosition {
  /** Prefixes tried before settling for the first occurrence of the fragment. */
  private static final int MAX_TRIES = 256;

  private RegexErrorPosition() {}

  /** The 0-based index in {@code pattern} of the error {@code e} that compiling it raised. */
  public static int of(String pattern, PatternSyntaxException e) {
    String fragment = e.getPattern();
    String description = e.getDescription();
    if (description.startsWith("trailing backslash")) {
      return Math.max(0, pattern.length() - 1);
    }
    if (description.startsWith("missing closing )") || fragment.equals("stack underflow")) {
      int paren = unbalancedParen(pattern);
      if (paren >= 0) {
        return paren;
      }
    }
    if (fragment.isEmpty()) {
      return 0;
    }
    int tries = 0;
    for (int at = pattern.indexOf(fragment); at >= 0 && tries < MAX_TRIES; at = pattern.indexOf(fragment, at + 1)) {
      tries++;
      if (sameError(pattern.substring(0, at + fragment.length()), e)) {
        return at;
      }
    }
    return Math.max(0, pattern.indexOf(fragment));
  }

  private static boolean sameError(String prefix, PatternSyntaxException e) {
    try {
      Pattern.compile(prefix);
      return false;
    } catch (PatternSyntaxException p) {
      return p.getDescription().equals(e.getDescription()) && p.getPattern().equals(e.getPattern());
    }
  }

  /**
   * The first ')' that closes nothing, else the outermost '(' left open; -1 when the
   * parentheses balance. Skips escapes, {@code \Q...\E} and character classes.
   */
  static int unbalancedParen(String p) {
    Deque<Integer> open = new ArrayDeque<>();
    int i = 0;
    while (i < p.length()) {
      char c = p.charAt(i);
      if (c == '\\') {
        if (p.startsWith("\\Q", i)) {
          int end = p.indexOf("\\E", i + 2);
          i = end < 0 ? p.length() : end + 2;
        } else {
          i += 2;
        }
      } else if (c == '[') {
        i = afterClass(p, i);
      } else if (c == '(') {
        open.push(i++);
      } else if (c == ')') {
        if (open.isEmpty()) {
          return i;
        }
        open.pop();
        i++;
      } else {
        i++;
      }
    }
    return open.isEmpty() ? -1 : open.peekLast();
  }

  /**
   * The index after the character class opening at {@code start} in an RE2 pattern: after
   * its ']' or at the end. Also what silences' pattern size check skips classes with.
   */
  public static int afterClass(String p, int start) {
    int i = start + 1;
    if (i < p.length() && p.charAt(i) == '^') {
      i++;
    }
    if (i < p.length() && p.charAt(i) == ']') {
      i++; // a leading ']' is a literal
    }
    while (i < p.length()) {
      char c = p.charAt(i);
      if (c == '\\') {
        i += 2;
      } else if (p.startsWith("[:", i)) {
        int end = p.indexOf(":]", i + 2);
        i = end < 0 ? i + 1 : end + 2;
      } else if (c == ']') {
        return i + 1;
      } else {
        i++;
      }
    }
    return p.length();
  }
}
