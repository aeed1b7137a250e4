package io.vigil.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vigil.alert.RaisedAlert;
import io.vigil.testing.Events;
import io.vigil.testing.SampleRules;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The shipped "Authentication failures" rule raises a medium alert for every auth.* event
 * whose type ends in "_failed", ".failed" or "failure", keyed by user (else origin); repeats
 * for one user within fifteen minutes of the page are occurrences, not new pages.
 */
class AuthenticationFailuresRuleTest {
  private static final String RULE = "Authentication failures";
  private static final Instant T0 = Instant.parse("2026-03-02T10:00:00Z");

  private RuleTester tester;

  @BeforeEach
  void compileShippedRules() {
    tester = SampleRules.tester();
  }

  @AfterEach
  void close() {
    tester.close();
  }

  @Test
  @DisplayName("auth.*_failed, auth.*.failed and auth.*failure each page, keyed by the user")
  void failureTypesPage() {
    List<String> types = List.of("auth.login_failed", "auth.mfa.failed", "auth.token_failure");
    for (int i = 0; i < types.size(); i++) {
      String user = "user" + i;
      List<RaisedAlert> raised = SampleRules.of(RULE, tester.process(Events.of(types.get(i)).user(user).at(T0.plusSeconds(i))));

      assertEquals(1, raised.size(), types.get(i));
      assertEquals(user, raised.get(0).key());
      assertEquals("medium", raised.get(0).severity());
      assertFalse(raised.get(0).withinCooldown());
      assertEquals("Authentication failure (" + types.get(i) + ") for " + user, raised.get(0).summary());
    }
  }

  @Test
  @DisplayName("a failure without a user is keyed by its origin")
  void failureWithoutUserIsKeyedByOrigin() {
    List<RaisedAlert> raised = SampleRules.of(RULE, tester.process(Events.of("auth.login_failed").ip("203.0.113.7").at(T0)));

    assertEquals(1, raised.size());
    assertEquals("203.0.113.7", raised.get(0).key());
  }

  @Test
  @DisplayName("successful logins and failures outside auth.* do not raise")
  void nonFailuresDoNotRaise() {
    tester.process(Events.of("auth.login_succeeded").user("alice").at(T0));
    tester.process(Events.of("vpn.login_failed").user("alice").at(T0.plusSeconds(1)));
    tester.process(Events.of("auth.failed_attempts_reset").user("alice").at(T0.plusSeconds(2)));

    assertEquals(List.of(), SampleRules.of(RULE, tester.raised()));
  }

  @Test
  @DisplayName("further failures of one user within fifteen minutes are occurrences, not pages")
  void repeatWithinFifteenMinutesIsWithinCooldown() {
    tester.process(Events.loginFailed("alice", "203.0.113.7").at(T0));

    List<RaisedAlert> sameType =
        SampleRules.of(RULE, tester.process(Events.loginFailed("alice", "198.51.100.9").at(T0.plus(Duration.ofMinutes(5)))));
    List<RaisedAlert> otherType =
        SampleRules.of(RULE, tester.process(Events.of("auth.mfa.failed").user("alice").at(T0.plus(Duration.ofSeconds(899)))));

    assertEquals(1, sameType.size());
    assertTrue(sameType.get(0).withinCooldown());
    assertEquals(1, otherType.size());
    assertTrue(otherType.get(0).withinCooldown());
  }

  @Test
  @DisplayName("another user within the fifteen minutes pages on their own")
  void otherUsersHaveTheirOwnCooldown() {
    tester.process(Events.loginFailed("alice", "203.0.113.7").at(T0));

    List<RaisedAlert> bob = SampleRules.of(RULE, tester.process(Events.loginFailed("bob", "203.0.113.7").at(T0.plusSeconds(1))));

    assertEquals(1, bob.size());
    assertEquals("bob", bob.get(0).key());
    assertFalse(bob.get(0).withinCooldown());
  }

  @Test
  @DisplayName("the same user pages again once fifteen minutes have passed since the page")
  void sameUserPagesAgainAfterFifteenMinutes() {
    tester.process(Events.loginFailed("alice", "203.0.113.7").at(T0));

    List<RaisedAlert> later =
        SampleRules.of(RULE, tester.process(Events.loginFailed("alice", "203.0.113.7").at(T0.plus(Duration.ofMinutes(15)))));

    assertEquals(1, later.size());
    assertFalse(later.get(0).withinCooldown());
    assertEquals(2, SampleRules.of(RULE, tester.raised()).stream().filter(r -> !r.withinCooldown()).count());
  }
}
