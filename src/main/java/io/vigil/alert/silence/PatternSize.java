package io.vigil.alert.silence;

import io.vigil.engine.policy.RegexErrorPosition;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * An upper bound on how many steps a regular expression expands to once its counted
 * repetitions are unrolled. RE2/J runs in linear time, but it unrolls {@code {n}} while
 * compiling and has no size limit of its own: {@code ((a{1000}){1000}){1000}} is a billion
 * instructions and exhausts the heap. Patterns whose bound is too large are refused
 * before they are compiled. The bound is generous (alternatives are added, not maxed),
 * which is safe: it can only refuse a pattern, never let a larger one through.
 */
final class PatternSize {
  /** Far above any useful matcher ({@code (\d{1,3}\.){3}\d{1,3}} is about 20). */
  static final long MAX = 10_000;

  private PatternSize() {}

  /** The bound for {@code p}, saturating a little above {@link #MAX}. */
  static long of(String p) {
    Deque<long[]> groups = new ArrayDeque<>(); // each: {size so far, size of the last atom}
    long[] cur = {0, 0};
    int i = 0;
    while (i < p.length()) {
      char c = p.charAt(i);
      if (c == '\\') {
        if (p.startsWith("\\Q", i)) {
          int end = p.indexOf("\\E", i + 2);
          int stop = end < 0 ? p.length() : end;
          for (int k = i + 2; k < stop; k++) {
            atom(cur, 1);
          }
          i = end < 0 ? p.length() : end + 2;
          continue;
        }
        char escaped = i + 1 < p.length() ? p.charAt(i + 1) : 0;
        i += 2;
        if ((escaped == 'p' || escaped == 'P') && i < p.length() && p.charAt(i) == '{') {
          int close = p.indexOf('}', i); // a Unicode class name, not a repetition
          i = close < 0 ? p.length() : close + 1;
        }
        atom(cur, 1);
      } else if (c == '[') {
        i = RegexErrorPosition.afterClass(p, i);
        atom(cur, 1);
      } else if (c == '(') {
        groups.push(cur);
        cur = new long[] {0, 0};
        i++;
      } else if (c == ')') {
        long inner = Math.max(1, cur[0]);
        cur = groups.isEmpty() ? new long[] {0, 0} : groups.pop();
        atom(cur, inner);
        i++;
      } else if (c == '{') {
        int close = p.indexOf('}', i);
        long count = close < 0 ? -1 : repeat(p.substring(i + 1, close));
        if (count < 0) {
          atom(cur, 1); // a literal brace
          i++;
        } else {
          long grown = Math.min(MAX + 1, cur[1] * count);
          cur[0] = Math.min(MAX + 1, cur[0] - cur[1] + grown);
          cur[1] = grown;
          i = close + 1;
        }
      } else {
        atom(cur, 1);
        i++;
      }
    }
    while (!groups.isEmpty()) { // unbalanced: the compiler will refuse it anyway
      long inner = cur[0];
      cur = groups.pop();
      atom(cur, inner);
    }
    return cur[0];
  }

  private static void atom(long[] group, long size) {
    group[0] = Math.min(MAX + 1, group[0] + size);
    group[1] = size;
  }

  /** The larger count of {@code n}, {@code n,} or {@code n,m}; -1 when it is not a repetition. */
  private static long repeat(String inside) {
    if (!inside.matches("\\d{1,6}(,\\d{0,6})?")) {
      return -1;
    }
    String[] parts = inside.split(",", -1);
    long n = Long.parseLong(parts[0]);
    long m = parts.length > 1 && !parts[1].isEmpty() ? Long.parseLong(parts[1]) : n + 1;
    return Math.max(1, Math.max(n, m));
  }
}
