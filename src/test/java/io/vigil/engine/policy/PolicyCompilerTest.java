package io.vigil.engine.policy;

import static io.vigil.engine.policy.TestPolicies.parse;
import static io.vigil.engine.policy.TestPolicies.tester;
import static io.vigil.engine.policy.TestPolicies.withConditions;
import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vigil.alert.RaisedAlert;
import io.vigil.engine.RuleTester;
import io.vigil.rules.Event;
import io.vigil.testing.Events;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A compiled policy, run in a real Drools session, raises an alert exactly for the events
 * of its own tenant that satisfy its conditions, schedule and threshold, pages as its
 * throttle says, and carries the policy's name, severity, channels and key.
 */
class PolicyCompilerTest {
  /** A Monday: 11:00 in Berlin. */
  private static final Instant MONDAY = Instant.parse("2026-03-02T10:00:00Z");

  private static final String EXAMPLE_BODY = """
      {"name": "prod 5xx from admins", "description": "optional", "severity": "high", "channels": ["secops-webhook"],
       "enabled": true, "case_sensitive": false,
       "conditions": {"all": [
           {"field": "attributes.http.status", "op": "gte", "value": 500},
           {"any": [{"field": "user", "op": "in", "value": ["root", "admin"]},
                    {"field": "host", "op": "regex", "value": "^prod-"}]}]},
       "throttle": {"minutes": 10, "max_per_hour": 20},
       "threshold": {"count": 5, "within": "1m", "group_by": "ip"},
       "active": {"days": ["mon","tue","wed","thu","fri"], "from": "08:00", "to": "18:00", "timezone": "Europe/Berlin"}}
      """;

  private static final String EXAMPLE_DRL = """
      package vigil.policies;

      import io.vigil.rules.Event;
      global io.vigil.rules.Alerts alerts;
      global io.vigil.rules.Thresholds thresholds;
      global io.vigil.rules.Conditions conditions;

      rule "policy:acme:pol_abc123"
          @alert_rule("policy:prod 5xx from admins") @policy_id("pol_abc123") @tenant("acme")
          @severity("high") @channels("secops-webhook") @tags("policy") @cooldown("10m") @max_alerts_per_hour("20")
      when
          $e : Event(tenant == "acme",
                     (conditions.check(this, "attributes.http.status", "gte", "500", false)
                      && (conditions.check(this, "user", "in", "[\\"root\\",\\"admin\\"]", false)
                          || conditions.check(this, "host", "regex", "\\"^prod-\\"", false))),
                     conditions.inSchedule(this, "mon,tue,wed,thu,fri", "08:00", "18:00", "Europe/Berlin"),
                     thresholds.hit("policy:acme:pol_abc123", conditions.keyOf(this, "ip"), this, 5, "1m", "10m"))
      then
          alerts.raise(kcontext, conditions.keyOf($e, "ip")).summary("Policy prod 5xx from admins: " + $e.getType()).evidence($e);
      end
      """;

  @Test
  @DisplayName("the documented example policy compiles to exactly the documented DRL")
  void exampleCompilesToTheDocumentedDrl() {
    Policy p = PolicyParser.parse(TestPolicies.json(EXAMPLE_BODY), "pol_abc123", "acme");

    assertEquals(EXAMPLE_DRL, PolicyCompiler.compile(p));
  }

  @Test
  @DisplayName("the documented example, compiled for the test tenant, fires on the fifth 5xx from one IP")
  void exampleFiresOnTheFifthMatchingEvent() {
    Policy p = PolicyParser.parse(TestPolicies.json(EXAMPLE_BODY), "pol_abc123", Events.TENANT);
    try (RuleTester t = tester(p)) {
      List<RaisedAlert> raised = new ArrayList<>();
      for (int i = 0; i < 5; i++) {
        raised.addAll(t.process(Events.of("http.request").user("ADMIN").ip("203.0.113.7").host("web-1")
            .attr("http.status", 502).at(MONDAY.plusSeconds(i))));
        if (i < 4) {
          assertEquals(List.of(), raised, "no alert before the fifth event");
        }
      }
      assertEquals(1, raised.size());
      assertEquals("policy:prod 5xx from admins", raised.get(0).rule());
      assertEquals("203.0.113.7", raised.get(0).key());
    }
  }

