package io.vigil.engine.policy;

import java.util.List;
import java.util.stream.Collectors;

/**
 * A policy body that does not validate, with every problem found in it. The code is
 * {@code invalid_regex} when each problem is a regular expression that does not compile,
 * and {@code invalid_policy} otherwise.
 */
public final class PolicyException extends RuntimeException {
  public static final String INVALID_POLICY = "invalid_policy";
  public static final String INVALID_REGEX = "invalid_regex";

  /**
   * One problem: {@code field} is a JSON path into the body ({@code
   * "conditions.all[1].any[0].value"}, {@code ""} for the body itself); {@code position}
   * is the 0-based index in the pattern of a regular expression that does not compile,
   * and null for every other problem.
   */
  public record Problem(String field, String message, Integer position) {
    public Problem(String field, String message) {
      this(field, message, null);
    }

    @Override
    public String toString() {
      return (field.isEmpty() ? "(body)" : field) + ": " + message;
    }
  }

  private final String code;
  private final List<Problem> problems;

  public PolicyException(List<Problem> problems) {
    super("invalid policy: " + problems.stream().map(Problem::toString).collect(Collectors.joining("; ")));
    if (problems.isEmpty()) {
      throw new IllegalArgumentException("a PolicyException needs at least one problem");
    }
    this.problems = List.copyOf(problems);
    this.code = this.problems.stream().allMatch(p -> p.position() != null) ? INVALID_REGEX : INVALID_POLICY;
  }

  /** {@code invalid_policy} or {@code invalid_regex}. */
  public String code() {
    return code;
  }

  public List<Problem> problems() {
    return problems;
  }
}
