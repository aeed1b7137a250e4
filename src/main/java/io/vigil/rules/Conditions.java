package io.vigil.rules;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.re2j.Pattern;
import java.math.BigDecimal;
import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.Collection;
import java.util.EnumSet;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@code conditions} global that compiled JSON policies call: every operand arrives as
 * a string literal (a whitelisted field path, an operator name, the value as JSON text), so
 * a policy value is always data and never DRL code. Regular expressions use RE2/J, which
 * runs in linear time: no policy can make the engine backtrack for ever.
 *
 * <p>Field paths: {@code id, type, source, severity, user, ip, host} and {@code
 * attributes.<dot path>}. A missing field matches no operator except {@code exists}.
 */
public final class Conditions {
  public static final Conditions INSTANCE = new Conditions();
  public static final Set<String> TYPED_FIELDS = Set.of("id", "type", "source", "severity", "user", "ip", "host");

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int CACHE_MAX = 10_000;

  private final Map<String, Object> values = new ConcurrentHashMap<>();
  private final Map<String, Pattern> patterns = new ConcurrentHashMap<>();
  private final Map<String, Set<DayOfWeek>> days = new ConcurrentHashMap<>();

  private Conditions() {}

  /** The value at a policy field path, or null. */
  public static Object value(Event e, String path) {
    return switch (path) {
      case "id" -> e.getId();
      case "type" -> e.getType();
      case "source" -> e.getSource();
      case "severity" -> e.getSeverity();
      case "user" -> e.getUser();
      case "ip" -> e.getIp();
      case "host" -> e.getHost();
      default -> path.startsWith("attributes.") ? e.field(path.substring("attributes.".length())) : null;
    };
  }

  /**
   * Applies {@code op} ({@code eq ne gt lt gte lte in not_in contains regex exists}) to the
   * field at {@code path} and the value written as JSON in {@code json}.
   */
  public boolean check(Event e, String path, String op, String json, boolean caseSensitive) {
    Object actual = value(e, path);
    Object expected = parse(json);
    if (op.equals("exists")) {
      boolean want = !(expected instanceof Boolean b) || b;
      return (actual != null) == want;
    }
    if (actual == null) {
      return false;
    }
    return switch (op) {
      case "eq" -> same(actual, expected, caseSensitive);
      case "ne" -> !same(actual, expected, caseSensitive);
      case "gt" -> compare(actual, expected) > 0;
      case "gte" -> compare(actual, expected) >= 0 && comparable(actual, expected);
      case "lt" -> compare(actual, expected) < 0 && comparable(actual, expected);
      case "lte" -> compare(actual, expected) <= 0 && comparable(actual, expected);
      case "in" -> anySame(actual, expected, caseSensitive);
      case "not_in" -> !anySame(actual, expected, caseSensitive);
      case "contains" -> contains(actual, expected, caseSensitive);
      case "regex" -> expected instanceof String p && pattern(p, caseSensitive).matcher(String.valueOf(actual)).find();
      default -> throw new IllegalArgumentException("unknown operator " + op);
    };
  }

  /**
   * True when the event's time, in {@code zone}, falls on one of {@code days} (comma
   * separated: mon ... sun) between {@code from} (inclusive) and {@code to} (exclusive),
   * written HH:mm; a window with from after to runs over midnight.
   */
  public boolean inSchedule(Event e, String dayList, String from, String to, String zone) {
    ZonedDateTime t = Instant.ofEpochMilli(e.getTime()).atZone(ZoneId.of(zone));
    LocalTime start = LocalTime.parse(from);
    LocalTime end = LocalTime.parse(to);
    LocalTime now = t.toLocalTime();
    boolean inHours = start.isBefore(end) ? !now.isBefore(start) && now.isBefore(end)
        : !now.isBefore(start) || now.isBefore(end);
    return inHours && days.computeIfAbsent(dayList, Conditions::parseDays).contains(t.getDayOfWeek());
  }