  @Test
  @DisplayName("file and rule names are built from the tenant and the policy id")
  void fileAndRuleNames() {
    assertEquals("policies/acme/pol_abc123.drl", PolicyCompiler.fileName("acme", "pol_abc123"));
    assertEquals("policy:acme:pol_abc123", PolicyCompiler.ruleName("acme", "pol_abc123"));
  }

  @ParameterizedTest(name = "tenant \"{0}\" is refused")
  @ValueSource(strings = {"", "Acme", "acme\"", "ac me", "../acme", "-acme"})
  @DisplayName("a tenant that is not a valid name is refused by every compiler entry point")
  void invalidTenantsAreRefused(String tenant) {
    Policy p = withConditions("t", "{\"field\": \"type\", \"op\": \"exists\"}", true);
    Policy other = new Policy(p.id(), tenant, p.name(), p.description(), p.severity(), p.channels(), true,
        p.caseSensitive(), p.conditions(), p.throttle(), p.threshold(), p.active());
    assertThrows(IllegalArgumentException.class, () -> PolicyCompiler.compile(other));
    assertThrows(IllegalArgumentException.class, () -> PolicyCompiler.fileName(tenant, "pol_1"));
    assertThrows(IllegalArgumentException.class, () -> PolicyCompiler.ruleName(tenant, "pol_1"));
  }

  @ParameterizedTest(name = "policy id \"{0}\" is refused")
  @ValueSource(strings = {"", "pol_", "abc", "pol_a b", "pol_a\"", "pol_a.b", "pol_a/../b", "POL_a"})
  @DisplayName("a policy id other than pol_ and letters, digits, _ or - is refused")
  void invalidIdsAreRefused(String id) {
    Policy p = withConditions("t", "{\"field\": \"type\", \"op\": \"exists\"}", true);
    Policy other = new Policy(id, p.tenant(), p.name(), p.description(), p.severity(), p.channels(), true,
        p.caseSensitive(), p.conditions(), p.throttle(), p.threshold(), p.active());
    assertThrows(IllegalArgumentException.class, () -> PolicyCompiler.compile(other));
    assertThrows(IllegalArgumentException.class, () -> PolicyCompiler.fileName("acme", id));
  }

  @Test
  @DisplayName("a disabled policy compiles to nothing, while the same policy enabled matches")
  void disabledPolicyCompilesToNothing() {
    String body = "{\"name\": \"logins\", \"enabled\": %s, \"conditions\": {\"field\": \"type\", \"op\": \"eq\","
        + " \"value\": \"auth.login_failed\"}}";
    Policy off = parse(body.formatted("false"));
    Policy on = parse(body.formatted("true"));

    assertEquals("", PolicyCompiler.compile(off));
    try (RuleTester t = tester(off, on)) {
      List<RaisedAlert> raised = t.process(Events.loginFailed("alice", "198.51.100.1").at(MONDAY));
      assertEquals(List.of("policy:logins"), raised.stream().map(RaisedAlert::rule).toList());
      assertEquals(1, t.ruleSet().rules().size());
    }
  }

  @Test
  @DisplayName("an alert carries rule policy:<name>, the severity, channels, policy tag, summary and evidence")
  void alertCarriesThePolicy() {
    Policy p = parse("""
        {"name": "Admin logins (prod) #2", "severity": "critical", "channels": ["secops-webhook", "audit-log"],
         "conditions": {"field": "type", "op": "eq", "value": "auth.login_succeeded"}}""");
    try (RuleTester t = tester(p)) {
      Event e = Events.loginSucceeded("root", "203.0.113.9").at(MONDAY);
      List<RaisedAlert> raised = t.process(e);

      assertEquals(1, raised.size());
      RaisedAlert a = raised.get(0);
      assertEquals("policy:Admin logins (prod) #2", a.rule());
      assertEquals("critical", a.severity());
      assertEquals(List.of("secops-webhook", "audit-log"), a.channels());
      assertEquals(List.of("policy"), a.tags());
      assertEquals("Policy Admin logins (prod) #2: auth.login_succeeded", a.summary());
      assertEquals(List.of(e), a.evidence());
      assertEquals(Events.TENANT, a.tenant());
      assertEquals(Duration.ZERO, a.cooldown());
      assertFalse(a.withinCooldown());
      assertFalse(a.rateLimited());
    }
  }

