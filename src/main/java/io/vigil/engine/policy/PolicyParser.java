package io.vigil.engine.policy;

import com.fasterxml.jackson.databind.JsonNode;
import io.vigil.config.ConfigLoader;
import io.vigil.config.Durations;
import io.vigil.engine.policy.Policy.Condition;
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
import java.util.ArrayList;
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
 * optional keys. The {@code conditions} tree is read by {@link ConditionParser}, which adds
 * its problems to the same list.
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
  private static final Set<String> THROTTLE_KEYS = Set.of("minutes", "max_per_hour");
  private static final Set<String> THRESHOLD_KEYS = Set.of("count", "within", "group_by");
  private static final Set<String> ACTIVE_KEYS = Set.of("days", "from", "to", "timezone");

  private final List<Problem> problems = new ArrayList<>();

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
    unknownKeys(problems, body, "", TOP_KEYS);
    String name = name(body.get("name"));
    Optional<String> description = description(body.get("description"));
    Severity severity = severity(body.get("severity"));
    List<String> channels = channels(body.get("channels"));
    boolean enabled = bool(body.get("enabled"), "enabled", true);
    boolean caseSensitive = bool(body.get("case_sensitive"), "case_sensitive", true);
    Condition conditions = null;
    JsonNode c = body.get("conditions");
    if (absent(c)) {
      problem(problems, "conditions", "is required: a group {\"all\": [...]} or {\"any\": [...]}, or one condition"
          + " {\"field\": ..., \"op\": ..., \"value\": ...}");
    } else {
      conditions = new ConditionParser(problems).parse(c, "conditions");
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
      problem(problems, "name", "is required");
      return null;
    }
    if (!n.isTextual()) {
      problem(problems, "name", "must be a string");
      return null;
    }
    String s = n.textValue();
    if (s.isBlank() || !NAME.matcher(s).matches()) {
      problem(problems, "name", "must be 1 to " + MAX_NAME_LENGTH + " characters, not all spaces, of letters, digits,"
          + " spaces and _ . : - ( ) / # @ +");
      return null;
    }
    return s;
  }

  private Optional<String> description(JsonNode n) {
    if (absent(n)) {
      return Optional.empty();
    }
    if (!n.isTextual()) {
      problem(problems, "description", "must be a string");
    } else if (n.textValue().codePointCount(0, n.textValue().length()) > MAX_DESCRIPTION_LENGTH) {
      problem(problems, "description", "must be at most " + MAX_DESCRIPTION_LENGTH + " characters");
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
      problem(problems, "severity", "must be one of " + Severity.labels());
      return Severity.MEDIUM;
    }
    return s.get();
  }

  private List<String> channels(JsonNode n) {
    if (absent(n)) {
      return List.of();
    }
    if (!n.isArray()) {
      problem(problems, "channels", "must be a list of channel names");
      return List.of();
    }
    List<String> out = new ArrayList<>();
    for (int i = 0; i < n.size(); i++) {
      JsonNode c = n.get(i);
      String at = "channels[" + i + "]";
      if (!c.isTextual() || !ConfigLoader.NAME.matcher(c.textValue()).matches()) {
        problem(problems, at,
            "must be a channel name: lower-case letters, digits, '_', '.' or '-', up to 63 characters");
      } else if (out.contains(c.textValue())) {
        problem(problems, at, "names channel '" + c.textValue() + "' twice");
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
      problem(problems, field, "must be true or false");
      return otherwise;
    }
    return n.booleanValue();
  }

  private Optional<Throttle> throttle(JsonNode n) {
    if (absent(n)) {
      return Optional.empty();
    }
    if (!n.isObject()) {
      problem(problems, "throttle", "must be an object with minutes, max_per_hour or both");
      return Optional.empty();
    }
    int before = problems.size();
    unknownKeys(problems, n, "throttle", THROTTLE_KEYS);
    int minutes = wholeNumber(n.get("minutes"), "throttle.minutes", 1, MAX_THROTTLE_MINUTES, 0);
    int maxPerHour = wholeNumber(n.get("max_per_hour"), "throttle.max_per_hour", 1, Integer.MAX_VALUE, 0);
    if (absent(n.get("minutes")) && absent(n.get("max_per_hour"))) {
      problem(problems, "throttle", "must set minutes, max_per_hour or both");
    }
    return problems.size() > before ? Optional.empty() : Optional.of(new Throttle(minutes, maxPerHour));
  }

  private Optional<Threshold> threshold(JsonNode n) {
    if (absent(n)) {
      return Optional.empty();
    }
    if (!n.isObject()) {
      problem(problems, "threshold", "must be an object with count, within and optionally group_by");
      return Optional.empty();
    }
    int before = problems.size();
    unknownKeys(problems, n, "threshold", THRESHOLD_KEYS);
    if (absent(n.get("count"))) {
      problem(problems, "threshold.count", "is required");
    }
    int count = wholeNumber(n.get("count"), "threshold.count", 1, MAX_THRESHOLD_COUNT, 0);
    Duration within = null;
    JsonNode w = n.get("within");
    if (absent(w)) {
      problem(problems, "threshold.within", "is required, e.g. \"1m\"");
    } else if (!w.isTextual()) {
      problem(problems, "threshold.within", "must be a duration string such as 30s, 10m, 1h");
    } else {
      try {
        within = Durations.parse(w.textValue());
        if (within.compareTo(MIN_WINDOW) < 0 || within.compareTo(MAX_WINDOW) > 0) {
          problem(problems, "threshold.within", "must be between 1s and 1d");
        }
      } catch (IllegalArgumentException e) {
        problem(problems, "threshold.within", e.getMessage());
      }
    }
    String groupBy = "";
    JsonNode g = n.get("group_by");
    if (!absent(g)) {
      if (!g.isTextual() || !isFieldPath(g.textValue())) {
        problem(problems, "threshold.group_by", fieldPathRule());
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
      problem(problems, "active", "must be an object with days, from, to and timezone");
      return Optional.empty();
    }
    int before = problems.size();
    unknownKeys(problems, n, "active", ACTIVE_KEYS);
    Set<DayOfWeek> days = EnumSet.noneOf(DayOfWeek.class);
    JsonNode d = n.get("days");
    if (absent(d) || !d.isArray() || d.isEmpty()) {
      problem(problems, "active.days", "must be a non-empty list of mon, tue, wed, thu, fri, sat, sun");
    } else {
      for (int i = 0; i < d.size(); i++) {
        JsonNode day = d.get(i);
        int index = day.isTextual() ? DAYS.indexOf(day.textValue()) : -1;
        if (index < 0) {
          problem(problems, "active.days[" + i + "]", "must be one of mon, tue, wed, thu, fri, sat, sun");
        } else if (!days.add(DayOfWeek.of(index + 1))) {
          problem(problems, "active.days[" + i + "]", "lists " + day.textValue() + " twice");
        }
      }
    }
    LocalTime from = time(n.get("from"), "active.from");
    LocalTime to = time(n.get("to"), "active.to");
    ZoneId zone = null;
    JsonNode z = n.get("timezone");
    if (absent(z) || !z.isTextual()) {
      problem(problems, "active.timezone", "is required: a time zone such as \"Europe/Berlin\" or \"UTC\"");
    } else {
      try {
        zone = ZoneId.of(z.textValue());
      } catch (DateTimeException e) {
        problem(problems, "active.timezone",
            "is not a known time zone; use a name such as \"Europe/Berlin\" or \"UTC\"");
      }
    }
    return problems.size() > before ? Optional.empty() : Optional.of(new Schedule(days, from, to, zone));
  }

  private LocalTime time(JsonNode n, String at) {
    if (absent(n) || !n.isTextual() || !TIME.matcher(n.textValue()).matches()) {
      problem(problems, at, "is required: a time of day written HH:mm, 00:00 to 23:59");
      return null;
    }
    return LocalTime.parse(n.textValue());
  }

  private int wholeNumber(JsonNode n, String at, int min, int max, int otherwise) {
    if (absent(n)) {
      return otherwise;
    }
    if (!n.isIntegralNumber() || !n.canConvertToInt() || n.intValue() < min || n.intValue() > max) {
      problem(problems, at, max == Integer.MAX_VALUE ? "must be a whole number of at least " + min
          : "must be a whole number from " + min + " to " + max);
      return otherwise;
    }
    return n.intValue();
  }

  /** Adds to {@code problems} the problem {@code message} at the JSON path {@code at}. */
  static void problem(List<Problem> problems, String at, String message) {
    problems.add(new Problem(at, message));
  }

  /** Adds to {@code problems} one problem for each key of {@code object} not in {@code known}. */
  static void unknownKeys(List<Problem> problems, JsonNode object, String path, Set<String> known) {
    for (Iterator<String> it = object.fieldNames(); it.hasNext(); ) {
      String key = it.next();
      if (!known.contains(key)) {
        String shown = key.length() > MAX_REPORTED_KEY ? key.substring(0, MAX_REPORTED_KEY) + "..." : key;
        problem(problems, path.isEmpty() ? shown : path + "." + shown, "is not a known key here; expected one of "
            + known.stream().sorted().collect(Collectors.joining(", ")));
      }
    }
  }

  /** True for a missing key and for an explicit JSON {@code null}. */
  static boolean absent(JsonNode n) {
    return n == null || n.isNull() || n.isMissingNode();
  }

  /** What a field path may be, for a problem with one. */
  static String fieldPathRule() {
    return "must be one of " + Conditions.TYPED_FIELDS.stream().sorted().collect(Collectors.joining(", "))
        + ", or attributes.<path>: 1 to 10 dot-separated parts of letters, digits, '_' or '-'";
  }
}
