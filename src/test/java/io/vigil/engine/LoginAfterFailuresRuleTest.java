package io.vigil.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.vigil.alert.RaisedAlert;
import io.vigil.rules.Event;
import io.vigil.testing.Events;
import io.vigil.testing.SampleRules;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The shipped "Login after repeated failures" rule pages once, keyed by the user, when a user
 * logs in successfully after three or more failed logins of that same user in the five
 * minutes before.
 */
class LoginAfterFailuresRuleTest {
  private static final String RULE = "Login after repeated failures";
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
  @DisplayName("a success after three failures of the same user within five minutes pages once, keyed by the user")
  void successAfterThreeFailuresPagesOnce() {
    List<Event> evidence = new ArrayList<>(failures("alice", T0, 3));
    Event success = Events.loginSucceeded("alice", "203.0.113.7").at(T0.plus(Duration.ofMinutes(4)));
    evidence.add(success);

    List<RaisedAlert> raised = SampleRules.of(RULE, tester.process(success));

    assertEquals(1, raised.size(), "raised: " + raised);
    RaisedAlert page = raised.get(0);
    assertFalse(page.withinCooldown());
    assertEquals("alice", page.key());
    assertEquals("high", page.severity());
    assertEquals("Login by alice after 3 failed attempts within 5 minutes", page.summary());
    assertEquals(Set.copyOf(evidence), new HashSet<>(page.evidence()));
    assertEquals(4, page.evidence().size());
    assertEquals(1, SampleRules.of(RULE, tester.raised()).size());
  }

  @Test
  @DisplayName("more than three failures still give a single page that counts them all")
  void moreFailuresStillPageOnce() {
    failures("alice", T0, 6);

    List<RaisedAlert> raised =
        SampleRules.of(RULE, tester.process(Events.loginSucceeded("alice", "203.0.113.7").at(T0.plusSeconds(30))));

    assertEquals(1, raised.size());
    assertEquals("Login by alice after 6 failed attempts within 5 minutes", raised.get(0).summary());
  }

  @Test
  @DisplayName("a success after only two failures does not page")
  void twoFailuresDoNotPage() {
    failures("alice", T0, 2);
    tester.process(Events.loginSucceeded("alice", "203.0.113.7").at(T0.plusSeconds(30)));

    assertEquals(List.of(), SampleRules.of(RULE, tester.raised()));
  }

  @Test
  @DisplayName("failures older than five minutes do not count towards the three")
  void oldFailuresDoNotCount() {
    failures("alice", T0, 3);
    // Two more recent failures: only they are inside the five minutes before the success.
    failures("alice", T0.plus(Duration.ofMinutes(4)), 2);
    tester.process(Events.loginSucceeded("alice", "203.0.113.7").at(T0.plus(Duration.ofMinutes(5)).plusSeconds(3)));

    assertEquals(List.of(), SampleRules.of(RULE, tester.raised()));
  }

  @Test
  @DisplayName("three failures that all ended more than five minutes ago do not page")
  void allFailuresTooOldDoNotPage() {
    failures("alice", T0, 3);
    tester.process(Events.loginSucceeded("alice", "203.0.113.7").at(T0.plus(Duration.ofMinutes(5)).plusSeconds(3)));

    assertEquals(List.of(), SampleRules.of(RULE, tester.raised()));
  }

  @Test
  @DisplayName("failures of another user do not count")
  void otherUsersFailuresDoNotCount() {
    failures("bob", T0, 3);
    failures("carol", T0.plusSeconds(10), 2);
    tester.process(Events.loginSucceeded("alice", "203.0.113.7").at(T0.plusSeconds(30)));

    assertEquals(List.of(), SampleRules.of(RULE, tester.raised()));
  }

  @Test
  @DisplayName("a success that comes before the failures does not page")
  void successBeforeFailuresDoesNotPage() {
    tester.process(Events.loginSucceeded("alice", "203.0.113.7").at(T0));
    failures("alice", T0.plusSeconds(1), 3);
    tester.advanceTo(T0.plus(Duration.ofMinutes(10)));

    assertEquals(List.of(), SampleRules.of(RULE, tester.raised()));
  }

  /** {@code n} failed logins of {@code user}, one second apart from {@code start}. */
  private List<Event> failures(String user, Instant start, int n) {
    List<Event> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Event e = Events.loginFailed(user, "203.0.113.7").at(start.plusSeconds(i));
      tester.process(e);
      out.add(e);
    }
    return out;
  }
}