  @Test
  @DisplayName("a policy without channels and severity raises medium alerts with no channels of its own")
  void defaultsReachTheAlert() {
    Policy p = parse("{\"name\": \"any login\", \"conditions\": {\"field\": \"type\", \"op\": \"regex\","
        + " \"value\": \"^auth\\\\.\"}}");
    try (RuleTester t = tester(p)) {
      List<RaisedAlert> raised = t.process(Events.loginFailed("bob", "198.51.100.2").at(MONDAY));

      assertEquals(1, raised.size());
      assertEquals("medium", raised.get(0).severity());
      assertEquals(List.of(), raised.get(0).channels());
    }
  }

  @Test
  @DisplayName("without group_by the alert key is the ip, else the user, else the host, else empty")
  void keyFallsBackFromIpToUserToHost() {
    Policy p = withConditions("keys", "{\"field\": \"type\", \"op\": \"eq\", \"value\": \"k\"}", true);
    try (RuleTester t = tester(p)) {
      assertEquals(List.of("203.0.113.1"), keys(t.process(
          Events.of("k").ip("203.0.113.1").user("alice").host("h1").at(MONDAY))));
      assertEquals(List.of("alice"), keys(t.process(Events.of("k").user("alice").host("h1").at(MONDAY))));
      assertEquals(List.of("h1"), keys(t.process(Events.of("k").host("h1").at(MONDAY))));
      assertEquals(List.of(""), keys(t.process(Events.of("k").at(MONDAY))));
    }
  }

  @Test
  @DisplayName("with group_by the alert key is that field's value, and the ip when the event lacks the field")
  void keyIsTheGroupByValue() {
    Policy p = parse("""
        {"name": "by account", "conditions": {"field": "type", "op": "eq", "value": "k"},
         "threshold": {"count": 1, "within": "1m", "group_by": "attributes.account.id"}}""");
    try (RuleTester t = tester(p)) {
      assertEquals(List.of("acct-7"), keys(t.process(
          Events.of("k").ip("203.0.113.1").attr("account.id", "acct-7").at(MONDAY))));
      assertEquals(List.of("203.0.113.1"), keys(t.process(Events.of("k").ip("203.0.113.1").at(MONDAY))));
    }
  }

  @Test
  @DisplayName("another tenant's events never match, nor count towards a threshold")
  void otherTenantsEventsNeverMatch() {
    Policy single = withConditions("single", "{\"field\": \"user\", \"op\": \"eq\", \"value\": \"eve\"}", true);
    Policy counted = parse("""
        {"name": "counted", "conditions": {"field": "user", "op": "eq", "value": "eve"},
         "threshold": {"count": 2, "within": "1h", "group_by": "user"}}""");
    try (RuleTester t = tester(single, counted)) {
      for (int i = 0; i < 3; i++) {
        Instant at = MONDAY.plusSeconds(i);
        Event foreign = new Event(0, "other", "evt-other-" + i, "auth.login_failed", at.toEpochMilli(),
            at.toEpochMilli(), null, null, "eve", "203.0.113.66", null, Map.of());
        assertEquals(List.of(), t.process(foreign), "an event of tenant other raised an alert");
      }

      List<RaisedAlert> own = t.process(Events.loginFailed("eve", "203.0.113.66").at(MONDAY.plusSeconds(5)));
      assertEquals(List.of("policy:single"), own.stream().map(RaisedAlert::rule).toList(),
          "the first own event fires the single-event policy, and is only the first towards the threshold");
    }
  }

  @Test
  @DisplayName("a policy compiled for tenant acme never fires in the test tenant's session")
  void policyOfAnotherTenantNeverFires() {
    Policy p = PolicyParser.parse(TestPolicies.json(
        "{\"name\": \"acme only\", \"conditions\": {\"field\": \"type\", \"op\": \"exists\"}}"), "pol_acme1",
        "acme");
    Map<String, String> files = Map.of(PolicyCompiler.fileName("acme", "pol_acme1"), PolicyCompiler.compile(p));
    try (RuleTester t = RuleTester.of(files, TestPolicies.CHANNELS)) {
      assertEquals(List.of(), t.process(Events.loginFailed("alice", "203.0.113.1").at(MONDAY)));
      assertEquals(1, t.ruleSet().rules().size(), "the rule is loaded, it just does not match");
    }
  }

