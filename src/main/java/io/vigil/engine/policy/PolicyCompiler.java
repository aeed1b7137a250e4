package io.vigil.engine.policy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vigil.config.ConfigLoader;
import io.vigil.config.Durations;
import io.vigil.engine.policy.Policy.Condition;
import io.vigil.engine.policy.Policy.Group;
import io.vigil.engine.policy.Policy.Join;
import io.vigil.engine.policy.Policy.Leaf;
import io.vigil.engine.policy.Policy.Schedule;
import io.vigil.engine.policy.Policy.Threshold;
import io.vigil.engine.policy.Policy.Throttle;
import java.time.DayOfWeek;
import java.time.format.DateTimeFormatter;
import java.time.format.TextStyle;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Renders a {@link Policy} as the DRL of one rule file. The rule's shape is fixed here;
 * everything that came from the policy body (names, field paths, operators, values,
 * durations, days, zones) enters the DRL only through {@link #literal}, as an escaped
 * string literal, and values only as their JSON text, which the {@code conditions} global
 * parses at run time. So no policy can add code, end the rule or start another one.
 *
 * <p>A policy matches events of its own tenant only ({@code tenant == "..."} leads the
 * pattern), because all tenants' policies share one rule base.
 */
public final class PolicyCompiler {
  /** Policy ids: {@code pol_} and letters, digits, '_' or '-'. */
  public static final Pattern POLICY_ID = Pattern.compile("pol_[A-Za-z0-9_-]+");

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final DateTimeFormatter HH_MM = DateTimeFormatter.ofPattern("HH:mm");
  /** Where the condition constraints start: under the first constraint of {@code $e : Event(}. */
  private static final int CONSTRAINT_INDENT = 15;

  private PolicyCompiler() {}

  /** The rule file of a policy, relative to the rules root. */
  public static String fileName(String tenant, String id) {
    requireIds(tenant, id);
    return "policies/" + tenant + "/" + id + ".drl";
  }

  /** The DRL rule name of a policy (unique across tenants); alerts carry {@code "policy:" + name}. */
  public static String ruleName(String tenant, String id) {
    requireIds(tenant, id);
    return "policy:" + tenant + ":" + id;
  }

  /** The DRL file text for the policy; empty for a disabled policy (it has no rule). */
  public static String compile(Policy p) {
    String rule = ruleName(p.tenant(), p.id());
    if (!p.enabled()) {
      return "";
    }
    String key = p.threshold().map(Threshold::groupBy).orElse("");
    StringBuilder b = new StringBuilder(512);
    b.append("package vigil.policies;\n\n")
        .append("import io.vigil.rules.Event;\n")
        .append("global io.vigil.rules.Alerts alerts;\n")
        .append("global io.vigil.rules.Thresholds thresholds;\n")
        .append("global io.vigil.rules.Conditions conditions;\n\n");
    b.append("rule ").append(literal(rule)).append('\n');
    b.append("    @alert_rule(").append(literal("policy:" + p.name())).append(')')
        .append(" @policy_id(").append(literal(p.id())).append(')')
        .append(" @tenant(").append(literal(p.tenant())).append(")\n");
    b.append("    @severity(").append(literal(p.severity().label())).append(')');
    if (!p.channels().isEmpty()) {
      b.append(" @channels(").append(literal(String.join(", ", p.channels()))).append(')');
    }
    b.append(" @tags(").append(literal("policy")).append(')');
    int cooldownMinutes = p.throttle().map(Throttle::minutes).orElse(0);
    if (cooldownMinutes > 0) {
      b.append(" @cooldown(").append(literal(cooldownMinutes + "m")).append(')');
    }
    int maxPerHour = p.throttle().map(Throttle::maxPerHour).orElse(0);
    if (maxPerHour > 0) {
      b.append(" @max_alerts_per_hour(").append(literal(Integer.toString(maxPerHour))).append(')');
    }
    b.append('\n');

    String indent = " ".repeat(CONSTRAINT_INDENT);
    b.append("when\n");
    b.append("    $e : Event(tenant == ").append(literal(p.tenant())).append(",\n");
    b.append(indent);
    condition(b, p.conditions(), CONSTRAINT_INDENT, p.caseSensitive());
    if (p.active().isPresent()) {
      Schedule s = p.active().get();
      String days = s.days().stream().map(PolicyCompiler::dayName).collect(Collectors.joining(","));
      b.append(",\n").append(indent).append("conditions.inSchedule(this, ").append(literal(days)).append(", ")
          .append(literal(HH_MM.format(s.from()))).append(", ").append(literal(HH_MM.format(s.to()))).append(", ")
          .append(literal(s.zone().getId())).append(')');
    }
    if (p.threshold().isPresent()) {
      Threshold t = p.threshold().get();
      b.append(",\n").append(indent).append("thresholds.hit(").append(literal(rule))
          .append(", conditions.keyOf(this, ").append(literal(key)).append("), this, ").append(t.count())
          .append(", ").append(literal(Durations.format(t.within()))).append(", ")
          .append(literal(cooldownMinutes > 0 ? cooldownMinutes + "m" : "0s")).append(')');
    }
    b.append(")\n");
    b.append("then\n");
    b.append("    alerts.raise(kcontext, conditions.keyOf($e, ").append(literal(key)).append("))")
        .append(".summary(").append(literal("Policy " + p.name() + ": ")).append(" + $e.getType())")
        .append(".evidence($e);\n");
    b.append("end\n");
    return b.toString();
  }

  /**
   * {@code text} as a DRL (and Java, and MVEL) string literal, quotes included: backslash,
   * double quote, {@code \n}, {@code \r} and {@code \t} are escaped with a backslash, and
   * every other character below U+0020, U+2028 and U+2029 as {@code \}{@code uXXXX}.
   * Everything else is written as itself. Throws {@link IllegalArgumentException} for an
   * unpaired surrogate, which a DRL file (UTF-8) cannot hold; policy values never contain
   * one, see {@link #valueJson}.
   */
  public static String literal(String text) {
    StringBuilder b = new StringBuilder(text.length() + 8).append('"');
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '\\' -> b.append("\\\\");
        case '"' -> b.append("\\\"");
        case '\n' -> b.append("\\n");
        case '\r' -> b.append("\\r");
        case '\t' -> b.append("\\t");
        default -> {
          if (c < 0x20 || c == '\u2028' || c == '\u2029') {
            b.append(String.format(Locale.ROOT, "\\u%04X", (int) c));
          } else if (Character.isHighSurrogate(c) && i + 1 < text.length()
              && Character.isLowSurrogate(text.charAt(i + 1))) {
            b.append(c).append(text.charAt(++i));
          } else if (Character.isSurrogate(c)) {
            throw new IllegalArgumentException("unpaired surrogate U+" + Integer.toHexString(c).toUpperCase(Locale.ROOT)
                + " at index " + i + " cannot be written to a DRL file");
          } else {
            b.append(c);
          }
        }
      }
    }
    return b.append('"').toString();
  }

  /**
   * A leaf value as compact JSON text, the form {@code conditions.check} parses. An
   * unpaired surrogate inside a string (possible through a JSON {@code \}{@code ud800}
   * escape) is written back as a JSON escape, so the text survives a UTF-8 file exactly.
   */
  public static String valueJson(JsonNode value) {
    String text;
    try {
      text = JSON.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("policy value cannot be written as JSON", e);
    }
    StringBuilder b = null;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      boolean paired = Character.isHighSurrogate(c) && i + 1 < text.length()
          && Character.isLowSurrogate(text.charAt(i + 1));
      if (paired) {
        if (b != null) {
          b.append(c).append(text.charAt(i + 1));
        }
        i++;
      } else if (Character.isSurrogate(c)) {
        if (b == null) {
          b = new StringBuilder(text.length() + 8).append(text, 0, i);
        }
        b.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
      } else if (b != null) {
        b.append(c);
      }
    }
    return b == null ? text : b.toString();
  }

  /** Throws {@link IllegalArgumentException} unless the tenant and the policy id are valid. */
  static void requireIds(String tenant, String id) {
    if (tenant == null || !ConfigLoader.NAME.matcher(tenant).matches()) {
      throw new IllegalArgumentException("not a tenant name: " + tenant);
    }
    if (id == null || !POLICY_ID.matcher(id).matches()) {
      throw new IllegalArgumentException("not a policy id (pol_ and letters, digits, '_' or '-'): " + id);
    }
  }

  /**
   * Writes a condition that starts at column {@code column}: a leaf as one call, a group
   * in parentheses with each further child on its own line under the first, after its
   * {@code &&} or {@code ||}.
   */
  private static void condition(StringBuilder b, Condition c, int column, boolean caseSensitive) {
    if (c instanceof Leaf leaf) {
      b.append("conditions.check(this, ").append(literal(leaf.field())).append(", ")
          .append(literal(leaf.op().json())).append(", ").append(literal(valueJson(leaf.value()))).append(", ")
          .append(caseSensitive).append(')');
      return;
    }
    Group group = (Group) c;
    String join = group.join() == Join.ALL ? "&&" : "||";
    List<Condition> children = group.children();
    b.append('(');
    condition(b, children.get(0), column + 1, caseSensitive);
    for (Condition child : children.subList(1, children.size())) {
      b.append('\n').append(" ".repeat(column + 1)).append(join).append(' ');
      condition(b, child, column + 1 + join.length() + 1, caseSensitive);
    }
    b.append(')');
  }

  private static String dayName(DayOfWeek d) {
    return d.getDisplayName(TextStyle.SHORT, Locale.ENGLISH).toLowerCase(Locale.ROOT);
  }
}
