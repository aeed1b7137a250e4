package io.vigil.engine;

import io.vigil.rules.Alerts;
import io.vigil.rules.Conditions;
import io.vigil.rules.Event;
import io.vigil.rules.Thresholds;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.kie.api.KieServices;
import org.kie.api.runtime.KieContainer;
import org.kie.api.runtime.KieSession;
import org.kie.api.time.SessionPseudoClock;

/**
 * Some DRL compiles and still cannot run: {@code Event(time == "abc")} compares a long with
 * a string only when an event arrives. Before a rule set goes live it is fired once, in a
 * scratch session, against sample events (one with every field, one with only a type);
 * whatever throws is reported against its rule's file and line.
 */
final class RuleSmokeTest {
  private static final Pattern RULE_REF = Pattern.compile("[Rr]ule \"?([^\"\\]]+?)\"? in ([^\\]\\s]+)");
  private static final Pattern NEAR = Pattern.compile("\\[Near : \\{\\.\\.\\. (.+?) \\.\\.\\.\\.\\}\\]");
  private static final Pattern RULE_NAME = Pattern.compile("[Rr]ule(?: name)?[ =:]+\"?'?([^\"'\\]]+)");

  private RuleSmokeTest() {}

  static List<RuleError> run(RuleSet set, Map<String, String> texts, long nowMillis) {
    List<RuleError> errors = new ArrayList<>();
    KieContainer container = KieServices.Factory.get().newKieContainer(set.releaseId());
    KieSession session = container.newKieSession();
    try {
      SessionPseudoClock clock = session.getSessionClock();
      clock.advanceTime(nowMillis, java.util.concurrent.TimeUnit.MILLISECONDS);
      session.setGlobal("alerts", new Alerts("validation", raise -> {}));
      session.setGlobal("thresholds", new Thresholds(clock::getCurrentTime));
      session.setGlobal("conditions", Conditions.INSTANCE);
      for (Event sample : samples(nowMillis)) {
        try {
          session.insert(sample);
          session.fireAllRules();
        } catch (RuntimeException e) {
          errors.add(locate(e, set, texts));
          break;
        }
      }
    } finally {
      session.dispose();
      container.dispose();
    }
    return errors;
  }

  private static List<Event> samples(long now) {
    Map<String, Object> attributes = Map.of(
        "http", Map.of("status", 500, "method", "POST", "path", "/login"),
        "count", 3, "ratio", 0.5, "enabled", true, "tags", List.of("a", "b"), "note", "sample");
    return List.of(
        new Event(1, "validation", "sample-1", "vigil.validation", now, now, "vigil", "high", "alice",
            "192.0.2.1", "host-1", attributes),
        new Event(2, "validation", "sample-2", "vigil.validation", now, now, null, null, null, null, null, Map.of()));
  }

  /**
   * Finds the rule an evaluation error belongs to: by the rule name when the message has
   * one, else by the constraint text MVEL quotes ({@code [Near : {... time == "abc" ....}]}),
   * located in the sources.
   */
  private static RuleError locate(Throwable e, RuleSet set, Map<String, String> texts) {
    StringBuilder message = new StringBuilder();
    for (Throwable t = e; t != null && message.length() < 600; t = t.getCause()) {
      if (t.getMessage() != null) {
        message.append(message.length() == 0 ? "" : ": ").append(t.getMessage().replaceAll("\\s+", " ").trim());
      }
    }
    String text = message.toString();
    String rule = null;
    Matcher ref = RULE_REF.matcher(text);
    if (ref.find()) {
      rule = ref.group(1).trim();
    } else {
      Matcher name = RULE_NAME.matcher(text);
      if (name.find()) {
        rule = name.group(1).trim();
      }
    }
    RuleInfo info = rule == null ? null : set.rule(rule);
    String clean = "fails when an event arrives: " + (text.length() > 500 ? text.substring(0, 500) + "..." : text);
    if (info == null) {
      Matcher near = NEAR.matcher(text);
      if (near.find()) {
        String expression = near.group(1).trim();
        for (Map.Entry<String, String> f : texts.entrySet()) {
          int at = f.getValue().indexOf(expression);
          if (at >= 0) {
            int[] lc = DrlText.lineColumn(f.getValue(), at);
            return new RuleError(f.getKey(), lc[0], lc[1], clean);
          }
        }
      }
      return new RuleError("(rule set)", 0, 0, clean);
    }
    int[] at = DrlText.position(texts.getOrDefault(info.file(), ""), info.name(), "rule");
    return new RuleError(info.file(), at[0], at[1], clean);
  }
}