  @Test
  @DisplayName("throttle.minutes: a repeat for the same key inside the cooldown is withinCooldown, after it is not")
  void throttleMinutesIsACooldownPerKey() {
    Policy p = parse("""
        {"name": "failed logins", "conditions": {"field": "type", "op": "eq", "value": "auth.login_failed"},
         "throttle": {"minutes": 10}}""");
    try (RuleTester t = tester(p)) {
      RaisedAlert first = single(t.process(Events.loginFailed("a", "203.0.113.1").at(MONDAY)));
      RaisedAlert again = single(t.process(Events.loginFailed("a", "203.0.113.1").at(MONDAY.plusSeconds(300))));
      RaisedAlert otherKey = single(t.process(Events.loginFailed("a", "203.0.113.2").at(MONDAY.plusSeconds(360))));
      RaisedAlert later = single(t.process(Events.loginFailed("a", "203.0.113.1").at(MONDAY.plusSeconds(601))));

      assertEquals(Duration.ofMinutes(10), first.cooldown());
      assertFalse(first.withinCooldown());
      assertTrue(again.withinCooldown(), "5 minutes after the first page, same key");
      assertFalse(otherKey.withinCooldown(), "another key has its own cooldown");
      assertFalse(later.withinCooldown(), "10 minutes after the first page the cooldown is over");
    }
  }

  @Test
  @DisplayName("throttle.max_per_hour: with max 2 the third page in an hour is rate limited; the next hour pages again")
  void maxPerHourCapsPages() {
    Policy p = parse("""
        {"name": "capped", "conditions": {"field": "type", "op": "eq", "value": "auth.login_failed"},
         "throttle": {"max_per_hour": 2}}""");
    try (RuleTester t = tester(p)) {
      List<Boolean> limited = new ArrayList<>();
      int[] minutes = {0, 10, 20, 61};
      for (int i = 0; i < minutes.length; i++) {
        Event e = Events.loginFailed("u", "203.0.113." + (i + 1)).at(MONDAY.plusSeconds(60L * minutes[i]));
        limited.add(single(t.process(e)).rateLimited());
      }

      assertEquals(List.of(false, false, true, false), limited);
    }
  }

  @Test
  @DisplayName("a threshold fires on the Nth event within the window per group_by key, not on the N-1th")
  void thresholdFiresOnTheNthEventPerKey() {
    Policy p = parse("""
        {"name": "bursts", "conditions": {"field": "type", "op": "eq", "value": "auth.login_failed"},
         "threshold": {"count": 3, "within": "1m", "group_by": "user"}}""");
    try (RuleTester t = tester(p)) {
      assertEquals(List.of(), t.process(Events.loginFailed("alice", "203.0.113.1").at(MONDAY)));
      assertEquals(List.of(), t.process(Events.loginFailed("alice", "203.0.113.2").at(MONDAY.plusSeconds(10))));
      assertEquals(List.of(), t.process(Events.loginFailed("bob", "203.0.113.1").at(MONDAY.plusSeconds(15))));
      assertEquals(List.of(), t.process(Events.loginFailed("bob", "203.0.113.1").at(MONDAY.plusSeconds(16))));

      RaisedAlert fired = single(t.process(Events.loginFailed("alice", "203.0.113.3").at(MONDAY.plusSeconds(20))));
      assertEquals("alice", fired.key());
      assertEquals("policy:bursts", fired.rule());
    }
  }

  @Test
  @DisplayName("a threshold does not fire for matching events spread wider than its window")
  void thresholdIgnoresEventsOutsideTheWindow() {
    Policy p = parse("""
        {"name": "slow", "conditions": {"field": "type", "op": "eq", "value": "auth.login_failed"},
         "threshold": {"count": 3, "within": "1m", "group_by": "user"}}""");
    try (RuleTester t = tester(p)) {
      List<RaisedAlert> raised = new ArrayList<>();
      for (int i = 0; i < 6; i++) {
        raised.addAll(t.process(Events.loginFailed("alice", "203.0.113.1").at(MONDAY.plusSeconds(35L * i))));
      }
      assertEquals(List.of(), raised, "never three events within one minute");

      raised.addAll(t.process(Events.loginFailed("alice", "203.0.113.1").at(MONDAY.plusSeconds(35L * 5 + 1))));
      assertEquals(1, raised.size(), "two events 1s apart plus the one 35s before: three within a minute");
    }
  }

