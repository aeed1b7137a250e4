package io.vigil.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vigil.testing.Api;
import io.vigil.testing.TestDatabase;
import io.vigil.testing.TestServer;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * How raises become alerts and deliveries: dedupe by fingerprint while an alert is open,
 * a new alert after it is resolved, {@code @cooldown} counting occurrences without paging,
 * default channels for rules that name none, unknown channels failing their delivery, and a
 * broken rule file that leaves the other files running.
 */
class AlertLifecycleIT {
  static TestServer server;
  static Api api;

  static final String RULES = """
      package test.lifecycle;
      import io.vigil.rules.Event;
      global io.vigil.rules.Alerts alerts;

      rule "Door opened"
      when
          $e : Event(type == "door.opened", $host : host)
      then
          alerts.raise(kcontext, $host).summary("door " + $host).evidence($e);
      end

      rule "Fire alarm"
          @severity("critical") @cooldown("1h") @channels("audit-log")
      when
          $e : Event(type == "fire.alarm", $host : host)
      then
          alerts.raise(kcontext, $host).summary("fire at " + $host);
      end

      rule "Pager to nowhere"
          @channels("audit-log, no-such-channel")
      when
          $e : Event(type == "nowhere")
      then
          alerts.raise(kcontext, "x");
      end
      """;

  static final String BROKEN = """
      package test.broken;
      import io.vigil.rules.Event;
      global io.vigil.rules.Alerts alerts;

      rule "Broken"
      when
          $e : Event(tpye == "x")
      then
          alerts.raise(kcontext, "x");
      end
      """;

