package io.vigil.alert.silence;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.re2j.Pattern;
import io.vertx.core.json.JsonObject;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One condition of a silence: a name ({@code rule}, {@code key}, {@code severity}, {@code
 * tags}, or {@code event.<field>}), an operator and a value. Regular expressions are RE2
 * (linear time), compiled once, and must match the whole value, as in Alertmanager.
 *
 * <p>A field an event does not have reads as the empty string, so {@code event.user != "alice"}
 * matches an event without a user. Tags are a set: {@code =} means the alert has the tag,
 * {@code !=} that it does not, {@code =~} that some tag matches, {@code !~} that none does.
 */
public record SilenceMatcher(String name, Op op, String value, Pattern pattern) {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** The fields of an evidence event a matcher may name after {@code event.}. */
  public static final Set<String> EVENT_FIELDS = Set.of("id", "type", "source", "severity", "user", "ip", "host");

  /** The four operators, written as in Alertmanager. */
  public enum Op {
    EQ("="),
    NE("!="),
    RE("=~"),
    NRE("!~");

    private final String symbol;

    Op(String symbol) {
      this.symbol = symbol;
    }

    public String symbol() {
      return symbol;
    }

    public boolean regex() {
      return this == RE || this == NRE;
    }

    public boolean negative() {
      return this == NE || this == NRE;
    }

    public static Optional<Op> parse(String s) {
      for (Op o : values()) {
        if (o.symbol.equals(s)) {
          return Optional.of(o);
        }
      }
      return Optional.empty();
    }
  }

  /** True for matchers on evidence events ({@code event.ip}), false for the alert's own fields. */
  public boolean onEvent() {
    return name.startsWith("event.");
  }

  /** Applies a matcher on the alert's own fields ({@code rule, key, severity, tags}). */
  public boolean matchesAlert(AlertFields a) {
    return switch (name) {
      case "rule" -> test(a.rule());
      case "key" -> test(a.key());
      case "severity" -> test(a.severity());
      case "tags" -> tags(a.tags());
      default -> throw new IllegalStateException("not an alert field: " + name);
    };
  }

  /** Applies an {@code event.*} matcher to one evidence event. */
  public boolean matchesEvent(Map<String, Object> event) {
    return test(text(lookup(event, name.substring("event.".length()))));
  }

  private boolean tags(List<String> tags) {
    boolean any = false;
    for (String t : tags) {
      if (op.regex() ? pattern.matches(t) : value.equals(t)) {
        any = true;
        break;
      }
    }
    return op.negative() != any;
  }

  private boolean test(String actual) {
    String s = actual == null ? "" : actual;
    return switch (op) {
      case EQ -> value.equals(s);
      case NE -> !value.equals(s);
      case RE -> pattern.matches(s);
      case NRE -> !pattern.matches(s);
    };
  }

  /** Follows a dot path through maps (and lists, by index); null when any part is absent. */
  private static Object lookup(Map<String, Object> event, String path) {
    Object cur = event;
    for (String part : path.split("\\.")) {
      if (cur instanceof Map<?, ?> m) {
        cur = m.get(part);
      } else if (cur instanceof List<?> l && part.chars().allMatch(Character::isDigit) && part.length() < 10) {
        int i = Integer.parseInt(part);
        cur = i < l.size() ? l.get(i) : null;
      } else {
        return null;
      }
      if (cur == null) {
        return null;
      }
    }
    return cur;
  }

  /** A value as text: strings as they are, numbers and booleans as written, objects and lists as JSON. */
  private static String text(Object v) {
    if (v == null) {
      return "";
    }
    if (v instanceof String s) {
      return s;
    }
    if (v instanceof Map || v instanceof List) {
      try {
        return JSON.writeValueAsString(v);
      } catch (JsonProcessingException e) {
        return String.valueOf(v);
      }
    }
    return String.valueOf(v);
  }

  public JsonObject toJson() {
    return new JsonObject().put("name", name).put("op", op.symbol()).put("value", value);
  }
}
