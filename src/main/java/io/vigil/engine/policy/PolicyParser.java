package io.vigil.engine.policy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.google.re2j.PatternSyntaxException;
import io.vigil.config.ConfigLoader;
import io.vigil.config.Durations;
import io.vigil.engine.policy.Policy.Condition;
import io.vigil.engine.policy.Policy.Group;
import io.vigil.engine.policy.Policy.Join;
import io.vigil.engine.policy.Policy.Leaf;
import io.vigil.engine.policy.Policy.Operator;
import io.vigil.engine.policy.Policy.Schedule;
import io.vigil.engine.policy.Policy.Threshold;
import io.vigil.engine.policy.Policy.Throttle;
import io.vigil.engine.policy.PolicyException.Problem;
import io.vigil.rules.Conditions;
import io.vigil.rules.Severity;
import java.time.DateTimeException;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.EnumSet;
import java.util.Iterator;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Reads a policy body (JSON) into a {@link Policy}, or throws a {@link PolicyException}
 * listing every problem in it at once, each located by a JSON path such as {@code
 * conditions.all[1].any[0].value}. Nothing outside the documented shape is accepted: an
 * unknown key anywhere is a problem, field paths are whitelisted, and each operator takes
 * only the value types it can use. Explicit JSON {@code null} counts as absent for the
 * optional keys.
 */
public final class PolicyParser {
  public static final int MAX_NAME_LENGTH = 100;
  public static final int MAX_DESCRIPTION_LENGTH = 1000;
  /** Groups nested inside each other, counting the outermost one. */
  public static final int MAX_DEPTH = 10;
  public static final int MAX_LEAVES = 200;
  public static final int MAX_LIST_VALUES = 1000;
  /** UTF-8 bytes in any one string value. */
  public static final int MAX_STRING_BYTES = 64 * 1024;
  public static final int MAX_THROTTLE_MINUTES = 10_080;
  public static final int MAX_THRESHOLD_COUNT = 100_000;
  public static final Duration MIN_WINDOW = Duration.ofSeconds(1);
  public static final Duration MAX_WINDOW = Duration.ofDays(1);

  /** Letters, digits, spaces and a few marks: nothing that quotes, escapes or breaks a line. */
  private static final Pattern NAME = Pattern.compile("[\\p{L}\\p{Nd} _.:()/#@+-]{1," + MAX_NAME_LENGTH + "}");
  private static final Pattern ATTRIBUTE_PATH = Pattern.compile("attributes(\\.[A-Za-z0-9_-]{1,64}){1,10}");
  private static final Pattern TIME = Pattern.compile("([01][0-9]|2[0-3]):[0-5][0-9]");
  private static final List<String> DAYS = List.of("mon", "tue", "wed", "thu", "fri", "sat", "sun");
  private static final int MAX_REPORTED_KEY = 100;

  private static final Set<String> TOP_KEYS = Set.of(
      "name", "description", "severity", "channels", "enabled", "case_sensitive", "conditions", "throttle",
      "threshold", "active");
  private static final Set<String> LEAF_KEYS = Set.of("field", "op", "value");
  private static final Set<String> THROTTLE_KEYS = Set.of("minutes", "max_per_hour");
  private static final Set<String> THRESHOLD_KEYS = Set.of("count", "within", "group_by");
  private static final Set<String> ACTIVE_KEYS = Set.of("days", "from", "to", "timezone");

  private final List<Problem> problems = new ArrayList<>();
  private int leaves;

  private PolicyParser() {}

  /**
   * The policy {@code id} of {@code tenant} described by {@code body}. Throws {@link
   * PolicyException} for a body with problems, and {@link IllegalArgumentException} for an
   * id or tenant that is not valid (see {@link PolicyCompiler#POLICY_ID}): those come from
   * the server, not from the body.
   */
  public static Policy parse(JsonNode body, String id, String tenant) {
    PolicyCompiler.requireIds(tenant, id);
    return new PolicyParser().policy(body, id, tenant);
  }

  /** True for a field path a policy may name: a typed event field or {@code attributes.<path>}. */
  public static boolean isFieldPath(String path) {
    return Conditions.TYPED_FIELDS.contains(path) || ATTRIBUTE_PATH.matcher(path).matches();
  }

