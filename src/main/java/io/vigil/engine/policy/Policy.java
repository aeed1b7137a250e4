package io.vigil.engine.policy;

import com.fasterxml.jackson.databind.JsonNode;
import io.vigil.rules.Severity;
import java.time.DayOfWeek;
import java.time.Duration;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.Collections;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * A tenant's JSON policy, parsed and validated by {@link PolicyParser}: conditions on one
 * event (a tree of {@code all}/{@code any} groups over field/operator/value leaves), plus
 * optional throttling, a count threshold and an active schedule. {@link PolicyCompiler}
 * turns it into one DRL rule.
 *
 * <p>Every string here that reaches DRL is written there only as an escaped string literal,
 * so the model does not need to be "safe" text; the parser still keeps names to a plain
 * alphabet so they read well in alert lists and rule metadata.
 *
 * @param description empty when the body has none
 * @param channels the channels to page; empty means the tenant's default channels
 * @param throttle empty when the policy pages on every match
 * @param threshold empty when one matching event is enough
 * @param active empty when the policy is always active
 */
public record Policy(
    String id,
    String tenant,
    String name,
    Optional<String> description,
    Severity severity,
    List<String> channels,
    boolean enabled,
    boolean caseSensitive,
    Condition conditions,
    Optional<Throttle> throttle,
    Optional<Threshold> threshold,
    Optional<Schedule> active) {

  public Policy {
    channels = List.copyOf(channels);
  }

  /** A node of the condition tree: a {@link Group} or a {@link Leaf}. */
  public sealed interface Condition permits Group, Leaf {}

  /** How a group joins its children: {@code all} (AND) or {@code any} (OR). */
  public enum Join {
    ALL,
    ANY;

    /** The JSON key: {@code all} or {@code any}. */
    public String key() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** {@code {"all": [...]}} or {@code {"any": [...]}}: a non-empty list of conditions. */
  public record Group(Join join, List<Condition> children) implements Condition {
    public Group {
      children = List.copyOf(children);
    }
  }

  /**
   * {@code {"field": ..., "op": ..., "value": ...}}. {@code field} is a whitelisted path
   * (a typed field of {@link io.vigil.rules.Event} or {@code attributes.<dot path>}); {@code
   * value} is the JSON value as written, {@code true} when an {@code exists} leaf has none.
   */
  public record Leaf(String field, Operator op, JsonNode value) implements Condition {
    public Leaf {
      value = value.deepCopy();
    }

    @Override
    public JsonNode value() {
      return value.deepCopy();
    }
  }

  /** The operators of a leaf, with the names the JSON and {@link io.vigil.rules.Conditions} use. */
  public enum Operator {
    EQ,
    NE,
    GT,
    LT,
    GTE,
    LTE,
    IN,
    NOT_IN,
    CONTAINS,
    REGEX,
    EXISTS;

    /** The name in JSON: {@code eq}, {@code not_in}, ... */
    public String json() {
      return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<Operator> parse(String text) {
      for (Operator op : values()) {
        if (op.json().equals(text)) {
          return Optional.of(op);
        }
      }
      return Optional.empty();
    }
  }

  /**
   * Throttling: {@code minutes} is a cooldown per alert key (repeats inside it count as
   * occurrences, not new pages) and {@code maxPerHour} caps the pages per hour; 0 means
   * not set. At least one of them is set.
   */
  public record Throttle(int minutes, int maxPerHour) {}

  /**
   * Fire on the {@code count}th matching event within {@code within}, counted per value of
   * {@code groupBy} (a whitelisted field path; empty for the default key: ip, else user,
   * else host).
   */
  public record Threshold(int count, Duration within, String groupBy) {}

  /**
   * When the policy may fire: on {@code days}, from {@code from} (inclusive) to {@code to}
   * (exclusive) in {@code zone}; a window with {@code from} after {@code to} runs over
   * midnight.
   */
  public record Schedule(Set<DayOfWeek> days, LocalTime from, LocalTime to, ZoneId zone) {
    public Schedule {
      EnumSet<DayOfWeek> ordered = EnumSet.noneOf(DayOfWeek.class);
      ordered.addAll(days);
      days = Collections.unmodifiableSet(ordered); // iterates Monday to Sunday
    }
  }
}
