package io.vigil.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vigil.testing.Api;
import io.vigil.testing.PrometheusText;
import io.vigil.testing.Receiver;
import io.vigil.testing.TestDatabase;
import io.vigil.testing.TestServer;
import java.time.Duration;
import java.util.Map;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /metrics} read as Prometheus text after a known workload: 8 events received
 * of which 6 accepted, 2 rejected as invalid and 1 request that was not JSON; one alert
 * raised by one rule and sent to three webhooks (one answers 200, one 400, one 503 with
 * an hour's Retry-After); two rule file uploads (one good, one broken); an acknowledgement.
 * Every value is checked, and so is the format and the {@code vigil_} prefix.
 */
class MetricsIT {
  static final String RULES = """
      package test.metrics;
      import io.vigil.rules.Event;
      global io.vigil.rules.Alerts alerts;

      rule "Metrics probe"
          @severity("high") @channels("hook, broken, slow")
      when
          $e : Event(type == "probe.alert", $host : host)
      then
          alerts.raise(kcontext, $host).summary("probe " + $host);
      end
      """;

  static final String EXTRA = """
      package test.extra;
      import io.vigil.rules.Event;
      global io.vigil.rules.Alerts alerts;

      rule "Extra"
      when
          Event(type == "extra")
      then
          alerts.raise(kcontext, "x");
      end
      """;

  static Receiver hook;
  static Receiver broken;
  static Receiver slow;
  static TestServer server;
  static Api api;

  @BeforeAll
  static void start() throws Exception {
    TestDatabase.truncate();
    hook = new Receiver();
    broken = new Receiver();
    broken.answer(r -> Receiver.Answer.status(400));
    slow = new Receiver();
    slow.answer(r -> new Receiver.Answer(503, Map.of("Retry-After", "3600"), ""));
    server = TestServer.builder()
        .rule("metrics.drl", RULES)
        .webhook("hook", hook.url("/hook"), null)
        .webhook("broken", broken.url("/broken"), null)
        .webhook("slow", slow.url("/slow"), null)
        // the 503's Retry-After is honoured up to retry.max: the delivery stays pending
        .env("VIGIL_DELIVERY_RETRY_MAX", "1h")
        .start();
    api = server.api();
  }

  @AfterAll
  static void stop() {
    server.close();
    hook.close();
    broken.close();
    slow.close();
  }

  static PrometheusText scrape() {
    Api.Response r = server.api(null).get("/metrics");
    assertEquals(200, r.status());
    assertTrue(r.header("Content-Type").startsWith("text/plain"), r.header("Content-Type"));
    return PrometheusText.parse(r.body());
  }

  static PrometheusText awaitScrape(Predicate<PrometheusText> until) {
    return await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
        .until(MetricsIT::scrape, until);
  }

  @Test
  @DisplayName("after a known workload every vigil_ metric has the value the workload implies")
  void values_after_a_known_workload() {
    assertEquals(202, api.post("/api/v1/events",
        "[{\"type\":\"noise\"},{\"type\":\"noise\"},{\"type\":\"noise\"},{\"type\":\"noise\"},{\"type\":\"noise\"}]")
        .status());
    assertEquals(202, api.post("/api/v1/events", "{\"type\":\"probe.alert\",\"host\":\"p1\"}").status());
    assertEquals(400, api.post("/api/v1/events", "{\"host\":\"no type\"}").status());
    assertEquals(400, api.post("/api/v1/events", "{\"type\":\"x\",\"severity\":\"dire\"}").status());
    assertEquals(400, api.post("/api/v1/events", "{nope").status());

    PrometheusText m = awaitScrape(p -> p.valueOrZero("vigil_deliveries_total", "channel", "hook") == 1
        && p.valueOrZero("vigil_deliveries_total", "channel", "broken") == 1
        && p.valueOrZero("vigil_delivery_attempts_total", "channel", "slow") == 1
        && p.valueOrZero("vigil_alerts", "severity", "high", "status", "active") == 1
        && p.valueOrZero("vigil_outbox_backlog") == 1);

    assertEquals(8, m.valueOrZero("vigil_events_received_total"), "6 good events and 2 invalid ones were read");
    assertEquals(6, m.valueOrZero("vigil_events_accepted_total"));
    assertEquals(2, m.valueOrZero("vigil_events_rejected_total", "code", "invalid_event"));
    assertEquals(1, m.valueOrZero("vigil_events_rejected_total", "code", "invalid_json"));
    assertEquals(2, m.valueOrZero("vigil_ingest_latency_seconds_count"), "one per accepted request");

    assertEquals(1, m.valueOrZero("vigil_rule_firings_total", "tenant", "default", "rule", "Metrics probe"));
    assertEquals(1, m.find("vigil_rule_firings_total").size(), "only the rule that fired has a series");

    assertEquals(1, m.valueOrZero("vigil_deliveries_total", "tenant", "default", "channel", "hook",
        "outcome", "delivered"));
    assertEquals(1, m.valueOrZero("vigil_deliveries_total", "tenant", "default", "channel", "broken",
        "outcome", "failed"));
    assertEquals(0, m.valueOrZero("vigil_deliveries_total", "channel", "slow"), "not over yet");
    assertEquals(1, m.valueOrZero("vigil_delivery_attempts_total", "channel", "slow", "outcome", "retry"));
    assertEquals(1, m.valueOrZero("vigil_delivery_attempts_total", "channel", "hook", "outcome", "delivered"));

    assertEquals(1, m.valueOrZero("vigil_alerts", "severity", "high", "status", "active"));
    assertEquals(0, m.valueOrZero("vigil_alerts", "severity", "high", "status", "acknowledged"));
    assertEquals(0, m.valueOrZero("vigil_alerts", "severity", "critical", "status", "active"));
    assertEquals(24, m.find("vigil_alerts").size(), "every severity and status, no more");
    assertEquals("gauge", m.type("vigil_alerts").orElse(null));

    assertEquals(1, m.valueOrZero("vigil_outbox_backlog"));
    assertTrue(m.value("vigil_outbox_oldest_pending_age_seconds").isPresent());

    PrometheusText caughtUp = awaitScrape(p -> p.valueOrZero("vigil_engine_queue_depth", "tenant", "default") == 0
        && p.valueOrZero("vigil_engine_lag_seconds", "tenant", "default") == 0);
    assertTrue(caughtUp.value("vigil_engine_queue_depth", "tenant", "default").isPresent());
    PrometheusText aged = awaitScrape(p -> p.valueOrZero("vigil_outbox_oldest_pending_age_seconds") > 0.2);
    assertEquals(1, aged.valueOrZero("vigil_outbox_backlog"), "the slow delivery is still pending");

    // the acknowledgement moves the alert between series once the gauges are read again
    String id = api.get("/api/v1/alerts?rule=Metrics%20probe").items().getJsonObject(0).getString("id");
    assertEquals(200, api.post("/api/v1/alerts/" + id + "/acknowledge", "{}").status());
    PrometheusText acked = awaitScrape(p -> p.valueOrZero("vigil_alerts", "severity", "high",
        "status", "acknowledged") == 1);
    assertEquals(0, acked.valueOrZero("vigil_alerts", "severity", "high", "status", "active"));
  }

  @Test
  @DisplayName("rule changes count as reloads by result, and the loaded rules follow")
  void reloads_are_counted() {
    PrometheusText before = scrape();
    assertEquals(1, before.valueOrZero("vigil_rules_loaded"));
    double ok = before.valueOrZero("vigil_rule_reloads_total", "result", "ok");
    double rejected = before.valueOrZero("vigil_rule_reloads_total", "result", "rejected");

    Api.Response put = api.send("PUT", "/api/v1/rules/files/extra.drl", EXTRA, "text/plain");
    assertEquals(201, put.status(), put.body());
    Api.Response bad = api.send("PUT", "/api/v1/rules/files/bad.drl", EXTRA.replace("Event(", "Evnt("),
        "text/plain");
    assertEquals(422, bad.status(), bad.body());

    PrometheusText after = scrape();
    assertEquals(ok + 1, after.valueOrZero("vigil_rule_reloads_total", "result", "ok"));
    assertEquals(rejected + 1, after.valueOrZero("vigil_rule_reloads_total", "result", "rejected"));
    assertEquals(0, after.valueOrZero("vigil_rule_reloads_total", "result", "failed"));
    assertEquals(2, after.valueOrZero("vigil_rules_loaded"));
    assertEquals(200, api.delete("/api/v1/rules/files/extra.drl").status());
  }

  @Test
  @DisplayName("the output is valid Prometheus text; Vigil's meters share the vigil_ prefix, labels stay bounded")
  void format_prefix_and_labels() {
    assertEquals(200, api.get("/api/v1/alerts").status());
    PrometheusText m = scrape();
    for (PrometheusText.Sample s : m.samples()) {
      String n = s.name();
      boolean jvm = n.startsWith("jvm_") || n.startsWith("process_") || n.startsWith("system_");
      assertTrue(jvm || n.startsWith("vigil_"), "unprefixed metric " + n);
      assertFalse(s.labels().containsKey("path") || s.labels().containsKey("remote")
          || s.labels().containsKey("local"), "unbounded label on " + s);
    }
    assertTrue(m.value("jvm_memory_used_bytes", "area", "heap", "id", m.find("jvm_memory_used_bytes", "area", "heap")
        .get(0).labels().get("id")).isPresent(), "JVM metrics stay");
    assertTrue(m.value("vigil_vertx_pool_in_use", "pool_type", "sql", "pool_name", "vigil-db").isPresent(),
        "database connections in use");
    assertTrue(m.value("vigil_vertx_pool_queue_pending", "pool_type", "sql", "pool_name", "vigil-db").isPresent(),
        "requests waiting for a database connection");
    assertTrue(m.find("vigil_vertx_http_server_requests_total", "method", "GET").size() > 0,
        "Vert.x HTTP server meters");
    assertTrue(m.value("vigil_ingest_latency_seconds_bucket", "le", "+Inf").isPresent(), "a histogram");
  }
}
