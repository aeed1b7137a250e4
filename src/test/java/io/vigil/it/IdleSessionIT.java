package io.vigil.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vigil.testing.Api;
import io.vigil.testing.TestDatabase;
import io.vigil.testing.TestServer;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * An idle tenant's session retires and is rebuilt by the restart replay when events come
 * again: windows and cooldowns are as if it had never left (the brute-force rule counts 5
 * failed logins in 1 minute and stays quiet for 10 minutes after an alert).
 */
class IdleSessionIT {
  static final String ABSENCE = """
      package test.idle;
      import io.vigil.rules.Event;
      global io.vigil.rules.Alerts alerts;
      rule "Job never finished"
          @channels("audit-log")
      when
          $s : Event(type == "job.started", $h : host)
          not Event(type == "job.finished", host == $h, this after[0s, 4s] $s)
      then
          alerts.raise(kcontext, $h);
      end
      """;

  TestServer server;

  @BeforeEach
  void start() {
    TestDatabase.truncate();
    server = TestServer.builder().sampleRules().rule("idle.drl", ABSENCE).logChannel("secops-webhook").logChannel("audit-log")
        .env("VIGIL_ENGINE_IDLE_SESSION_TIMEOUT", "1s")
        .start();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  static String failed(String ip) {
    return "{\"type\":\"auth.login_failed\",\"ip\":\"" + ip + "\",\"time\":\"" + Instant.now() + "\"}";
  }

  void awaitRetired() {
    await().atMost(Duration.ofSeconds(20)).until(() -> server.server().engine().retiredTenants().contains("default"));
  }

  long bruteForceAlerts() {
    return TestDatabase.count("SELECT count(*) FROM alerts WHERE rule = 'Brute force login'");
  }

  @Test
  @DisplayName("four failed logins, the session retires, one more: one alert; retired again, six more: no second page")
  void retired_session_keeps_windows_and_cooldowns() {
    Api api = server.api();
    for (int i = 0; i < 4; i++) {
      assertEquals(202, api.post("/api/v1/events", failed("192.0.2.60")).status());
    }
    awaitRetired();
    assertEquals(0, bruteForceAlerts());

    assertEquals(202, api.post("/api/v1/events", failed("192.0.2.60")).status());
    await().atMost(Duration.ofSeconds(30)).until(() -> bruteForceAlerts() == 1);
    assertTrue(server.server().engine().retiredTenants().isEmpty() || TestDatabase.engineCaughtUp());

    awaitRetired();
    for (int i = 0; i < 6; i++) {
      assertEquals(202, api.post("/api/v1/events", failed("192.0.2.60")).status());
    }
    await().atMost(Duration.ofSeconds(30)).until(TestDatabase::engineCaughtUp);
    awaitRetired();
    assertEquals(1, bruteForceAlerts(), "no second alert inside the 10-minute cooldown");
    assertEquals(1, TestDatabase.count("SELECT count(*) FROM deliveries d JOIN alerts a ON a.id = d.alert_id"
        + " WHERE a.rule = 'Brute force login' AND d.channel = 'secops-webhook'"), "and no second delivery");
    System.out.println("idle-session retired_and_rebuilt=2 events=11 alerts=1 deliveries=1");
  }

  @Test
  @DisplayName("a retired session with a timer due is rebuilt to fire it, once, and its rebuilds never fire it again")
  void retired_session_wakes_for_its_timer() {
    assertEquals(202, server.api().post("/api/v1/events", "{\"type\":\"job.started\",\"host\":\"batch-1\"}")
        .status());
    // Idle after 1 s with the absence due 3 s later: it retires, then wakes for the timer.
    awaitRetired();
    await().atMost(Duration.ofSeconds(30)).until(
        () -> TestDatabase.count("SELECT count(*) FROM alerts WHERE rule = 'Job never finished'") == 1);
    awaitRetired();
    // Rebuilt again later (the event leaving the session is a timer too), it must stay one.
    await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(10)).until(
        () -> TestDatabase.count("SELECT count(*) FROM alerts WHERE rule = 'Job never finished'") == 1);
    assertEquals(1, TestDatabase.count("SELECT count(*) FROM deliveries d JOIN alerts a ON a.id = d.alert_id"
        + " WHERE a.rule = 'Job never finished'"));
    System.out.println("idle-session timer_wake alerts=1 deliveries=1");
  }
}