  @Test
  @DisplayName("after a threshold fires it stays quiet for the key during throttle.minutes, then counts afresh")
  void thresholdDoesNotFireAgainInTheCooldown() {
    Policy p = parse("""
        {"name": "burst cooldown", "conditions": {"field": "type", "op": "eq", "value": "auth.login_failed"},
         "threshold": {"count": 2, "within": "1m", "group_by": "user"}, "throttle": {"minutes": 10}}""");
    try (RuleTester t = tester(p)) {
      assertEquals(List.of(), t.process(Events.loginFailed("alice", "203.0.113.1").at(MONDAY)));
      assertEquals(1, t.process(Events.loginFailed("alice", "203.0.113.1").at(MONDAY.plusSeconds(1))).size());
      for (int i = 2; i < 8; i++) {
        assertEquals(List.of(), t.process(Events.loginFailed("alice", "203.0.113.1").at(MONDAY.plusSeconds(i))),
            "event " + (i + 1) + " is inside the cooldown");
      }

      Instant after = MONDAY.plusSeconds(601);
      assertEquals(List.of(), t.process(Events.loginFailed("alice", "203.0.113.1").at(after)));
      RaisedAlert again = single(t.process(Events.loginFailed("alice", "203.0.113.1").at(after.plusSeconds(1))));
      assertFalse(again.withinCooldown());
    }
  }

  @Test
  @DisplayName("a schedule matches only inside its hours and weekdays, in its own time zone")
  void scheduleInsideAndOutsideWorkingHours() {
    Policy p = parse("""
        {"name": "office hours", "conditions": {"field": "type", "op": "exists"},
         "active": {"days": ["mon", "tue", "wed", "thu", "fri"], "from": "08:00", "to": "18:00",
                    "timezone": "Europe/Berlin"}}""");
    try (RuleTester t = tester(p)) {
      // Berlin is UTC+1 in March.
      assertFalse(fires(t, "2026-03-02T06:59:00Z"), "Monday 07:59 in Berlin, before hours");
      assertTrue(fires(t, "2026-03-02T07:00:00Z"), "Monday 08:00 in Berlin, the first minute");
      assertTrue(fires(t, "2026-03-02T16:59:00Z"), "Monday 17:59 in Berlin");
      assertFalse(fires(t, "2026-03-02T17:00:00Z"), "Monday 18:00 in Berlin: the end is exclusive");
      assertFalse(fires(t, "2026-03-02T17:30:00Z"), "Monday 18:30 in Berlin, though 17:30 in UTC");
      assertTrue(fires(t, "2026-03-06T10:00:00Z"), "Friday 11:00");
      assertFalse(fires(t, "2026-03-07T10:00:00Z"), "Saturday 11:00");
      assertFalse(fires(t, "2026-03-08T10:00:00Z"), "Sunday 11:00");
    }
  }

  @Test
  @DisplayName("an overnight schedule runs from the evening past midnight into the morning")
  void overnightSchedule() {
    Policy p = parse("""
        {"name": "night shift", "conditions": {"field": "type", "op": "exists"},
         "active": {"days": ["mon", "tue", "wed", "thu", "fri", "sat", "sun"], "from": "22:00", "to": "06:00",
                    "timezone": "UTC"}}""");
    try (RuleTester t = tester(p)) {
      assertFalse(fires(t, "2026-03-02T21:59:00Z"));
      assertTrue(fires(t, "2026-03-02T22:00:00Z"));
      assertTrue(fires(t, "2026-03-02T23:59:00Z"));
      assertTrue(fires(t, "2026-03-03T03:00:00Z"));
      assertFalse(fires(t, "2026-03-03T06:00:00Z"));
      assertFalse(fires(t, "2026-03-03T12:00:00Z"));
    }
  }

  @Test
  @DisplayName("the weekday of a schedule is the weekday in its time zone: Sunday evening in UTC is Monday in Tokyo")
  void scheduleWeekdayIsInItsTimeZone() {
    Policy p = parse("""
        {"name": "tokyo monday", "conditions": {"field": "type", "op": "exists"},
         "active": {"days": ["mon"], "from": "00:00", "to": "12:00", "timezone": "Asia/Tokyo"}}""");
    try (RuleTester t = tester(p)) {
      assertFalse(fires(t, "2026-03-01T14:00:00Z"), "Sunday 23:00 in Tokyo");
      assertTrue(fires(t, "2026-03-01T16:00:00Z"), "Monday 01:00 in Tokyo, Sunday in UTC");
      assertFalse(fires(t, "2026-03-02T04:00:00Z"), "Monday 13:00 in Tokyo, Monday in UTC");
    }
  }