  private Policy policy(JsonNode body, String id, String tenant) {
    if (body == null || !body.isObject()) {
      throw new PolicyException(List.of(new Problem("", "a policy must be a JSON object")));
    }
    unknownKeys(body, "", TOP_KEYS);
    String name = name(body.get("name"));
    Optional<String> description = description(body.get("description"));
    Severity severity = severity(body.get("severity"));
    List<String> channels = channels(body.get("channels"));
    boolean enabled = bool(body.get("enabled"), "enabled", true);
    boolean caseSensitive = bool(body.get("case_sensitive"), "case_sensitive", true);
    Condition conditions = null;
    JsonNode c = body.get("conditions");
    if (absent(c)) {
      problem("conditions", "is required: a group {\"all\": [...]} or {\"any\": [...]}, or one condition"
          + " {\"field\": ..., \"op\": ..., \"value\": ...}");
    } else {
      conditions = condition(c, "conditions", 0);
      if (leaves > MAX_LEAVES) {
        problem("conditions", "has " + leaves + " conditions; at most " + MAX_LEAVES + " are allowed");
      }
    }
    Optional<Throttle> throttle = throttle(body.get("throttle"));
    Optional<Threshold> threshold = threshold(body.get("threshold"));
    Optional<Schedule> active = schedule(body.get("active"));
    if (!problems.isEmpty()) {
      throw new PolicyException(problems);
    }
    return new Policy(id, tenant, name, description, severity, channels, enabled, caseSensitive, conditions,
        throttle, threshold, active);
  }

  private String name(JsonNode n) {
    if (absent(n)) {
      problem("name", "is required");
      return null;
    }
    if (!n.isTextual()) {
      problem("name", "must be a string");
      return null;
    }
    String s = n.textValue();
    if (s.isBlank() || !NAME.matcher(s).matches()) {
      problem("name", "must be 1 to " + MAX_NAME_LENGTH + " characters, not all spaces, of letters, digits, spaces"
          + " and _ . : - ( ) / # @ +");
      return null;
    }
    return s;
  }

  private Optional<String> description(JsonNode n) {
    if (absent(n)) {
      return Optional.empty();
    }
    if (!n.isTextual()) {
      problem("description", "must be a string");
    } else if (n.textValue().codePointCount(0, n.textValue().length()) > MAX_DESCRIPTION_LENGTH) {
      problem("description", "must be at most " + MAX_DESCRIPTION_LENGTH + " characters");
    } else {
      return Optional.of(n.textValue());
    }
    return Optional.empty();
  }

  private Severity severity(JsonNode n) {
    if (absent(n)) {
      return Severity.MEDIUM;
    }
    Optional<Severity> s = n.isTextual() ? Severity.parse(n.textValue()) : Optional.empty();
    if (s.isEmpty()) {
      problem("severity", "must be one of " + Severity.labels());
      return Severity.MEDIUM;
    }
    return s.get();
  }