  @BeforeAll
  static void start() {
    TestDatabase.truncate();
    server = TestServer.builder()
        .rule("lifecycle.drl", RULES)
        .rule("broken.drl", BROKEN)
        .logChannel("audit-log")
        .logChannel("ops-log")
        .env("VIGIL_DEFAULT_CHANNELS", "ops-log")
        .start();
    api = server.api();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @BeforeEach
  void quiet() {
    // each test uses its own hosts, so alerts from one never dedupe into another
  }

  static void post(String type, String host) {
    Api.Response r = api.post("/api/v1/events", "{\"type\":\"" + type + "\",\"host\":\"" + host + "\"}");
    assertEquals(202, r.status(), r.body());
  }

  static List<JsonObject> alerts(String rule, String key) {
    return api.get("/api/v1/alerts?rule=" + rule.replace(" ", "%20")).items().stream().map(o -> (JsonObject) o)
        .filter(a -> a.getString("key").equals(key)).toList();
  }

  static void awaitProcessed() {
    await().atMost(Duration.ofSeconds(30)).until(TestDatabase::engineCaughtUp);
  }

  @Test
  @DisplayName("while an alert is open a raise adds an occurrence and evidence; after resolve a raise opens a new alert")
  void dedupe_while_open_then_new_alert_after_resolve() {
    post("door.opened", "lab-1");
    post("door.opened", "lab-1");
    awaitProcessed();
    List<JsonObject> open = alerts("Door opened", "lab-1");
    assertEquals(1, open.size());
    JsonObject first = api.get("/api/v1/alerts/" + open.get(0).getString("id")).json();
    assertEquals(2, first.getInteger("occurrences"));
    assertEquals(2, first.getJsonArray("evidence").size());
    assertEquals(1, first.getJsonArray("deliveries").size(), "one page, not two");

    assertEquals(200, api.post("/api/v1/alerts/" + first.getString("id") + "/acknowledge", "").status());
    post("door.opened", "lab-1");
    awaitProcessed();
    assertEquals(1, alerts("Door opened", "lab-1").size(), "still one while acknowledged");
    assertEquals(3, api.get("/api/v1/alerts/" + first.getString("id")).json().getInteger("occurrences"));

    assertEquals(200, api.post("/api/v1/alerts/" + first.getString("id") + "/resolve", "").status());
    post("door.opened", "lab-1");
    awaitProcessed();
    List<JsonObject> after = alerts("Door opened", "lab-1");
    assertEquals(2, after.size());
    assertEquals("active", after.get(0).getString("status"), "newest first");
    assertNotEquals(first.getString("id"), after.get(0).getString("id"));
    assertEquals(first.getString("fingerprint"), after.get(0).getString("fingerprint"));
  }

  @Test
  @DisplayName("inside @cooldown a raise only counts an occurrence, even after the alert was resolved")
  void cooldown_counts_occurrences_without_paging() {
    post("fire.alarm", "hall-2");
    awaitProcessed();
    String id = alerts("Fire alarm", "hall-2").get(0).getString("id");
    assertEquals(200, api.post("/api/v1/alerts/" + id + "/resolve", "").status());
    post("fire.alarm", "hall-2");
    post("fire.alarm", "hall-2");
    awaitProcessed();
    List<JsonObject> all = alerts("Fire alarm", "hall-2");
    assertEquals(1, all.size(), "no new alert inside the cooldown");
    JsonObject alert = api.get("/api/v1/alerts/" + id).json();
    assertEquals(3, alert.getInteger("occurrences"));
    assertEquals("resolved", alert.getString("status"));
    assertEquals(1, alert.getJsonArray("deliveries").size());
    assertEquals("critical", alert.getString("severity"));
  }

  @Test
  @DisplayName("a rule without @channels goes to the default channels; an unknown channel fails with unknown_channel")
  void default_and_unknown_channels() {
    post("door.opened", "gate-3");
    post("nowhere", "n");
    awaitProcessed();
    JsonObject door = api.get("/api/v1/alerts/" + alerts("Door opened", "gate-3").get(0).getString("id")).json();
    assertEquals("ops-log", door.getJsonArray("deliveries").getJsonObject(0).getString("channel"));
    JsonObject nowhere = api.get("/api/v1/alerts/" + alerts("Pager to nowhere", "x").get(0).getString("id")).json();
    JsonArray deliveries = await().atMost(Duration.ofSeconds(30)).until(
        () -> api.get("/api/v1/alerts/" + nowhere.getString("id")).json().getJsonArray("deliveries"),
        d -> d.stream().map(o -> ((JsonObject) o).getString("status")).allMatch(s -> !s.equals("pending")));
    Set<String> seen = new HashSet<>();
    for (Object o : deliveries) {
      JsonObject d = (JsonObject) o;
      seen.add(d.getString("channel"));
      if (d.getString("channel").equals("no-such-channel")) {
        assertEquals("failed", d.getString("status"));
        assertTrue(d.getString("last_error").startsWith("unknown_channel"), d.encode());
      } else {
        assertEquals("delivered", d.getString("status"));
        assertNull(d.getString("last_error"));
      }
    }
    assertEquals(Set.of("audit-log", "no-such-channel"), seen);
    JsonArray warnings = api.get("/api/v1/rules").json().getJsonArray("warnings");
    assertTrue(warnings.encode().contains("no-such-channel"), warnings.encode());
  }

  @Test
  @DisplayName("a rule file that does not compile is reported with file:line:column and the other files run")
  void broken_file_is_reported_and_others_run() {
    JsonObject rules = api.get("/api/v1/rules").json();
    JsonArray failed = rules.getJsonArray("failed_files");
    assertEquals(1, failed.size(), failed.encode());
    JsonObject broken = failed.getJsonObject(0);
    assertEquals("broken.drl", broken.getString("file"));
    JsonObject error = broken.getJsonArray("errors").getJsonObject(0);
    assertEquals("broken.drl", error.getString("file"));
    assertEquals(7, error.getInteger("line"));
    assertEquals(16, error.getInteger("column"), error.encode());
    assertTrue(rules.getJsonArray("rules").stream().anyMatch(r -> ((JsonObject) r).getString("name").equals("Door opened")));
  }

  @Test
  @DisplayName("alerts page newest first with an opaque cursor, and filter by status and severity")
  void pagination_and_filters() {
    for (int i = 0; i < 5; i++) {
      post("door.opened", "page-" + i);
    }
    awaitProcessed();
    List<String> keys = new java.util.ArrayList<>();
    List<String> ids = new java.util.ArrayList<>();
    String cursor = null;
    int pages = 0;
    do {
      Api.Response r = api.get("/api/v1/alerts?rule=Door%20opened&limit=2" + (cursor == null ? "" : "&cursor=" + cursor));
      assertEquals(200, r.status(), r.body());
      assertTrue(r.items().size() <= 2);
      r.items().forEach(o -> {
        keys.add(((JsonObject) o).getString("key"));
        ids.add(((JsonObject) o).getString("id"));
      });
      cursor = r.json().getString("next");
      pages++;
    } while (cursor != null && pages < 20);
    List<String> pageKeys = keys.stream().filter(k -> k.startsWith("page-")).toList();
    assertEquals(List.of("page-4", "page-3", "page-2", "page-1", "page-0"), pageKeys);
    assertEquals(ids.size(), new HashSet<>(ids).size(), "no alert twice across pages");
    assertEquals(api.get("/api/v1/alerts?rule=Door%20opened&limit=1000").items().size(), ids.size(),
        "and none missed");
    assertEquals(400, api.get("/api/v1/alerts?limit=1001").status());
    assertEquals(400, api.get("/api/v1/alerts?cursor=bogus").status());
    assertEquals(400, api.get("/api/v1/alerts?status=open").status());
    assertTrue(api.get("/api/v1/alerts?severity=emergency").items().isEmpty());
    assertTrue(api.get("/api/v1/alerts?status=active&rule=Door%20opened").items().size() >= 5);
  }
}
