package io.vigil.alert.silence;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vigil.alert.silence.SilenceMatcher.Op;
import io.vigil.engine.policy.RegexErrorPosition;
import io.vigil.rules.Severity;
import io.vigil.store.SilenceStore.StoredSilence;
import java.time.DateTimeException;
import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * Reads a silence from its JSON form, checking every field and collecting every problem
 * rather than stopping at the first. The same code reads silences back from the database,
 * so what was accepted once is read the same way later.
 */
public final class SilenceParser {
  public static final int MAX_MATCHERS = 50;
  public static final int MAX_VALUE = 1024;
  private static final Set<String> KEYS = Set.of("matchers", "starts_at", "ends_at", "recurrence", "created_by",
      "comment");
  private static final Set<String> MATCHER_KEYS = Set.of("name", "op", "value");
  private static final Set<String> RECURRENCE_KEYS = Set.of("days", "from", "to", "timezone");
  private static final List<String> DAYS = List.of("mon", "tue", "wed", "thu", "fri", "sat", "sun");
  private static final java.util.regex.Pattern TIME = java.util.regex.Pattern.compile("([01]\\d|2[0-3]):[0-5]\\d");
  private static final java.util.regex.Pattern ATTRIBUTE_PATH =
      java.util.regex.Pattern.compile("[A-Za-z0-9_-]+(\\.[A-Za-z0-9_-]+){0,9}");

  /**
   * One problem: {@code field} is a JSON path into the body ({@code matchers[1].value});
   * {@code position} is the 0-based index of the error in a regular expression that does
   * not compile, and null for every other problem.
   */
  public record Problem(String field, String message, Integer position) {
    Problem(String field, String message) {
      this(field, message, null);
    }
  }

  /** A parsed silence, or the problems that kept it from being one. */
  public record Result(Silence silence, List<Problem> problems) {
    public boolean ok() {
      return problems.isEmpty();
    }

    /** True when every problem is a regular expression that does not compile ({@code 422 invalid_regex}). */
    public boolean onlyBadRegexes() {
      return !problems.isEmpty() && problems.stream().allMatch(p -> p.position() != null);
    }
  }

  private final List<Problem> problems = new ArrayList<>();

  private SilenceParser() {}

  /**
   * A new silence of {@code tenant} from an API body: {@code starts_at} defaults to
   * {@code now}, {@code created_by} to the key's id.
   */
  public static Result parse(JsonObject body, UUID id, String tenant, String keyId, Instant now) {
    SilenceParser p = new SilenceParser();
    for (String k : body.fieldNames()) {
      if (!KEYS.contains(k)) {
        p.problem(shown(k), "is not a known field; expected one of " + sorted(KEYS));
      }
    }
    List<SilenceMatcher> matchers = p.matchers(body.getValue("matchers"));
    Instant startsAt = body.getValue("starts_at") == null ? now : p.time(body.getValue("starts_at"), "starts_at");
    Instant endsAt = null;
    if (body.getValue("ends_at") == null) {
      p.problem("ends_at", "is required: an ISO-8601 time with an offset, e.g. 2026-11-22T18:00:00Z");
    } else {
      endsAt = p.time(body.getValue("ends_at"), "ends_at");
    }
    if (startsAt != null && endsAt != null && !endsAt.isAfter(startsAt)) {
      p.problem("ends_at", "must be after starts_at (" + startsAt + ")");
    }
    Optional<MaintenanceWindow> recurrence = p.recurrence(body.getValue("recurrence"));
    String createdBy = p.text(body.getValue("created_by"), "created_by", 200);
    String comment = p.text(body.getValue("comment"), "comment", 2000);
    if (!p.problems.isEmpty()) {
      return new Result(null, List.copyOf(p.problems));
    }
    return new Result(new Silence(id, tenant, matchers, startsAt, endsAt, recurrence,
        createdBy == null ? keyId : createdBy, comment, keyId, now, now, null), List.of());
  }

