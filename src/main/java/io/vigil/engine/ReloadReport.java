package io.vigil.engine;

import java.util.List;

/**
 * What a reload, file change, validation or rule switch came to. {@code ok} false means
 * nothing changed and {@code errors} says why, each with file, line and column.
 * {@code changed} is false when the inputs were the same as those running.
 */
public record ReloadReport(
    boolean ok,
    boolean changed,
    String version,
    int rules,
    List<RuleError> errors,
    List<String> warnings,
    long compileMs,
    long swapMs,
    String reason) {

  static ReloadReport failed(String reason, List<RuleError> errors, List<String> warnings, long compileMs) {
    return new ReloadReport(false, false, null, 0, List.copyOf(errors), List.copyOf(warnings), compileMs, 0, reason);
  }
}
