package io.vigil.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vigil.testing.LogCapture;
import io.vigil.testing.PrometheusText;
import io.vigil.testing.TestDatabase;
import io.vigil.testing.TestServer;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * {@code engine.max_session_events} in the running server: the shipped rules keep an hour
 * of events (host-health's one-hour range), so without the cap a session's heap grows with
 * the event rate. With the cap the session holds that many, the newest; the evictions show
 * in /api/v1/status, in {@code vigil_engine_events_evicted_total} and in one warning; and a
 * restart rebuilds the same capped session without counting the replay's evictions again.
 */
class SessionEventCapIT {
  static final int CAP = 50;
  TestServer server;

  @BeforeEach
  void start() {
    TestDatabase.truncate();
    server = TestServer.builder().sampleRules().logChannel("secops-webhook").logChannel("audit-log")
        .env("VIGIL_ENGINE_MAX_SESSION_EVENTS", String.valueOf(CAP))
        .start();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  static String batch(int from, int n) {
    JsonArray events = new JsonArray();
    for (int i = from; i < from + n; i++) {
      events.add(new JsonObject().put("id", "cap-" + i).put("type", "net.flow").put("host", "h" + (i % 7))
          .put("time", Instant.now().toString()));
    }
    return events.encode();
  }

  JsonObject session() {
    JsonArray sessions = server.api().get("/api/v1/status").json().getJsonArray("sessions");
    assertEquals(1, sessions.size(), sessions.encode());
    return sessions.getJsonObject(0);
  }

  PrometheusText metrics() {
    return PrometheusText.parse(server.api().get("/metrics").body());
  }

  @Test
  @DisplayName("a session holds at most engine.max_session_events events; evictions are shown, warned, and not"
      + " counted again after a restart")
  void holds_at_most_the_cap_and_says_so() {
    List<String> warnings;
    try (LogCapture logs = new LogCapture()) {
      assertEquals(202, server.api().post("/api/v1/events", batch(0, 120)).status());
      assertEquals(202, server.api().post("/api/v1/events", batch(120, 80)).status());
      await().atMost(Duration.ofSeconds(30)).until(TestDatabase::engineCaughtUp);
      await().atMost(Duration.ofSeconds(30)).until(() -> session().getLong("evicted_events") == 200 - CAP);
      warnings = logs.lines().stream().filter(l -> l.startsWith("engine session full")).toList();
    }
    assertEquals(CAP, session().getInteger("held_events"));
    assertEquals(200 - CAP, metrics().valueOrZero("vigil_engine_events_evicted_total", "tenant", "default"));
    assertEquals(CAP, metrics().valueOrZero("vigil_engine_events_held", "tenant", "default"));
    assertEquals(1, warnings.size(), "one warning for evictions within a minute: " + warnings);
    assertTrue(warnings.get(0).contains("tenant=default") && warnings.get(0).contains("engine.max_session_events"),
        warnings.get(0));
    assertEquals(200, TestDatabase.count("SELECT count(*) FROM events"), "evicting from the engine deletes nothing"
        + " from the journal");

    server.restart();
    assertEquals(202, server.api().post("/api/v1/events", batch(200, 1)).status());
    await().atMost(Duration.ofSeconds(30)).until(TestDatabase::engineCaughtUp);
    await().atMost(Duration.ofSeconds(30)).until(() -> session().getInteger("held_events") == CAP);
    assertEquals(1, session().getLong("evicted_events"),
        "the replay rebuilt the capped session and only the new event's eviction counts");
    assertEquals(1, metrics().valueOrZero("vigil_engine_events_evicted_total", "tenant", "default"));
  }
}
