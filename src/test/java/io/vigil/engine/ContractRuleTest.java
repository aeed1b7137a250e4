package io.vigil.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.vigil.alert.RaisedAlert;
import io.vigil.rules.Event;
import io.vigil.testing.Events;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The io.vigil.rules types are a public contract: rule files written outside this repository
 * against them (the example from the product's issue, verbatim) must keep compiling and
 * behaving as documented: {@code Event.field(path)} compares as a number, and an {@link
 * io.vigil.rules.Alert} fact carries the session clock at its raise.
 */
class ContractRuleTest {
  private static final Instant T0 = Instant.parse("2026-03-02T10:00:00Z");
  private static final Set<String> CHANNELS = Set.of("secops-webhook", "audit-log");

  /** Verbatim from the product's issue; do not reformat or "improve" it. */
  private static final String ISSUE_RULE =
      """
      package rules.auth;
      import io.vigil.rules.Event;
      import io.vigil.rules.Alert;
      global io.vigil.rules.Alerts alerts;

      rule "Brute force login"
          @severity("high") @channels("secops-webhook, audit-log")
      when
          $e : Event(type == "auth.login_failed", $ip : ip)
          not Alert(rule == "Brute force login", key == $ip) over window:time(10m)
          Number(intValue >= 5) from accumulate(
              Event(type == "auth.login_failed", ip == $ip) over window:time(1m), count(1))
      then
          alerts.raise(kcontext, $ip).summary("Brute force from " + $ip).evidence($e);
      end
      """;

  @Test
  @DisplayName("the issue's brute-force rule compiles and pages once for five failures from one IP within a minute")
  void issueRulePagesOnce() {
    try (RuleTester tester = RuleTester.of(Map.of("brute.drl", ISSUE_RULE), CHANNELS)) {
      List<RaisedAlert> raised = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        List<RaisedAlert> out = tester.process(Events.loginFailed("alice", "203.0.113.7").at(T0.plusSeconds(10L * i)));
        if (i < 4) {
          assertEquals(List.of(), out, "nothing before the fifth failure");
        }
        raised.addAll(out);
      }

      assertEquals(1, raised.size(), "raised: " + raised);
      RaisedAlert page = raised.get(0);
      assertEquals("Brute force login", page.rule());
      assertEquals("203.0.113.7", page.key());
      assertEquals("high", page.severity());
      assertEquals("Brute force from 203.0.113.7", page.summary());
      assertEquals(List.of("secops-webhook", "audit-log"), page.channels());
      assertEquals(1, page.evidence().size());
      assertFalse(page.withinCooldown());
    }
  }

  @Test
  @DisplayName("the issue's brute-force rule does not page again for that IP within ten minutes")
  void issueRuleStaysQuietForTenMinutes() {
    try (RuleTester tester = RuleTester.of(Map.of("brute.drl", ISSUE_RULE), CHANNELS)) {
      for (int i = 0; i < 5; i++) {
        tester.process(Events.loginFailed("alice", "203.0.113.7").at(T0.plusSeconds(i)));
      }
      Instant alertAt = T0.plusSeconds(4);
      // Keep failing every 20 seconds until one second before the ten minutes are up.
      for (Instant t = alertAt.plusSeconds(1); t.isBefore(alertAt.plus(Duration.ofMinutes(10))); t = t.plusSeconds(20)) {
        tester.process(Events.loginFailed("alice", "203.0.113.7").at(t));
      }
      tester.process(Events.loginFailed("alice", "203.0.113.7").at(alertAt.plus(Duration.ofSeconds(599))));

      assertEquals(1, tester.raised().size(), "raised: " + tester.raised());
    }
  }

  @Test
  @DisplayName("Event.field(\"http.status\") compares as a number in DRL: == 500 and > 400 match a status of 500")
  void fieldComparesAsANumber() {
    String drl =
        """
        package rules.contract;
        import io.vigil.rules.Event;
        global io.vigil.rules.Alerts alerts;

        rule "Status equals 500"
        when
            $e : Event(field("http.status") == 500)
        then
            alerts.raise(kcontext, $e.getId());
        end

        rule "Status above 400"
        when
            $e : Event(field("http.status") > 400)
        then
            alerts.raise(kcontext, $e.getId());
        end
        """;
    try (RuleTester tester = RuleTester.of(Map.of("http.drl", drl), CHANNELS)) {
      Event error = Events.of("http.request").attr("http.status", 500).at(T0);
      Event notFound = Events.of("http.request").attr("http.status", 404).at(T0.plusSeconds(1));
      Event ok = Events.of("http.request").attr("http.status", 200).at(T0.plusSeconds(2));
      Event none = Events.of("http.request").attr("http.method", "GET").at(T0.plusSeconds(3));

      assertEquals(Set.of("Status equals 500", "Status above 400"), rules(tester.process(error)));
      assertEquals(Set.of("Status above 400"), rules(tester.process(notFound)));
      assertEquals(Set.of(), rules(tester.process(ok)));
      assertEquals(Set.of(), rules(tester.process(none)));
      assertEquals(500, error.field("http.status"));
    }
  }

  @Test
  @DisplayName("the Alert fact's time is the session clock at the raise, not the triggering event's time")
  void alertFactTimeIsTheSessionClock() {
    String drl =
        """
        package rules.contract;
        import io.vigil.rules.Event;
        import io.vigil.rules.Alert;
        global io.vigil.rules.Alerts alerts;

        rule "Raise on probe"
        when
            $e : Event(type == "probe")
        then
            alerts.raise(kcontext, "probe");
        end

        rule "Report alert time"
        when
            $a : Alert(rule == "Raise on probe")
        then
            alerts.raise(kcontext, String.valueOf($a.getTime()));
        end
        """;
    try (RuleTester tester = RuleTester.of(Map.of("probe.drl", drl), CHANNELS)) {
      tester.advanceTo(T0);
      long receivedAt = T0.plusSeconds(30).toEpochMilli();
      // A late event: it happened 20 seconds before it was received.
      Event late = new Event(1, Events.TENANT, "late-1", "probe", receivedAt - 20_000, receivedAt,
          null, null, null, null, null, Map.of());

      List<RaisedAlert> raised = tester.process(late);

      assertEquals(receivedAt, tester.now().toEpochMilli());
      assertEquals(2, raised.size(), "raised: " + raised);
      RaisedAlert probe = raised.get(0);
      RaisedAlert report = raised.get(1);
      assertEquals("Raise on probe", probe.rule());
      assertEquals(receivedAt, probe.time());
      assertEquals("Report alert time", report.rule());
      assertEquals(String.valueOf(receivedAt), report.key());
    }
  }

  private static Set<String> rules(List<RaisedAlert> raised) {
    Set<String> out = new HashSet<>();
    raised.forEach(r -> out.add(r.rule()));
    return out;
  }
}