  /** A policy alert's key: the {@code groupBy} field's value, else ip, else user, else host. */
  public String keyOf(Event e, String groupBy) {
    Object v = groupBy == null || groupBy.isEmpty() ? null : value(e, groupBy);
    if (v != null) {
      return String.valueOf(v);
    }
    return e.getIp() != null ? e.getIp() : e.getUser() != null ? e.getUser() : e.getHost() != null ? e.getHost() : "";
  }

  private static Set<DayOfWeek> parseDays(String list) {
    Set<DayOfWeek> out = EnumSet.noneOf(DayOfWeek.class);
    for (String d : list.split(",")) {
      String s = d.trim().toLowerCase(Locale.ROOT);
      for (DayOfWeek w : DayOfWeek.values()) {
        if (w.name().toLowerCase(Locale.ROOT).startsWith(s) && s.length() >= 3) {
          out.add(w);
        }
      }
    }
    return out;
  }

  private Object parse(String json) {
    Object v = values.get(json);
    if (v != null) {
      return v;
    }
    try {
      v = JSON.readValue(json, Object.class);
    } catch (JsonProcessingException ex) {
      throw new IllegalArgumentException("policy value is not JSON", ex);
    }
    if (v == null) {
      return null;
    }
    if (values.size() < CACHE_MAX) {
      values.put(json, v);
    }
    return v;
  }

  /** Compiles (once) a pattern; throws RE2/J's PatternSyntaxException for a bad one. */
  public Pattern pattern(String regex, boolean caseSensitive) {
    String key = (caseSensitive ? "s:" : "i:") + regex;
    Pattern p = patterns.get(key);
    if (p == null) {
      p = Pattern.compile(regex, caseSensitive ? 0 : Pattern.CASE_INSENSITIVE);
      if (patterns.size() < CACHE_MAX) {
        patterns.put(key, p);
      }
    }
    return p;
  }

  private static boolean same(Object a, Object b, boolean caseSensitive) {
    // Numbers compare as numbers when either side is one ("500" equals 500); two strings
    // compare as text, so "007" is not "7".
    if (a instanceof Number || b instanceof Number) {
      BigDecimal na = number(a);
      BigDecimal nb = number(b);
      if (na != null && nb != null) {
        return na.compareTo(nb) == 0;
      }
    }
    if (a instanceof String sa && b instanceof String sb) {
      return caseSensitive ? sa.equals(sb) : sa.equalsIgnoreCase(sb);
    }
    return Objects.equals(a, b);
  }

  private static boolean anySame(Object actual, Object expected, boolean caseSensitive) {
    if (!(expected instanceof Collection<?> options)) {
      return same(actual, expected, caseSensitive);
    }
    for (Object o : options) {
      if (same(actual, o, caseSensitive)) {
        return true;
      }
    }
    return false;
  }

  private static boolean contains(Object actual, Object expected, boolean caseSensitive) {
    if (actual instanceof Collection<?> items) {
      for (Object item : items) {
        if (item != null && same(item, expected, caseSensitive)) {
          return true;
        }
      }
      return false;
    }
    String hay = String.valueOf(actual);
    String needle = String.valueOf(expected);
    return caseSensitive ? hay.contains(needle)
        : hay.toLowerCase(Locale.ROOT).contains(needle.toLowerCase(Locale.ROOT));
  }

  private static boolean comparable(Object a, Object b) {
    return number(a) != null && number(b) != null;
  }

  /** Numeric order; 0 for values that are not both numbers (callers check comparable()). */
  private static int compare(Object a, Object b) {
    BigDecimal na = number(a);
    BigDecimal nb = number(b);
    if (na == null || nb == null) {
      return Integer.MIN_VALUE;
    }
    return na.compareTo(nb);
  }

  private static BigDecimal number(Object v) {
    if (v instanceof Double d && !Double.isFinite(d) || v instanceof Float f && !Float.isFinite(f)) {
      return null;
    }
    if (v instanceof Number n) {
      return n instanceof BigDecimal bd ? bd : new BigDecimal(n.toString());
    }
    if (v instanceof String s && !s.isEmpty() && s.length() < 64) {
      try {
        return new BigDecimal(s.trim());
      } catch (NumberFormatException e) {
        return null;
      }
    }
    return null;
  }
}