  private List<String> channels(JsonNode n) {
    if (absent(n)) {
      return List.of();
    }
    if (!n.isArray()) {
      problem("channels", "must be a list of channel names");
      return List.of();
    }
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n.size(); i++) {
      JsonNode c = n.get(i);
      String at = "channels[" + i + "]";
      if (!c.isTextual() || !ConfigLoader.NAME.matcher(c.textValue()).matches()) {
        problem(at, "must be a channel name: lower-case letters, digits, '_', '.' or '-', up to 63 characters");
      } else if (out.contains(c.textValue())) {
        problem(at, "names channel '" + c.textValue() + "' twice");
      } else {
        out.add(c.textValue());
      }
    }
    return out;
  }

  private boolean bool(JsonNode n, String field, boolean otherwise) {
    if (absent(n)) {
      return otherwise;
    }
    if (!n.isBoolean()) {
      problem(field, "must be true or false");
      return otherwise;
    }
    return n.booleanValue();
  }

  /** A group or a leaf at {@code path}, inside {@code depth} groups; null when it has problems. */
  private Condition condition(JsonNode n, String path, int depth) {
    if (n == null || !n.isObject()) {
      problem(path, "must be an object: a group {\"all\": [...]} or {\"any\": [...]}, or a condition"
          + " {\"field\": ..., \"op\": ..., \"value\": ...}");
      return null;
    }
    List<Join> joins = Arrays.stream(Join.values()).filter(j -> n.has(j.key())).toList();
    if (joins.isEmpty()) {
      return leaf(n, path);
    }
    if (joins.size() > 1) {
      problem(path, "has both \"all\" and \"any\"; a group has one of them (nest groups to combine them)");
    }
    unknownKeys(n, path, Set.of("all", "any"));
    if (depth + 1 > MAX_DEPTH) {
      problem(path, "nests groups more than " + MAX_DEPTH + " deep");
      return null;
    }
    Group group = null;
    for (Join join : joins) {
      String at = path + "." + join.key();
      JsonNode list = n.get(join.key());
      if (!list.isArray() || list.isEmpty()) {
        problem(at, "must be a non-empty list of conditions");
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
    unknownKeys(n, path, LEAF_KEYS);
    String field = null;
    JsonNode f = n.get("field");
    if (absent(f)) {
      problem(path + ".field", "is required");
    } else if (!f.isTextual() || !isFieldPath(f.textValue())) {
      problem(path + ".field", fieldPathRule());
    } else {
      field = f.textValue();
    }
    Operator op = null;
    JsonNode o = n.get("op");
    if (absent(o)) {
      problem(path + ".op", "is required");
    } else {
      op = o.isTextual() ? Operator.parse(o.textValue()).orElse(null) : null;
      if (op == null) {
        problem(path + ".op", "must be one of " + Arrays.stream(Operator.values()).map(Operator::json)
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
        problem(at, "must be true or false for exists (or left out, meaning true)");
        return null;
      }
      return v;
    }
    if (absent(v)) {
      problem(at, "is required for " + op.json());
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
    problem(at, "must be " + expected);
    return false;
  }

  private boolean number(JsonNode v, String at, String expected) {
    if (!v.isNumber()) {
      problem(at, "must be " + expected);
      return false;
    }
    // A number past double range would reach the engine as Infinity, which is not JSON.
    if (!Double.isFinite(v.doubleValue())) {
      problem(at, "must be a finite number no larger than about 1.8e308");
      return false;
    }
    return true;
  }

  private boolean string(JsonNode v, String at) {
    if (utf8Length(v.textValue()) > MAX_STRING_BYTES) {
      problem(at, "must be at most " + MAX_STRING_BYTES + " bytes (UTF-8)");
      return false;
    }
    return true;
  }

  private boolean list(JsonNode v, String at, Operator op) {
    if (!v.isArray() || v.isEmpty()) {
      problem(at, "must be a non-empty list of strings, numbers or booleans for " + op.json());
      return false;
    }
    if (v.size() > MAX_LIST_VALUES) {
      problem(at, "has " + v.size() + " values; at most " + MAX_LIST_VALUES + " are allowed");
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
      problem(at, "must be a string (an RE2 regular expression) for regex");
      return false;
    }
    if (!string(v, at)) {
      return false;
    }
    String pattern = v.textValue();
    try {
      com.google.re2j.Pattern.compile(pattern);
      return true;
    } catch (PatternSyntaxException e) {
      int position = RegexErrors.position(pattern, e);
      problems.add(new Problem(at, "is not a valid regular expression: " + e.getDescription()
          + (e.getPattern().isEmpty() ? "" : " `" + e.getPattern() + "`") + " at position " + position, position));
      return false;
    }
  }

  private Optional<Throttle> throttle(JsonNode n) {
    if (absent(n)) {
      return Optional.empty();
    }
    if (!n.isObject()) {
      problem("throttle", "must be an object with minutes, max_per_hour or both");
      return Optional.empty();
    }
    int before = problems.size();
    unknownKeys(n, "throttle", THROTTLE_KEYS);
    int minutes = wholeNumber(n.get("minutes"), "throttle.minutes", 1, MAX_THROTTLE_MINUTES, 0);
    int maxPerHour = wholeNumber(n.get("max_per_hour"), "throttle.max_per_hour", 1, Integer.MAX_VALUE, 0);
    if (absent(n.get("minutes")) && absent(n.get("max_per_hour"))) {
      problem("throttle", "must set minutes, max_per_hour or both");
    }
    return problems.size() > before ? Optional.empty() : Optional.of(new Throttle(minutes, maxPerHour));
  }

  private Optional<Threshold> threshold(JsonNode n) {
    if (absent(n)) {
      return Optional.empty();
    }
    if (!n.isObject()) {
      problem("threshold", "must be an object with count, within and optionally group_by");
      return Optional.empty();
    }
    int before = problems.size();
    unknownKeys(n, "threshold", THRESHOLD_KEYS);
    if (absent(n.get("count"))) {
      problem("threshold.count", "is required");
    }
    int count = wholeNumber(n.get("count"), "threshold.count", 1, MAX_THRESHOLD_COUNT, 0);
    Duration within = null;
    JsonNode w = n.get("within");
    if (absent(w)) {
      problem("threshold.within", "is required, e.g. \"1m\"");
    } else if (!w.isTextual()) {
      problem("threshold.within", "must be a duration string such as 30s, 10m, 1h");
    } else {
      try {
        within = Durations.parse(w.textValue());
        if (within.compareTo(MIN_WINDOW) < 0 || within.compareTo(MAX_WINDOW) > 0) {
          problem("threshold.within", "must be between 1s and 1d");
        }
      } catch (IllegalArgumentException e) {
        problem("threshold.within", e.getMessage());
      }
    }
    String groupBy = "";
    JsonNode g = n.get("group_by");
    if (!absent(g)) {
      if (!g.isTextual() || !isFieldPath(g.textValue())) {
        problem("threshold.group_by", fieldPathRule());
      } else {
        groupBy = g.textValue();
      }
    }
    return problems.size() > before ? Optional.empty() : Optional.of(new Threshold(count, within, groupBy));
  }

  private Optional<Schedule> schedule(JsonNode n) {
    if (absent(n)) {
      return Optional.empty();
    }
    if (!n.isObject()) {
      problem("active", "must be an object with days, from, to and timezone");
      return Optional.empty();
    }
    int before = problems.size();
    unknownKeys(n, "active", ACTIVE_KEYS);
    Set<DayOfWeek> days = EnumSet.noneOf(DayOfWeek.class);
    JsonNode d = n.get("days");
    if (absent(d) || !d.isArray() || d.isEmpty()) {
      problem("active.days", "must be a non-empty list of mon, tue, wed, thu, fri, sat, sun");
    } else {
      for (int i = 0; i < d.size(); i++) {
        JsonNode day = d.get(i);
        int index = day.isTextual() ? DAYS.indexOf(day.textValue()) : -1;
        if (index < 0) {
          problem("active.days[" + i + "]", "must be one of mon, tue, wed, thu, fri, sat, sun");
        } else if (!days.add(DayOfWeek.of(index + 1))) {
          problem("active.days[" + i + "]", "lists " + day.textValue() + " twice");
        }
      }
    }
    LocalTime from = time(n.get("from"), "active.from");
    LocalTime to = time(n.get("to"), "active.to");
    ZoneId zone = null;
    JsonNode z = n.get("timezone");
    if (absent(z) || !z.isTextual()) {
      problem("active.timezone", "is required: a time zone such as \"Europe/Berlin\" or \"UTC\"");
    } else {
      try {
        zone = ZoneId.of(z.textValue());
      } catch (DateTimeException e) {
        problem("active.timezone", "is not a known time zone; use a name such as \"Europe/Berlin\" or \"UTC\"");
      }
    }
    return problems.size() > before ? Optional.empty() : Optional.of(new Schedule(days, from, to, zone));
  }

  private LocalTime time(JsonNode n, String at) {
    if (absent(n) || !n.isTextual() || !TIME.matcher(n.textValue()).matches()) {
      problem(at, "is required: a time of day written HH:mm, 00:00 to 23:59");
      return null;
    }
    return LocalTime.parse(n.textValue());
  }

  private int wholeNumber(JsonNode n, String at, int min, int max, int otherwise) {
    if (absent(n)) {
      return otherwise;
    }
    if (!n.isIntegralNumber() || !n.canConvertToInt() || n.intValue() < min || n.intValue() > max) {
      problem(at, max == Integer.MAX_VALUE ? "must be a whole number of at least " + min
          : "must be a whole number from " + min + " to " + max);
      return otherwise;
    }
    return n.intValue();
  }

  private void unknownKeys(JsonNode object, String path, Set<String> known) {
    for (Iterator<String> it = object.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (!known.contains(key)) {
        String shown = key.length() > MAX_REPORTED_KEY ? key.substring(0, MAX_REPORTED_KEY) + "..." : key;
        problem(path.isEmpty() ? shown : path + "." + shown, "is not a known key here; expected one of "
            + known.stream().sorted().collect(Collectors.joining(", ")));
      }
    }
  }

  private static String fieldPathRule() {
    return "must be one of " + Conditions.TYPED_FIELDS.stream().sorted().collect(Collectors.joining(", "))
        + ", or attributes.<path>: 1 to 10 dot-separated parts of letters, digits, '_' or '-'";
  }

  private void problem(String field, String message) {
    problems.add(new Problem(field, message));
  }

  private static boolean absent(JsonNode n) {
    return n == null || n.isNull() || n.isMissingNode();
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

  /**
   * Where in a pattern RE2/J's error is. RE2/J's {@code getIndex()} is always -1, so the
   * position is worked out from the text it quotes: the fragment it names, found where a
   * prefix of the pattern ending with that fragment fails with the same error (parsing is
   * left to right, so that is where the parser stopped).
   */
  static final class RegexErrors {
    /** Prefixes tried before settling for the first occurrence of the fragment. */
    private static final int MAX_TRIES = 256;

    private RegexErrors() {}

    static int position(String pattern, PatternSyntaxException e) {
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
        com.google.re2j.Pattern.compile(prefix);
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

    /** The index after the class opening at {@code start}: after its ']' or at the end. */
    private static int afterClass(String p, int start) {
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
}