  /** A stored silence as the model; a row that no longer reads is a bug, not input. */
  public static Silence fromStored(StoredSilence s) {
    SilenceParser p = new SilenceParser();
    List<SilenceMatcher> matchers = p.matchers(s.matchers());
    Optional<MaintenanceWindow> recurrence = p.recurrence(s.recurrence());
    if (!p.problems.isEmpty()) {
      throw new IllegalStateException("stored silence " + s.id() + " does not read: " + p.problems);
    }
    return new Silence(s.id(), s.tenant(), matchers, s.startsAt(), s.endsAt(), recurrence, s.createdBy(),
        s.comment(), s.createdKey(), s.createdAt(), s.updatedAt(), s.expiredBy());
  }

  private List<SilenceMatcher> matchers(Object v) {
    if (!(v instanceof JsonArray a) || a.isEmpty() || a.size() > MAX_MATCHERS) {
      problem("matchers", "is required: a list of 1 to " + MAX_MATCHERS
          + " matchers {\"name\":..., \"op\":..., \"value\":...}");
      return List.of();
    }
    List<SilenceMatcher> out = new ArrayList<>();
    for (int i = 0; i < a.size(); i++) {
      SilenceMatcher m = matcher(a.getValue(i), "matchers[" + i + "]");
      if (m != null) {
        out.add(m);
      }
    }
    return List.copyOf(out);
  }

  private SilenceMatcher matcher(Object v, String at) {
    if (!(v instanceof JsonObject m)) {
      problem(at, "must be an object with name, op and value");
      return null;
    }
    int before = problems.size();
    for (String k : m.fieldNames()) {
      if (!MATCHER_KEYS.contains(k)) {
        problem(at + "." + shown(k), "is not a known field; expected one of " + sorted(MATCHER_KEYS));
      }
    }
    String name = null;
    if (!(m.getValue("name") instanceof String n) || !knownName(n)) {
      problem(at + ".name", "must be rule, key, severity, tags, event." + String.join(", event.",
          SilenceMatcher.EVENT_FIELDS.stream().sorted().toList())
          + " or event.attributes.<path> (1 to 10 dot-separated parts of letters, digits, '_' or '-')");
    } else {
      name = n;
    }
    Op op = null;
    if (!(m.getValue("op") instanceof String o) || Op.parse(o).isEmpty()) {
      problem(at + ".op", "must be one of =, !=, =~, !~");
    } else {
      op = Op.parse(o).get();
    }
    String value = null;
    if (!(m.getValue("value") instanceof String s) || s.length() > MAX_VALUE) {
      problem(at + ".value", "is required: a string of at most " + MAX_VALUE + " characters");
    } else {
      value = s;
    }
    if (problems.size() > before) {
      return null;
    }
    boolean severityLabel = Severity.parse(value).map(Severity::label).orElse("").equals(value);
    if ("severity".equals(name) && !op.regex() && !severityLabel) {
      problem(at + ".value", "must be a severity: one of " + Severity.labels());
      return null;
    }
    Pattern pattern = op.regex() ? regex(value, at + ".value") : null;
    return op.regex() && pattern == null ? null : new SilenceMatcher(name, op, value, pattern);
  }

  private Pattern regex(String value, String at) {
    if (PatternSize.of(value) > PatternSize.MAX) {
      problems.add(new Problem(at, "is too large a regular expression: its repetitions expand to more than "
          + PatternSize.MAX + " steps", 0));
      return null;
    }
    try {
      return Pattern.compile(value);
    } catch (PatternSyntaxException e) {
      int position = RegexErrorPosition.of(value, e);
      problems.add(new Problem(at, "is not a valid regular expression: " + e.getDescription()
          + (e.getPattern().isEmpty() ? "" : " `" + e.getPattern() + "`") + " at position " + position, position));
      return null;
    }
  }

