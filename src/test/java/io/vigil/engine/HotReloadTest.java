package io.vigil.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vigil.alert.RaisedAlert;
import io.vigil.testing.Events;
import io.vigil.testing.SampleRules;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/**
 * A live reload keeps the session's state: a window that straddles the reload fires exactly
 * once, a cooldown running at the reload holds, and a reload that does not compile changes
 * nothing. Driven on the pseudo clock, through the same in-place container update the
 * engine uses.
 */
class HotReloadTest {
  static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");
  static final Set<String> CHANNELS = SampleRules.CHANNELS;

  /** The same brute-force check in the three forms the README discusses. */
  static final Map<String, String> FORMS = Map.of(
      "groupby", """
          package r;
          import io.vigil.rules.Event;
          import io.vigil.rules.Alert;
          global io.vigil.rules.Alerts alerts;
          rule "Brute" @cooldown("10m")
          when
              groupby( $f : Event(type == "auth.login_failed", ip != null) over window:time(1m);
                       $ip : $f.getIp(); $n : count(); $n >= %N% )
              not Alert(rule == "Brute", key == $ip) over window:time(10m)
          then
              alerts.raise(kcontext, $ip);
          end
          """,
      "threshold", """
          package r;
          import io.vigil.rules.Event;
          global io.vigil.rules.Thresholds thresholds;
          global io.vigil.rules.Alerts alerts;
          rule "Brute"
          when
              $e : Event(type == "auth.login_failed", ip != null, thresholds.hit("Brute", ip, this, %N%, "1m", "10m"))
          then
              alerts.raise(kcontext, $e.getIp());
          end
          """,
      "accumulate", """
          package r;
          import io.vigil.rules.Event;
          import io.vigil.rules.Alert;
          global io.vigil.rules.Alerts alerts;
          rule "Brute"
          when
              $e : Event(type == "auth.login_failed", $ip : ip)
              not Alert(rule == "Brute", key == $ip) over window:time(10m)
              Number(intValue >= %N%) from accumulate(
                  Event(type == "auth.login_failed", ip == $ip) over window:time(1m), count(1))
          then
              alerts.raise(kcontext, $ip);
          end
          """);

  static Map<String, String> files(String form, int n, String extra) {
    Map<String, String> f = new HashMap<>();
    f.put("brute.drl", FORMS.get(form).replace("%N%", Integer.toString(n)) + extra);
    return f;
  }

  static long pages(List<RaisedAlert> raised) {
    return raised.stream().filter(r -> r.rule().equals("Brute") && !r.withinCooldown()).count();
  }

