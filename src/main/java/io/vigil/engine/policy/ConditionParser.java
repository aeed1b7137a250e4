package io.vigil.engine.policy;

import static io.vigil.engine.policy.PolicyParser.MAX_DEPTH;
import static io.vigil.engine.policy.PolicyParser.MAX_LEAVES;
import static io.vigil.engine.policy.PolicyParser.MAX_LIST_VALUES;
import static io.vigil.engine.policy.PolicyParser.MAX_STRING_BYTES;
import static io.vigil.engine.policy.PolicyParser.absent;
import static io.vigil.engine.policy.PolicyParser.fieldPathRule;
import static io.vigil.engine.policy.PolicyParser.isFieldPath;
import static io.vigil.engine.policy.PolicyParser.problem;
import static io.vigil.engine.policy.PolicyParser.unknownKeys;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import io.vigil.engine.policy.Policy.Condition;
import io.vigil.engine.policy.Policy.Group;
import io.vigil.engine.policy.Policy.Join;
import io.vigil.engine.policy.Policy.Leaf;
import io.vigil.engine.policy.Policy.Operator;
import io.vigil.engine.policy.PolicyException.Problem;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Reads the {@code conditions} of a policy body: groups nested at most {@link
 * PolicyParser#MAX_DEPTH} deep, at most {@link PolicyParser#MAX_LEAVES} leaves in all, and
 * each leaf's value checked against what its operator can use (a regex must compile under
 * RE2). Problems go to the list it is given, shared with the {@link PolicyParser} reading
 * the rest of the body.
 */
final class ConditionParser {
  private static final Set<String> LEAF_KEYS = Set.of("field", "op", "value");

  private final List<Problem> problems;
  private int leaves;

  ConditionParser(List<Problem> problems) {
    this.problems = problems;
  }

  /** The condition tree at {@code path}; null when it has problems. */
  Condition parse(JsonNode n, String path) {
    Condition condition = condition(n, path, 0);
    if (leaves > MAX_LEAVES) {
      problem(problems, path, "has " + leaves + " conditions; at most " + MAX_LEAVES + " are allowed");
    }
    return condition;
  }

  /** A group or a leaf at {@code path}, inside {@code depth} groups; null when it has problems. */
  private Condition condition(JsonNode n, String path, int depth) {
    if (n == null || !n.isObject()) {
      problem(problems, path, "must be an object: a group {\"all\": [...]} or {\"any\": [...]}, or a condition"
          + " {\"field\": ..., \"op\": ..., \"value\": ...}");
      return null;
    }
    List<Join> joins = Arrays.stream(Join.values()).filter(j -> n.has(j.key())).toList();
    if (joins.isEmpty()) {
      return leaf(n, path);
    }
    if (joins.size() > 1) {
      problem(problems, path, "has both \"all\" and \"any\"; a group has one of them (nest groups to combine them)");
    }
    unknownKeys(problems, n, path, Set.of("all", "any"));
    if (depth + 1 > MAX_DEPTH) {
      problem(problems, path, "nests groups more than " + MAX_DEPTH + " deep");
      return null;
    }
    Group group = null;
    for (Join join : joins) {
      String at = path + "." + join.key();
      JsonNode list = n.get(join.key());
      if (!list.isArray() || list.isEmpty()) {
        problem(problems, at, "must be a non-empty list of conditions");
        continue;
      }
      List<Condition> children = new ArrayList<>();
      for (int i = 0; i < list.size(); i++) {
        children.add(condition(list.get(i), at + "[" + i + "]", depth + 1));
      }
      if (group == null && !children.contains(null)) {
        group = new Group(join, children);
      }
    }
    return joins.size() > 1 ? null : group;
  }

