package io.vigil.rules;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * One raise from a rule's consequence, returned by {@link Alerts#raise} so the consequence
 * can add detail: {@code alerts.raise(kcontext, $ip).summary("Brute force from " +
 * $ip).evidence($e);}. The engine reads it after the rules have fired. A clear, made by
 * {@link Alerts#resolve}, names the rule and key of the alert to resolve and the rule that
 * resolved it.
 */
public final class AlertRaise {
  private final String tenant;
  private final String ruleId;
  private final String rule;
  private final String key;
  private final long time;
  private final Event trigger;
  private final long[] matchedSeqs;
  private String severity;
  private String summary;
  private final List<Event> evidence = new ArrayList<>();
  private final Set<String> tags = new LinkedHashSet<>();
  private String resolvedBy;

  AlertRaise(
      String tenant, String ruleId, String rule, String key, String severity, long time, Event trigger,
      long[] matchedSeqs) {
    this.matchedSeqs = matchedSeqs;
    this.tenant = tenant;
    this.ruleId = ruleId;
    this.rule = rule;
    this.key = key;
    this.severity = severity;
    this.time = time;
    this.trigger = trigger;
  }

  /** A one-line human summary; defaults to the rule name and key. */
  public AlertRaise summary(String text) {
    this.summary = text;
    return this;
  }

  /** Overrides the rule's {@code @severity} for this alert (info ... emergency). */
  public AlertRaise severity(String level) {
    this.severity =
        Severity.parse(level)
            .orElseThrow(() -> new IllegalArgumentException(
                "unknown severity '" + level + "'; use one of " + Severity.labels()))
            .label();
    return this;
  }

  /** Attaches events (or collections of events, e.g. from {@code collectList}) as evidence. */
  public AlertRaise evidence(Object... events) {
    for (Object o : events) {
      if (o instanceof Event e) {
        evidence.add(e);
      } else if (o instanceof Collection<?> c) {
        for (Object item : c) {
          if (item instanceof Event e) {
            evidence.add(e);
          }
        }
      }
    }
    return this;
  }

  /** Adds tags beyond the rule's {@code @tags}. */
  public AlertRaise tag(String... names) {
    Collections.addAll(tags, names);
    return this;
  }

  public String getTenant() {
    return tenant;
  }

  /** The rule name alerts carry: the DRL rule's name, or {@code @alert_rule} when set (policies). */
  public String getRule() {
    return rule;
  }

  /** The DRL rule's own name. */
  public String getRuleId() {
    return ruleId;
  }

  public String getKey() {
    return key;
  }

  public String getSeverity() {
    return severity;
  }

  /** Session clock at the raise, epoch milliseconds. */
  public long getTime() {
    return time;
  }

  public String getSummary() {
    return summary != null ? summary : key.isEmpty() ? rule : rule + " (" + key + ")";
  }

  /** Evidence events; the triggering event when the rule attached none and one is known. */
  public List<Event> getEvidence() {
    if (evidence.isEmpty() && trigger != null) {
      return List.of(trigger);
    }
    return Collections.unmodifiableList(evidence);
  }

  /** Journal positions of the events in the rule's match, sorted. */
  public long[] getMatchedSeqs() {
    return matchedSeqs.clone();
  }

  public Set<String> getTags() {
    return Collections.unmodifiableSet(tags);
  }

  /** Marks this as a clear: the open alert of {@link #getRule()} and {@link #getKey()} is resolved. */
  AlertRaise resolvedBy(String clearingRule) {
    this.resolvedBy = clearingRule;
    return this;
  }

  /** For a clear, the rule that made it; null for a raise. */
  public String getResolvedBy() {
    return resolvedBy;
  }

  public boolean isClear() {
    return resolvedBy != null;
  }
}