  static List<RaisedAlert> fail(RuleTester t, int second) {
    return t.process(Events.loginFailed("alice", "203.0.113.7").at(T0.plusSeconds(second)));
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"groupby", "threshold", "accumulate"})
  @DisplayName("a window that straddles a reload of its rule fires exactly once")
  void window_straddling_a_reload_fires_once(String form) {
    try (RuleTester t = RuleTester.of(files(form, 5, ""), CHANNELS)) {
      for (int i = 0; i < 3; i++) {
        fail(t, i * 5);
      }
      t.swapTo(files(form, 5, "\n// edited\nrule \"Unrelated\" when Event(type == \"nothing\") then end\n"), CHANNELS);
      assertEquals(0, pages(t.raised()), "three failures: nothing yet");
      fail(t, 20);
      fail(t, 25);
      assertEquals(1, pages(t.raised()), "the fifth failure, after the reload, fires");
      t.swapTo(files(form, 5, "\n// edited again\n"), CHANNELS);
      fail(t, 30);
      assertEquals(1, pages(t.raised()), "and a second reload does not fire it again");
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"groupby", "threshold"})
  @DisplayName("a rule whose threshold changes keeps the counts it had")
  void changed_threshold_keeps_counts(String form) {
    try (RuleTester t = RuleTester.of(files(form, 5, ""), CHANNELS)) {
      for (int i = 0; i < 3; i++) {
        fail(t, i * 5);
      }
      List<RaisedAlert> atSwap = t.swapTo(files(form, 4, ""), CHANNELS);
      fail(t, 20);
      assertEquals(1, pages(t.raised()), "the fourth failure meets the new threshold of four; swap raised " + atSwap);
    }
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"groupby", "threshold", "accumulate"})
  @DisplayName("a cooldown running at the reload holds after it")
  void cooldown_survives_reload(String form) {
    try (RuleTester t = RuleTester.of(files(form, 5, ""), CHANNELS)) {
      for (int i = 0; i < 5; i++) {
        fail(t, i * 5);
      }
      assertEquals(1, pages(t.raised()));
      t.swapTo(files(form, 5, "\n// edited\n"), CHANNELS);
      for (int i = 0; i < 6; i++) {
        fail(t, 60 + i * 5);
      }
      assertEquals(1, pages(t.raised()), "still inside the 10-minute cooldown");
      t.advanceTo(T0.plusSeconds(11 * 60));
      for (int i = 0; i < 5; i++) {
        fail(t, 11 * 60 + i * 5);
      }
      assertEquals(2, pages(t.raised()), "after the cooldown a new burst fires");
    }
  }

  @Test
  @DisplayName("@cooldown kept by the engine survives a reload")
  void metadata_cooldown_survives_reload() throws Exception {
    try (RuleTester t = SampleRules.tester()) {
      t.process(Events.of("anomaly.x").user("u").at(T0));
      t.swapTo(RuleFiles.read(java.nio.file.Path.of("rules")), CHANNELS);
      List<RaisedAlert> again = t.process(Events.of("anomaly.x").user("u").at(T0.plusSeconds(60)));
      assertTrue(again.get(0).withinCooldown(), again.toString());
    }
  }

  @Test
  @DisplayName("a reload that does not compile changes nothing; the old rules keep firing")
  void failed_reload_keeps_old_rules() {
    try (RuleTester t = RuleTester.of(files("threshold", 5, ""), CHANNELS)) {
      for (int i = 0; i < 3; i++) {
        fail(t, i * 5);
      }
      RuleTester.RulesDoNotCompile e = assertThrows(RuleTester.RulesDoNotCompile.class,
          () -> t.swapTo(Map.of("brute.drl", "package r;\nrule \"Brute\" when\n  Nope()\nthen end\n"), CHANNELS));
      assertEquals("brute.drl", e.errors().get(0).file());
      assertEquals(3, e.errors().get(0).line());
      fail(t, 20);
      fail(t, 25);
      assertEquals(1, pages(t.raised()), "the old rule, with its counts, still fires");
    }
  }

  @Test
  @DisplayName("a rule added by a reload sees the events already in the session")
  void added_rule_sees_earlier_events() {
    String sequence = """
        package r2;
        import io.vigil.rules.Event;
        global io.vigil.rules.Alerts alerts;
        rule "Two distinct users from one IP"
        when
            $a : Event(type == "auth.login_failed", $ip : ip)
            $b : Event(type == "auth.login_failed", ip == $ip, user != $a.getUser(), this after[0s,1m] $a)
        then
            alerts.raise(kcontext, $ip);
        end
        """;
    try (RuleTester t = RuleTester.of(files("threshold", 50, ""), CHANNELS)) {
      t.process(Events.loginFailed("alice", "198.51.100.1").at(T0));
      t.process(Events.loginFailed("bob", "198.51.100.1").at(T0.plusSeconds(10)));
      Map<String, String> next = files("threshold", 50, "");
      next.put("seq.drl", sequence);
      List<RaisedAlert> atSwap = t.swapTo(next, CHANNELS);
      assertEquals(1, atSwap.stream().filter(r -> r.rule().equals("Two distinct users from one IP")).count(),
          "the new rule matched the two earlier events at the swap");
    }
  }
}