  private Leaf leaf(JsonNode n, String path) {
    leaves++;
    int before = problems.size();
    unknownKeys(problems, n, path, LEAF_KEYS);
    String field = null;
    JsonNode f = n.get("field");
    if (absent(f)) {
      problem(problems, path + ".field", "is required");
    } else if (!f.isTextual() || !isFieldPath(f.textValue())) {
      problem(problems, path + ".field", fieldPathRule());
    } else {
      field = f.textValue();
    }
    Operator op = null;
    JsonNode o = n.get("op");
    if (absent(o)) {
      problem(problems, path + ".op", "is required");
    } else {
      op = o.isTextual() ? Operator.parse(o.textValue()).orElse(null) : null;
      if (op == null) {
        problem(problems, path + ".op", "must be one of " + Arrays.stream(Operator.values()).map(Operator::json)
            .collect(Collectors.joining(", ")));
      }
    }
    JsonNode value = op == null ? null : value(op, n.get("value"), path + ".value");
    return problems.size() > before ? null : new Leaf(field, op, value);
  }

  /** The value of a leaf with {@code op}, or null after reporting why it does not fit. */
  private JsonNode value(Operator op, JsonNode v, String at) {
    if (op == Operator.EXISTS) {
      if (absent(v)) {
        return BooleanNode.TRUE;
      }
      if (!v.isBoolean()) {
        problem(problems, at, "must be true or false for exists (or left out, meaning true)");
        return null;
      }
      return v;
    }
    if (absent(v)) {
      problem(problems, at, "is required for " + op.json());
      return null;
    }
    boolean ok = switch (op) {
      case EQ, NE, CONTAINS -> scalar(v, at, "a string, number or boolean for " + op.json());
      case GT, LT, GTE, LTE -> number(v, at, "a number for " + op.json());
      case IN, NOT_IN -> list(v, at, op);
      case REGEX -> regex(v, at);
      case EXISTS -> throw new IllegalStateException("handled above");
    };
    return ok ? v : null;
  }

  private boolean scalar(JsonNode v, String at, String expected) {
    if (v.isTextual()) {
      return string(v, at);
    }
    if (v.isNumber()) {
      return number(v, at, expected);
    }
    if (v.isBoolean()) {
      return true;
    }
    problem(problems, at, "must be " + expected);
    return false;
  }

  private boolean number(JsonNode v, String at, String expected) {
    if (!v.isNumber()) {
      problem(problems, at, "must be " + expected);
      return false;
    }
    // A number past double range would reach the engine as Infinity, which is not JSON.
    if (!Double.isFinite(v.doubleValue())) {
      problem(problems, at, "must be a finite number no larger than about 1.8e308");
      return false;
    }
    return true;
  }

  private boolean string(JsonNode v, String at) {
    if (utf8Length(v.textValue()) > MAX_STRING_BYTES) {
      problem(problems, at, "must be at most " + MAX_STRING_BYTES + " bytes (UTF-8)");
      return false;
    }
    return true;
  }

  private boolean list(JsonNode v, String at, Operator op) {
    if (!v.isArray() || v.isEmpty()) {
      problem(problems, at, "must be a non-empty list of strings, numbers or booleans for " + op.json());
      return false;
    }
    if (v.size() > MAX_LIST_VALUES) {
      problem(problems, at, "has " + v.size() + " values; at most " + MAX_LIST_VALUES + " are allowed");
      return false;
    }
    boolean ok = true;
    for (int i = 0; i < v.size(); i++) {
      ok &= scalar(v.get(i), at + "[" + i + "]", "a string, number or boolean");
    }
    return ok;
  }

  private boolean regex(JsonNode v, String at) {
    if (!v.isTextual()) {
      problem(problems, at, "must be a string (an RE2 regular expression) for regex");
      return false;
    }
    if (!string(v, at)) {
      return false;
    }
    String pattern = v.textValue();
    try {
      Pattern.compile(pattern);
      return true;
    } catch (PatternSyntaxException e) {
      int position = RegexErrorPosition.of(pattern, e);
      problems.add(new Problem(at, "is not a valid regular expression: " + e.getDescription()
          + (e.getPattern().isEmpty() ? "" : " `" + e.getPattern() + "`") + " at position " + position, position));
      return false;
    }
  }

  private static long utf8Length(String s) {
    long n = 0;
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x80) {
        n++;
      } else if (c < 0x800) {
        n += 2;
      } else if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
        n += 4;
        i++;
      } else {
        n += 3;
      }
    }
    return n;
  }
}
