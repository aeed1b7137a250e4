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
    Object display = meta.get("alert_rule");
    String rule = display == null ? ruleId : display.toString();
    String k = key == null ? "" : String.valueOf(key);
    String severity = severityOf(meta);
    long now = kcontext.getKieRuntime().getSessionClock().getCurrentTime();
    AlertRaise raise = new AlertRaise(tenant, ruleId, rule, k, severity, now, triggerOf(kcontext),
        matchedSeqs(kcontext));
    kcontext.getKieRuntime().insert(new Alert(tenant, rule, k, severity, now));
    sink.accept(raise);
    return raise;
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