  @Test
  @DisplayName("events outside the schedule do not count towards a threshold")
  void eventsOutsideTheScheduleDoNotCount() {
    Policy p = parse("""
        {"name": "office bursts", "conditions": {"field": "type", "op": "exists"},
         "threshold": {"count": 2, "within": "1h", "group_by": "user"},
         "active": {"days": ["mon"], "from": "09:00", "to": "17:00", "timezone": "UTC"}}""");
    try (RuleTester t = tester(p)) {
      assertEquals(List.of(), t.process(Events.of("x").user("u").at(Instant.parse("2026-03-02T08:59:00Z"))));
      assertEquals(List.of(), t.process(Events.of("x").user("u").at(Instant.parse("2026-03-02T09:00:00Z"))));
      assertEquals(1, t.process(Events.of("x").user("u").at(Instant.parse("2026-03-02T09:01:00Z"))).size());
    }
  }

  @Test
  @DisplayName("contains on a list attribute holding a null item checks the other items and does not throw")
  void containsOnAListWithANullItem() {
    Policy p = withConditions("tags", leaf("attributes.tags", "contains", "\"ops\""), true);
    try (RuleTester t = tester(p)) {
      List<RaisedAlert> raised = assertDoesNotThrow(
          () -> t.process(Events.of("x").attr("tags", Arrays.asList(null, "ops")).at(MONDAY)));
      assertEquals(1, raised.size());
    }
  }

  @Test
  @DisplayName("a numeric comparison against an infinite attribute does not throw, and later events still match")
  void infiniteAttributeDoesNotThrow() {
    Policy p = withConditions("big numbers", leaf("attributes.n", "gt", "1"), true);
    try (RuleTester t = tester(p)) {
      assertDoesNotThrow(() -> t.process(Events.of("x").attr("n", Double.POSITIVE_INFINITY).at(MONDAY)));
      assertEquals(1, t.process(Events.of("x").attr("n", 2).at(MONDAY.plusSeconds(1))).size());
    }
  }

  @Test
  @DisplayName("two different strings that read as the same number are not equal")
  void numericLookingStringsCompareAsStrings() {
    Policy p = withConditions("versions", leaf("attributes.version", "eq", "\"1.10\""), true);
    try (RuleTester t = tester(p)) {
      assertEquals(List.of(), t.process(Events.of("x").attr("version", "1.1").at(MONDAY)));
      assertEquals(1, t.process(Events.of("x").attr("version", "1.10").at(MONDAY)).size());
    }
  }

  /**
   * Every operator, on typed fields and nested attributes, with and without case
   * sensitivity, and AND/OR groups: one rule base holds a policy per case, and one event
   * goes through it; each case checks whether its policy fired.
   */
  @Nested
  @TestInstance(TestInstance.Lifecycle.PER_CLASS)
  class Operators {
    private final List<Case> cases = operatorCases();
    private RuleTester tester;
    private Set<String> fired;

    @BeforeAll
    void runTheSampleEventThroughEveryCase() {
      tester = tester(cases.stream().map(c -> withConditions(c.label(), c.conditions(), c.caseSensitive()))
          .toArray(Policy[]::new));
      Event e = Events.of("http.request").user("Root").ip("203.0.113.7").host("prod-web-1").severity("high")
          .attr("http.status", 503).attr("http.method", "GET").attr("path", "/Admin/Users")
          .attr("tags", List.of("Admin", "ops")).attr("flag", true).attr("ratio", 0.5)
          .attr("items", List.of(Map.of("name", "first"))).at(MONDAY);
      fired = tester.process(e).stream().map(a -> a.rule().substring("policy:".length()))
          .collect(Collectors.toSet());
    }

    @AfterAll
    void close() {
      tester.close();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("io.vigil.engine.policy.PolicyCompilerTest#operatorCases")
    @DisplayName("each operator case matches the sample event exactly when it should")
    void operatorCase(Case c) {
      assertEquals(c.matches(), fired.contains(c.label()),
          c.label() + ": " + c.conditions() + (c.caseSensitive() ? "" : " (ignoring case)"));
    }
  }

