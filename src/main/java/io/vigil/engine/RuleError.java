package io.vigil.engine;

/**
 * One problem in a rule file. {@code line} and {@code column} are 1-based; 0 means the
 * position is not known (Drools reports some errors without one).
 */
public record RuleError(String file, int line, int column, String message) {
  @Override
  public String toString() {
    return file + ":" + line + ":" + column + ": " + message;
  }
}
