package io.vigil.rules;

import java.util.Locale;
import java.util.Map;
import java.util.function.Consumer;
import org.kie.api.runtime.rule.Match;
import org.kie.api.runtime.rule.RuleContext;

/**
 * The {@code alerts} global every rule file declares ({@code global io.vigil.rules.Alerts
 * alerts;}). {@code alerts.raise(kcontext, key)} raises an alert for the firing rule, with
 * the rule's metadata ({@code @severity}, {@code @channels}, {@code @template}, {@code
 * @tags}, {@code @cooldown}) as its policy, and inserts an {@link Alert} event into the
 * session so later patterns can see it.
 *
 * <p>One instance per tenant session; the engine constructs it.
 */
public final class Alerts {
  private final String tenant;
  private final Consumer<AlertRaise> sink;

  public Alerts(String tenant, Consumer<AlertRaise> sink) {
    this.tenant = tenant;
    this.sink = sink;
  }

  /**
   * Raises an alert for the rule that is firing. {@code key} groups alerts of one rule
   * (an IP, a user, a host): the alert fingerprint is tenant + rule + key.
   */
  public AlertRaise raise(RuleContext kcontext, Object key) {
    String ruleId = kcontext.getRule().getName();
    Map<String, Object> meta = kcontext.getRule().getMetaData();
    String rule = displayName(kcontext);
    String k = key == null ? "" : String.valueOf(key);
    String severity = severityOf(meta);
    long now = kcontext.getKieRuntime().getSessionClock().getCurrentTime();
    AlertRaise raise = new AlertRaise(tenant, ruleId, rule, k, severity, now, triggerOf(kcontext),
        matchedSeqs(kcontext));
    kcontext.getKieRuntime().insert(new Alert(tenant, rule, k, severity, now));
    sink.accept(raise);
    return raise;
  }

  /**
   * Resolves the open alert of {@code rule} (the name alerts carry) and {@code key} in this
   * tenant, as a "clear" event would: {@code alerts.resolve(kcontext, "Host down", $host);}.
   * Channels that asked for resolved notices get one. Nothing happens when no such alert is
   * open. A raise of that rule and key afterwards opens a new alert, even inside its cooldown.
   */
  public void resolve(RuleContext kcontext, String rule, Object key) {
    String by = displayName(kcontext);
    String k = key == null ? "" : String.valueOf(key);
    long now = kcontext.getKieRuntime().getSessionClock().getCurrentTime();
    sink.accept(new AlertRaise(tenant, kcontext.getRule().getName(), rule, k, "info", now, triggerOf(kcontext),
        matchedSeqs(kcontext)).resolvedBy(by));
  }

  private static String displayName(RuleContext kcontext) {
    Object display = kcontext.getRule().getMetaData().get("alert_rule");
    return display == null ? kcontext.getRule().getName() : display.toString();
  }

  /** Raises an alert with an empty key: one alert per rule while it is open. */
  public AlertRaise raise(RuleContext kcontext) {
    return raise(kcontext, "");
  }

  private static String severityOf(Map<String, Object> meta) {
    Object s = meta.get("severity");
    return s == null ? "medium" : s.toString().trim().toLowerCase(Locale.ROOT);
  }

  /**
   * The journal positions of every event in the match (directly or inside collections, as
   * collectList gives), sorted: with the rule, what identifies this raise when Drools
   * re-evaluates the same match after a reload.
   */
  private static long[] matchedSeqs(RuleContext kcontext) {
    Match match = kcontext.getMatch();
    if (match == null) {
      return new long[0];
    }
    java.util.TreeSet<Long> seqs = new java.util.TreeSet<>();
    for (Object o : match.getObjects()) {
      if (o instanceof Event e) {
        seqs.add(e.getSeq());
      } else if (o instanceof java.util.Collection<?> c) {
        for (Object item : c) {
          if (item instanceof Event e) {
            seqs.add(e.getSeq());
          }
        }
      }
    }
    return seqs.stream().mapToLong(Long::longValue).toArray();
  }

  /** The first Event matched by the firing rule, kept as default evidence. */
  private static Event triggerOf(RuleContext kcontext) {
    Match match = kcontext.getMatch();
    if (match == null) {
      return null;
    }
    for (Object o : match.getObjects()) {
      if (o instanceof Event e) {
        return e;
      }
    }
    return null;
  }
}