  static List<Case> operatorCases() {
    return List.of(
        new Case("eq on type", leaf("type", "eq", "\"http.request\""), true, true),
        new Case("eq on severity", leaf("severity", "eq", "\"high\""), true, true),
        new Case("regex on id", leaf("id", "regex", "\"^evt-[0-9]+$\""), true, true),
        new Case("eq on a string that matches exactly", leaf("user", "eq", "\"Root\""), true, true),
        new Case("eq on a different string", leaf("user", "eq", "\"alice\""), true, false),
        new Case("eq is case sensitive by default", leaf("user", "eq", "\"root\""), true, false),
        new Case("eq ignores case when case_sensitive is false", leaf("user", "eq", "\"root\""), false, true),
        new Case("eq on an equal number", leaf("attributes.http.status", "eq", "503"), true, true),
        new Case("eq on a different number", leaf("attributes.http.status", "eq", "500"), true, false),
        new Case("eq on a numeric string compares as a number", leaf("attributes.http.status", "eq", "\"503\""),
            true, true),
        new Case("eq on an equal boolean", leaf("attributes.flag", "eq", "true"), true, true),
        new Case("eq on a different boolean", leaf("attributes.flag", "eq", "false"), true, false),
        new Case("ne on a different string", leaf("user", "ne", "\"alice\""), true, true),
        new Case("ne on an equal string", leaf("user", "ne", "\"Root\""), true, false),
        new Case("ne ignoring case on an equal string", leaf("user", "ne", "\"ROOT\""), false, false),
        new Case("gt below the value", leaf("attributes.http.status", "gt", "500"), true, true),
        new Case("gt at the value", leaf("attributes.http.status", "gt", "503"), true, false),
        new Case("gte at the value", leaf("attributes.http.status", "gte", "503"), true, true),
        new Case("gte above the value", leaf("attributes.http.status", "gte", "504"), true, false),
        new Case("lt above the value", leaf("attributes.http.status", "lt", "600"), true, true),
        new Case("lt at the value", leaf("attributes.http.status", "lt", "503"), true, false),
        new Case("lte at the value", leaf("attributes.http.status", "lte", "503"), true, true),
        new Case("lte below the value", leaf("attributes.http.status", "lte", "502"), true, false),
        new Case("gt on a decimal", leaf("attributes.ratio", "gt", "0.25"), true, true),
        new Case("lt on a decimal", leaf("attributes.ratio", "lt", "0.25"), true, false),
        new Case("gt on a field that is not a number", leaf("user", "gt", "0"), true, false),
        new Case("lt on a field that is not a number", leaf("user", "lt", "0"), true, false),
        new Case("in a list holding the value", leaf("user", "in", "[\"alice\", \"Root\"]"), true, true),
        new Case("in a list without the value", leaf("user", "in", "[\"alice\", \"bob\"]"), true, false),
        new Case("in is case sensitive by default", leaf("user", "in", "[\"root\"]"), true, false),
        new Case("in ignores case when case_sensitive is false", leaf("user", "in", "[\"x\", \"root\"]"), false,
            true),
        new Case("in a list of numbers", leaf("attributes.http.status", "in", "[500, 503]"), true, true),
        new Case("not_in a list without the value", leaf("user", "not_in", "[\"alice\", \"bob\"]"), true, true),
        new Case("not_in a list holding the value", leaf("user", "not_in", "[\"alice\", \"Root\"]"), true, false),
        new Case("not_in ignoring case", leaf("user", "not_in", "[\"ROOT\"]"), false, false),
        new Case("contains a substring", leaf("attributes.path", "contains", "\"Admin\""), true, true),
        new Case("contains a missing substring", leaf("attributes.path", "contains", "\"Guest\""), true, false),
        new Case("contains is case sensitive by default", leaf("attributes.path", "contains", "\"admin\""), true,
            false),
        new Case("contains ignores case when case_sensitive is false",
            leaf("attributes.path", "contains", "\"admin\""), false, true),
        new Case("contains an item of a list", leaf("attributes.tags", "contains", "\"ops\""), true, true),
        new Case("contains no such item of a list", leaf("attributes.tags", "contains", "\"dev\""), true, false),
        new Case("contains an item of a list ignoring case", leaf("attributes.tags", "contains", "\"OPS\""), false,
            true),
        new Case("regex that finds a match", leaf("host", "regex", "\"^prod-\""), true, true),
        new Case("regex that finds no match", leaf("host", "regex", "\"^dev-\""), true, false),
        new Case("regex is case sensitive by default", leaf("attributes.path", "regex", "\"^/admin/\""), true,
            false),
        new Case("regex ignores case when case_sensitive is false",
            leaf("attributes.path", "regex", "\"^/admin/\""), false, true),
        new Case("regex on a number", leaf("attributes.http.status", "regex", "\"^5[0-9]{2}$\""), true, true),
        new Case("exists true on a present field", leaf("ip", "exists", "true"), true, true),
        new Case("exists without a value on a present field", "{\"field\": \"ip\", \"op\": \"exists\"}", true,
            true),
        new Case("exists true on an absent field", leaf("source", "exists", "true"), true, false),
        new Case("exists false on an absent field", leaf("source", "exists", "false"), true, true),
        new Case("exists false on a present field", leaf("ip", "exists", "false"), true, false),
        new Case("exists on a nested attribute", leaf("attributes.http.status", "exists", "true"), true, true),
        new Case("missing field with eq", leaf("attributes.missing", "eq", "\"x\""), true, false),
        new Case("missing field with ne", leaf("attributes.missing", "ne", "\"x\""), true, false),
        new Case("missing field with gt", leaf("attributes.missing", "gt", "0"), true, false),
        new Case("missing field with lte", leaf("attributes.missing", "lte", "0"), true, false),
        new Case("missing field with in", leaf("attributes.missing", "in", "[\"x\"]"), true, false),
        new Case("missing field with not_in", leaf("attributes.missing", "not_in", "[\"x\"]"), true, false),
        new Case("missing field with contains", leaf("attributes.missing", "contains", "\"\""), true, false),
        new Case("missing field with regex", leaf("attributes.missing", "regex", "\".*\""), true, false),
        new Case("missing field with exists false", leaf("attributes.missing", "exists", "false"), true, true),
        new Case("missing nested field with exists false", leaf("attributes.http.missing", "exists", "false"),
            true, true),
        new Case("path through a number with exists false",
            leaf("attributes.http.status.deeper", "exists", "false"), true, true),
        new Case("nested attribute eq", leaf("attributes.http.method", "eq", "\"GET\""), true, true),
        new Case("attribute inside a list by index", leaf("attributes.items.0.name", "eq", "\"first\""), true,
            true),
        new Case("all of two true conditions", all(leaf("user", "eq", "\"Root\""), leaf("ip", "exists", "true")),
            true, true),
        new Case("all with one false condition", all(leaf("user", "eq", "\"Root\""), leaf("ip", "exists",
            "false")), true, false),
        new Case("any with one true condition", any(leaf("user", "eq", "\"alice\""), leaf("ip", "exists",
            "true")), true, true),
        new Case("any of two false conditions", any(leaf("user", "eq", "\"alice\""), leaf("ip", "exists",
            "false")), true, false),
        new Case("all holding a true any", all(leaf("attributes.http.status", "gte", "500"),
            any(leaf("user", "in", "[\"alice\"]"), leaf("host", "regex", "\"^prod-\""))), true, true),
        new Case("all holding a false any", all(leaf("attributes.http.status", "gte", "500"),
            any(leaf("user", "in", "[\"alice\"]"), leaf("host", "regex", "\"^dev-\""))), true, false),
        new Case("any of alls three levels deep", any(
            all(leaf("user", "eq", "\"alice\""), leaf("ip", "exists", "true")),
            all(leaf("host", "contains", "\"web\""), any(leaf("type", "eq", "\"x\""), leaf("type", "regex",
                "\"request$\"")))), true, true),
        new Case("any of alls three levels deep none true", any(
            all(leaf("user", "eq", "\"alice\""), leaf("ip", "exists", "true")),
            all(leaf("host", "contains", "\"web\""), any(leaf("type", "eq", "\"x\""), leaf("type", "regex",
                "\"^request\"")))), true, false),
        new Case("a group of one condition", all(leaf("user", "eq", "\"Root\"")), true, true));
  }

  /** One operator case: a policy named {@code label} whose conditions should or should not match. */
  record Case(String label, String conditions, boolean caseSensitive, boolean matches) {
    @Override
    public String toString() {
      return label + (matches ? " matches" : " does not match");
    }
  }

  private static boolean fires(RuleTester t, String time) {
    return !t.process(Events.of("x").user("u").at(Instant.parse(time))).isEmpty();
  }

  private static RaisedAlert single(List<RaisedAlert> raised) {
    assertEquals(1, raised.size(), "raised: " + raised);
    return raised.get(0);
  }

  private static List<String> keys(List<RaisedAlert> raised) {
    return raised.stream().map(RaisedAlert::key).toList();
  }

  static String leaf(String field, String op, String valueJson) {
    return "{\"field\": \"" + field + "\", \"op\": \"" + op + "\", \"value\": " + valueJson + "}";
  }

  static String all(String... children) {
    return "{\"all\": [" + String.join(", ", children) + "]}";
  }

  static String any(String... children) {
    return "{\"any\": [" + String.join(", ", children) + "]}";
  }
}
