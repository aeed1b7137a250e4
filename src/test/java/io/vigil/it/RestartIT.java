package io.vigil.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import io.vigil.rules.Event;
import io.vigil.store.EventCodec;
import io.vigil.testing.Api;
import io.vigil.testing.Receiver;
import io.vigil.testing.TestDatabase;
import io.vigil.testing.TestServer;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * A restart loses nothing: alerts stay, deliveries still pending are made, events committed
 * but not yet processed are processed, and windows and cooldowns carry over so the restart
 * neither misses an alert nor raises one twice.
 */
class RestartIT {
  Receiver receiver;
  TestServer server;

  @BeforeEach
  void start() throws Exception {
    TestDatabase.truncate();
    receiver = new Receiver();
    server = TestServer.builder()
        .sampleRules()
        .webhook("secops-webhook", receiver.url("/hook"), "plain-secret")
        .logChannel("audit-log")
        .start();
  }

  @AfterEach
  void stop() {
    server.close();
    receiver.close();
  }

  static String failed(String ip) {
    return "{\"type\":\"auth.login_failed\",\"ip\":\"" + ip + "\",\"time\":\"" + Instant.now() + "\"}";
  }

  List<JsonObject> bruteForce() {
    return server.api().get("/api/v1/alerts?rule=Brute%20force%20login").items().stream()
        .map(o -> (JsonObject) o).toList();
  }

  @Test
  @DisplayName("a delivery pending during a receiver outage is made after a restart, and the alert is still listed")
  void pending_delivery_survives_restart() {
    receiver.answer(r -> Receiver.Answer.status(503));
    Api api = server.api();
    for (int i = 0; i < 5; i++) {
      assertEquals(202, api.post("/api/v1/events", failed("192.0.2.10")).status());
    }
    String id = await().atMost(Duration.ofSeconds(30)).until(this::bruteForce, l -> l.size() == 1).get(0).getString("id");
    await().atMost(Duration.ofSeconds(30)).until(() -> receiver.requests().size() >= 2);
    JsonObject pending = webhookDelivery(id);
    assertEquals("pending", pending.getString("status"));
    assertTrue(pending.getInteger("attempts") >= 2);
    assertTrue(pending.getString("last_error").startsWith("HTTP 503"), pending.encode());

    server.stop();
    receiver.answer(r -> Receiver.Answer.status(200));
    int before = receiver.requests().size();
    server.start();

    assertEquals(1, bruteForce().size(), "the alert is still listed");
    JsonObject done = await().atMost(Duration.ofSeconds(30)).until(() -> webhookDelivery(id),
        d -> d.getString("status").equals("delivered"));
    assertTrue(done.getInteger("attempts") > pending.getInteger("attempts"));
    assertTrue(receiver.requests().size() > before);
    assertEquals(1, receiver.requests().stream().map(r -> r.header("webhook-id")).distinct().count(),
        "every attempt carries the same webhook-id");
  }

  @Test
  @DisplayName("events committed but not processed when the process died are processed at the next start")
  void unprocessed_events_are_processed_after_restart() {
    server.stop();
    // The state a crash leaves: events in the journal, the engine's position behind them.
    long now = Instant.now().toEpochMilli();
    for (int i = 0; i < 5; i++) {
      Event e = new Event(0, "default", "crash-" + i, "auth.login_failed", now + i, now + i, null, null, null,
          "192.0.2.99", null, Map.of());
      TestDatabase.update(
          "INSERT INTO events (tenant, id, type, time, received_at, body) VALUES (?, ?, ?, ?, ?, ?::jsonb)",
          "default", e.getId(), e.getType(), new Timestamp(e.getTime()), new Timestamp(e.getReceivedAt()),
          EventCodec.toJson(e));
    }
    TestDatabase.update("INSERT INTO engine_positions (tenant, seq) VALUES ('default', 0)"
        + " ON CONFLICT (tenant) DO UPDATE SET seq = 0");
    server.start();
    JsonObject alert = await().atMost(Duration.ofSeconds(30)).until(this::bruteForce, l -> l.size() == 1).get(0);
    assertEquals("192.0.2.99", alert.getString("key"));
    await().atMost(Duration.ofSeconds(30)).until(() -> TestDatabase.count(
        "SELECT seq FROM engine_positions WHERE tenant = 'default'") == TestDatabase.count("SELECT max(seq) FROM events"));
  }

  @Test
  @DisplayName("four failed logins, a restart, one more: one brute-force alert, and none again inside the cooldown")
  void windows_and_cooldowns_survive_restart() {
    Api api = server.api();
    for (int i = 0; i < 4; i++) {
      assertEquals(202, api.post("/api/v1/events", failed("192.0.2.50")).status());
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> TestDatabase.count(
        "SELECT seq FROM engine_positions WHERE tenant = 'default'") == 4);
    server.restart();
    assertEquals(202, server.api().post("/api/v1/events", failed("192.0.2.50")).status());
    await().atMost(Duration.ofSeconds(30)).until(this::bruteForce, l -> l.size() == 1);

    server.restart();
    for (int i = 0; i < 6; i++) {
      assertEquals(202, server.api().post("/api/v1/events", failed("192.0.2.50")).status());
    }
    long total = TestDatabase.count("SELECT count(*) FROM events");
    await().atMost(Duration.ofSeconds(30)).until(() -> TestDatabase.count(
        "SELECT seq FROM engine_positions WHERE tenant = 'default'") == total);
    assertEquals(1, bruteForce().size(), "no second alert inside the 10-minute cooldown");
    assertEquals(1, TestDatabase.count("SELECT count(*) FROM deliveries d JOIN alerts a ON a.id = d.alert_id"
        + " WHERE a.rule = 'Brute force login' AND d.channel = 'secops-webhook'"), "and no second delivery");
  }

  @Test
  @DisplayName("threshold counts are rebuilt by the replay: 19 refused connections, a restart, one more: one alert")
  void threshold_counts_survive_restart() {
    for (int i = 0; i < 19; i++) {
      assertEquals(202, server.api().post("/api/v1/events",
          "{\"type\":\"net.connection_refused\",\"ip\":\"192.0.2.88\"}").status());
    }
    await().atMost(Duration.ofSeconds(30)).until(TestDatabase::engineCaughtUp);
    assertEquals(0, TestDatabase.count("SELECT count(*) FROM alerts WHERE rule = 'Port scan'"));
    server.restart();
    assertEquals(202, server.api().post("/api/v1/events",
        "{\"type\":\"net.connection_refused\",\"ip\":\"192.0.2.88\"}").status());
    await().atMost(Duration.ofSeconds(30)).until(TestDatabase::engineCaughtUp);
    assertEquals(1, TestDatabase.count("SELECT count(*) FROM alerts WHERE rule = 'Port scan'"));
    server.restart();
    for (int i = 0; i < 25; i++) {
      assertEquals(202, server.api().post("/api/v1/events",
          "{\"type\":\"net.connection_refused\",\"ip\":\"192.0.2.88\"}").status());
    }
    await().atMost(Duration.ofSeconds(30)).until(TestDatabase::engineCaughtUp);
    assertEquals(1, TestDatabase.count("SELECT count(*) FROM alerts WHERE rule = 'Port scan'"),
        "the 15-minute threshold cooldown was rebuilt too");
  }

  private JsonObject webhookDelivery(String alertId) {
    return server.api().get("/api/v1/alerts/" + alertId).json().getJsonArray("deliveries").stream()
        .map(o -> (JsonObject) o).filter(d -> d.getString("channel").equals("secops-webhook")).findFirst()
        .orElseThrow();
  }
}
