package io.vigil.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vigil.testing.Api;
import io.vigil.testing.SettableClock;
import io.vigil.testing.TestDatabase;
import io.vigil.testing.TestServer;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Retention in the running server: the background pass prunes on its own timer, a late
 * resend of an event whose payload is gone is still answered as a duplicate and stored once,
 * and a resolved, delivered alert disappears after {@code retention.alerts} while an open one
 * stays. Time moves on a settable clock; the pass runs every 200 ms of real time.
 */
class RetentionServerIT {
  private static final String RULE = """
      package rules.retention;
      import io.vigil.rules.Event;
      global io.vigil.rules.Alerts alerts;

      rule "Retention sample"
          @severity("high") @channels("audit-log")
      when
          $e : Event(type == "sample.alert")
      then
          alerts.raise(kcontext, $e.getId()).summary("sample " + $e.getId());
      end
      """;

  static SettableClock clock;
  static TestServer server;
  static Api api;

  @BeforeAll
  static void start() {
    TestDatabase.truncate();
    clock = new SettableClock(Instant.now());
    server = TestServer.builder()
        .clock(clock)
        .rule("retention.drl", RULE)
        .logChannel("audit-log")
        .env("VIGIL_RETENTION_EVENTS", "1d")
        .env("VIGIL_RETENTION_EVENT_IDS", "7d")
        .env("VIGIL_RETENTION_ALERTS", "90d")
        .env("VIGIL_RETENTION_INTERVAL", "200ms")
        .start();
    api = server.api();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  private static Api.Response post(String json) {
    Api.Response r = api.post("/api/v1/events", json);
    assertEquals(202, r.status(), r.body());
    return r;
  }

  @Test
  @DisplayName("a late resend of an event whose payload was pruned is a duplicate, stored once")
  void late_resend_is_a_duplicate() {
    assertEquals(1, post("{\"id\":\"late-1\",\"type\":\"login\",\"user\":\"alice\"}").json().getInteger("accepted"));
    await().atMost(Duration.ofSeconds(30)).until(TestDatabase::engineCaughtUp);
    clock.advance(Duration.ofDays(2));
    post("{\"id\":\"fresh-1\",\"type\":\"login\",\"user\":\"bob\"}");
    await().atMost(Duration.ofSeconds(30)).until(TestDatabase::engineCaughtUp);

    await().atMost(Duration.ofSeconds(30)).until(() ->
        TestDatabase.count("SELECT count(*) FROM events WHERE id = 'late-1' AND body IS NULL") == 1);
    assertTrue(server.server().retention().eventsPruned() >= 1);

    JsonObject again = post("{\"id\":\"late-1\",\"type\":\"login\",\"user\":\"alice\"}").json();
    assertEquals(0, again.getInteger("accepted"));
    assertEquals(1, again.getInteger("duplicates"));
    assertEquals(new JsonArray().add("late-1"), again.getJsonArray("duplicate_ids"));
    assertEquals(1, TestDatabase.count("SELECT count(*) FROM events WHERE id = 'late-1'"));
    assertEquals(1, TestDatabase.count("SELECT count(*) FROM events WHERE id = 'fresh-1' AND body IS NOT NULL"),
        "the newest event keeps its payload");
  }

  @Test
  @DisplayName("a resolved, delivered alert is pruned after retention.alerts with its deliveries; an open one stays")
  void delivered_alerts_are_pruned() {
    post("{\"id\":\"a-done\",\"type\":\"sample.alert\"}");
    post("{\"id\":\"a-open\",\"type\":\"sample.alert\"}");
    await().atMost(Duration.ofSeconds(30)).until(() -> TestDatabase.count(
        "SELECT count(*) FROM deliveries d JOIN alerts a ON a.id = d.alert_id WHERE a.key IN ('a-done', 'a-open')"
            + " AND d.status = 'delivered'") == 2);
    String done = alertId("a-done");
    String open = alertId("a-open");
    assertEquals(200, api.post("/api/v1/alerts/" + done + "/resolve", "{\"by\":\"oncall\"}").status());

    clock.advance(Duration.ofDays(91));

    await().atMost(Duration.ofSeconds(30)).until(() -> api.get("/api/v1/alerts/" + done).status() == 404);
    assertEquals(0, TestDatabase.count("SELECT count(*) FROM deliveries WHERE alert_id = ?::uuid", done));
    Api.Response kept = api.get("/api/v1/alerts/" + open);
    assertEquals(200, kept.status());
    assertEquals("active", kept.json().getString("status"));
    assertTrue(server.server().retention().alertsPruned() >= 1);
    io.vigil.testing.PrometheusText m = io.vigil.testing.PrometheusText.parse(server.api(null).get("/metrics").body());
    assertTrue(m.valueOrZero("vigil_retention_pruned_total", "what", "alerts") >= 1, "pruning shows in /metrics");
    assertTrue(m.valueOrZero("vigil_retention_passes_total") >= 1);
  }

  private static String alertId(String key) {
    return (String) TestDatabase.query("SELECT id::text AS id FROM alerts WHERE key = ?", key).get(0).get("id");
  }
}
