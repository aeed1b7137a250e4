package io.vigil.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vigil.testing.Api;
import io.vigil.testing.Receiver;
import io.vigil.testing.TestDatabase;
import io.vigil.testing.TestServer;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /api/v1/stats} against a known workload in tenant acme (6 events, 3 alerts of
 * two rules, 6 deliveries of which 2 fail and 1 is skipped below its channel's min_severity), while tenant globex has its own events, alerts
 * and deliveries that acme must never see counted.
 */
class StatsIT {
  static final String RULES = """
      package test.stats;
      import io.vigil.rules.Event;
      global io.vigil.rules.Alerts alerts;

      rule "Stats probe"
          @severity("critical") @channels("hook, broken")
      when
          $e : Event(type == "stats.alert", $host : host)
      then
          alerts.raise(kcontext, $host).summary("probe " + $host);
      end

      rule "Stats low"
          @severity("low") @channels("hook, picky")
      when
          $e : Event(type == "stats.low", $host : host)
      then
          alerts.raise(kcontext, $host).summary("low " + $host);
      end
      """;

  static Receiver hook;
  static Receiver broken;
  static TestServer server;
  static Api acme;
  static Api globex;

  @BeforeAll
  static void start() throws Exception {
    TestDatabase.truncate();
    hook = new Receiver();
    broken = new Receiver();
    broken.answer(r -> Receiver.Answer.status(400));
    server = TestServer.builder()
        .rule("stats.drl", RULES)
        .channels("  - name: picky\n    type: log\n    min_severity: high\n")
        .webhook("hook", hook.url("/hook"), null)
        .webhook("broken", broken.url("/broken"), null)
        .start();
    acme = server.api(server.newKey("acme", "ingest", "read", "respond"));
    globex = server.api(server.newKey("globex", "ingest", "read"));

    assertEquals(202, acme.post("/api/v1/events", """
        [{"type":"noise.a"},{"type":"noise.a"},{"type":"noise.b"},
         {"type":"stats.alert","host":"h1"},{"type":"stats.alert","host":"h2"},{"type":"stats.low","host":"h3"}]
        """).status());
    assertEquals(202, globex.post("/api/v1/events", """
        [{"type":"stats.alert","host":"x1"},{"type":"stats.alert","host":"x2"},{"type":"noise.a"},{"type":"noise.a"}]
        """).status());
    await().atMost(Duration.ofSeconds(30)).until(() -> TestDatabase.count(
        "SELECT count(*) FROM deliveries WHERE status <> 'pending'") == 10);
    String h1 = acme.get("/api/v1/alerts?rule=Stats%20probe").items().stream().map(o -> (JsonObject) o)
        .filter(a -> a.getString("key").equals("h1")).findFirst().orElseThrow().getString("id");
    assertEquals(200, acme.post("/api/v1/alerts/" + h1 + "/acknowledge", "{}").status());
  }

  @AfterAll
  static void stop() {
    server.close();
    hook.close();
    broken.close();
  }

  @Test
  @DisplayName("the last 24 hours of the caller's tenant: events by type, alerts by rule, severity and status, deliveries by channel and status")
  void counts_match_the_workload() {
    Api.Response r = acme.get("/api/v1/stats");
    assertEquals(200, r.status(), r.body());
    JsonObject s = r.json();
    assertEquals("acme", s.getString("tenant"));
    assertEquals(Duration.ofHours(24),
        Duration.between(Instant.parse(s.getString("since")), Instant.parse(s.getString("until"))));

    assertEquals(new JsonObject().put("total", 6).put("by_type",
        new JsonObject().put("noise.a", 2).put("stats.alert", 2).put("noise.b", 1).put("stats.low", 1)),
        s.getJsonObject("events"));
    assertEquals(new JsonObject().put("total", 3).put("occurrences", 3)
        .put("by_rule", new JsonObject().put("Stats probe", 2).put("Stats low", 1))
        .put("by_severity", new JsonObject().put("critical", 2).put("low", 1))
        .put("by_status", new JsonObject().put("active", 2).put("acknowledged", 1)), s.getJsonObject("alerts"));
    assertEquals(new JsonObject().put("total", 6)
        .put("by_channel", new JsonObject().put("hook", 3).put("broken", 2).put("picky", 1))
        .put("by_status", new JsonObject().put("delivered", 3).put("failed", 2).put("skipped", 1))
        .put("by_kind", new JsonObject().put("raised", 6))
        .put("by_reason", new JsonObject().put("below_min_severity", 1)), s.getJsonObject("deliveries"));

    JsonObject g = globex.get("/api/v1/stats").json();
    assertEquals(4, g.getJsonObject("events").getInteger("total"));
    assertEquals(2, g.getJsonObject("alerts").getInteger("total"));
    assertEquals(4, g.getJsonObject("deliveries").getInteger("total"));
  }

  @Test
  @DisplayName("since and until bound the range; a range without activity counts nothing")
  void range() {
    JsonObject empty = acme.get("/api/v1/stats?since=2000-01-01T00:00:00Z&until=2000-01-02T00:00:00Z").json();
    assertEquals("2000-01-01T00:00:00Z", empty.getString("since"));
    assertEquals(0, empty.getJsonObject("events").getInteger("total"));
    assertEquals(new JsonObject(), empty.getJsonObject("events").getJsonObject("by_type"));
    assertEquals(0, empty.getJsonObject("alerts").getInteger("total"));
    assertEquals(0, empty.getJsonObject("deliveries").getInteger("total"));

    String since = Instant.now().minus(Duration.ofDays(2)).toString();
    JsonObject wide = acme.get("/api/v1/stats?since=" + since).json();
    assertEquals(6, wide.getJsonObject("events").getInteger("total"));
    assertEquals(since, wide.getString("since"));
  }

  @Test
  @DisplayName("more than 100 event types: the 100 most frequent are named, the rest counted as other_types")
  void many_types_are_capped() {
    Api many = server.api(server.newKey("many", "ingest", "read"));
    JsonArray batch = new JsonArray();
    for (int i = 0; i < 102; i++) {
      batch.add(new JsonObject().put("type", "t" + i));
    }
    batch.add(new JsonObject().put("type", "t0"));
    assertEquals(202, many.post("/api/v1/events", batch.encode()).status());
    JsonObject events = many.get("/api/v1/stats").json().getJsonObject("events");
    assertEquals(103, events.getInteger("total"));
    assertEquals(100, events.getJsonObject("by_type").size());
    assertEquals(2, events.getJsonObject("by_type").getInteger("t0"));
    assertEquals(2, events.getInteger("other_types"));
  }

  @Test
  @DisplayName("a bad since or until, or a range that ends before it starts, is 400 and counts nothing")
  void bad_params() {
    JsonObject before = acme.get("/api/v1/stats").json();
    for (String q : new String[] {"since=yesterday", "until=2026-13-01T00:00:00Z", "since=1700000000",
        "since=2026-01-02T00:00:00Z&until=2026-01-01T00:00:00Z", "since=2026-01-01T00:00:00Z&until=2026-01-01T00:00:00Z",
        "since=" + Instant.now().plus(Duration.ofHours(1))}) {
      Api.Response r = acme.get("/api/v1/stats?" + q);
      assertEquals(400, r.status(), q + ": " + r.body());
      assertEquals("invalid_request", r.errorCode(), q);
    }
    JsonObject after = acme.get("/api/v1/stats").json();
    after.remove("since");
    after.remove("until");
    before.remove("since");
    before.remove("until");
    assertEquals(before, after);
    assertEquals(401, server.api(null).get("/api/v1/stats").status());
    Api ingestOnly = server.api(server.newKey("acme", "ingest"));
    Api.Response forbidden = ingestOnly.get("/api/v1/stats");
    assertEquals(403, forbidden.status());
    assertEquals("forbidden", forbidden.errorCode());
    assertFalse(forbidden.body().contains("total"));
  }
}