  private static boolean knownName(String n) {
    if (n.equals("rule") || n.equals("key") || n.equals("severity") || n.equals("tags")) {
      return true;
    }
    if (!n.startsWith("event.")) {
      return false;
    }
    String field = n.substring("event.".length());
    return SilenceMatcher.EVENT_FIELDS.contains(field)
        || field.startsWith("attributes.") && ATTRIBUTE_PATH.matcher(field.substring("attributes.".length())).matches();
  }

  private Optional<MaintenanceWindow> recurrence(Object v) {
    if (v == null) {
      return Optional.empty();
    }
    if (!(v instanceof JsonObject r)) {
      problem("recurrence", "must be an object with days, from, to and timezone");
      return Optional.empty();
    }
    int before = problems.size();
    for (String k : r.fieldNames()) {
      if (!RECURRENCE_KEYS.contains(k)) {
        problem("recurrence." + shown(k), "is not a known field; expected one of " + sorted(RECURRENCE_KEYS));
      }
    }
    Set<DayOfWeek> days = EnumSet.noneOf(DayOfWeek.class);
    Object d = r.getValue("days");
    if (d == null) {
      days = EnumSet.allOf(DayOfWeek.class);
    } else if (!(d instanceof JsonArray list) || list.isEmpty()) {
      problem("recurrence.days", "must be a non-empty list of mon, tue, wed, thu, fri, sat, sun (absent: every day)");
    } else {
      for (int i = 0; i < list.size(); i++) {
        Object day = list.getValue(i);
        int index = day instanceof String s ? DAYS.indexOf(s) : -1;
        if (index < 0) {
          problem("recurrence.days[" + i + "]", "must be one of mon, tue, wed, thu, fri, sat, sun");
        } else if (!days.add(DayOfWeek.of(index + 1))) {
          problem("recurrence.days[" + i + "]", "lists " + day + " twice");
        }
      }
    }
    LocalTime from = timeOfDay(r.getValue("from"), "recurrence.from");
    LocalTime to = timeOfDay(r.getValue("to"), "recurrence.to");
    ZoneId zone = null;
    if (!(r.getValue("timezone") instanceof String z)) {
      problem("recurrence.timezone", "is required: a time zone such as \"Europe/Berlin\" or \"UTC\"");
    } else {
      try {
        zone = ZoneId.of(z);
      } catch (DateTimeException e) {
        problem("recurrence.timezone", "is not a known time zone; use a name such as \"Europe/Berlin\" or \"UTC\"");
      }
    }
    return problems.size() > before ? Optional.empty() : Optional.of(new MaintenanceWindow(days, from, to, zone));
  }

  private LocalTime timeOfDay(Object v, String at) {
    if (!(v instanceof String s) || !TIME.matcher(s).matches()) {
      problem(at, "is required: a time of day written HH:mm, 00:00 to 23:59");
      return null;
    }
    return LocalTime.parse(s);
  }

  private Instant time(Object v, String at) {
    if (v instanceof String s) {
      try {
        return OffsetDateTime.parse(s).toInstant();
      } catch (DateTimeParseException e) {
        // reported below
      }
    }
    problem(at, "must be an ISO-8601 time with an offset, e.g. 2026-11-22T18:00:00Z");
    return null;
  }

  private String text(Object v, String at, int max) {
    if (v == null) {
      return null;
    }
    if (!(v instanceof String s) || s.length() > max) {
      problem(at, "must be a string of at most " + max + " characters");
      return null;
    }
    return s;
  }

  private void problem(String field, String message) {
    problems.add(new Problem(field, message));
  }

  /** A key as quoted back in a problem: long ones cut, so an error never echoes a huge body. */
  private static String shown(String key) {
    return key.length() > 64 ? key.substring(0, 64) + "..." : key;
  }

  private static String sorted(Set<String> keys) {
    return keys.stream().sorted().collect(Collectors.joining(", "));
  }
}
