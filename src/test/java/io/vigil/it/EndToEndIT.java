package io.vigil.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vigil.testing.Api;
import io.vigil.testing.Receiver;
import io.vigil.testing.TestDatabase;
import io.vigil.testing.TestServer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The whole path with real parts: events over HTTP into the journal, the shipped brute-force
 * rule in a Drools session, the alert in PostgreSQL, and a signed webhook at a loopback
 * receiver; then acknowledge and resolve over the API.
 */
class EndToEndIT {
  static final String SECRET_KEY = "vigil-e2e-test-key-0123456789";
  static final String SECRET = "whsec_" + Base64.getEncoder().encodeToString(SECRET_KEY.getBytes(StandardCharsets.UTF_8));

  static Receiver receiver;
  static TestServer server;
  static Api api;

  @BeforeAll
  static void start() throws Exception {
    TestDatabase.truncate();
    receiver = new Receiver();
    server = TestServer.builder()
        .sampleRules()
        .webhook("secops-webhook", receiver.url("/hook"), SECRET)
        .logChannel("audit-log")
        .start();
    api = server.api();
  }

  @AfterAll
  static void stop() {
    server.close();
    receiver.close();
  }

  @BeforeEach
  void clean() {
    receiver.answer(r -> Receiver.Answer.status(200));
  }

  static String loginFailed(String id, String ip, String user) {
    return "{\"id\":\"" + id + "\",\"type\":\"auth.login_failed\",\"ip\":\"" + ip + "\",\"user\":\"" + user
        + "\",\"source\":\"sso\",\"time\":\"" + Instant.now() + "\"}";
  }

  @Test
  @DisplayName("five failed logins from one IP raise one alert, delivered once to a signed webhook, then ack and resolve")
  void brute_force_end_to_end() throws Exception {
    String ip = "203.0.113.7";
    for (int i = 1; i <= 7; i++) {
      Api.Response r = api.post("/api/v1/events", loginFailed("bf-" + i, ip, "alice"));
      assertEquals(202, r.status(), r.body());
      assertEquals(1, r.json().getInteger("accepted"));
    }
    JsonObject alert = await().atMost(Duration.ofSeconds(30)).until(
        () -> alertsOf("Brute force login"), list -> list.size() == 1).get(0);
    assertEquals(ip, alert.getString("key"));
    assertEquals("high", alert.getString("severity"));
    assertEquals("active", alert.getString("status"));
    assertEquals(64, alert.getString("fingerprint").length());

    List<Receiver.Request> hooks = await().atMost(Duration.ofSeconds(30)).until(
        receiver::requests, l -> !l.isEmpty());
    Receiver.Request hook = hooks.get(0);
    String id = hook.header("webhook-id");
    String ts = hook.header("webhook-timestamp");
    String expected = "v1," + Base64.getEncoder().encodeToString(hmac(id + "." + ts + ".", hook.body()));
    assertEquals(expected, hook.header("webhook-signature"), "Standard Webhooks signature");
    JsonObject payload = new JsonObject(hook.bodyText());
    assertEquals("alert.raised", payload.getString("type"));
    JsonObject sent = payload.getJsonObject("alert");
    for (String field : List.of("id", "rule", "key", "fingerprint", "severity", "status", "summary", "tags",
        "first_seen", "last_seen", "occurrences")) {
      assertTrue(sent.containsKey(field), "webhook alert has " + field);
    }
    assertEquals(alert.getString("id"), sent.getString("id"));
    assertTrue(payload.getString("message").contains("Brute force"), payload.getString("message"));

    JsonObject full = await().atMost(Duration.ofSeconds(30)).until(
        () -> api.get("/api/v1/alerts/" + alert.getString("id")).json(),
        a -> a.getJsonArray("deliveries").stream().allMatch(d -> "delivered".equals(((JsonObject) d).getString("status"))));
    Set<String> channels = full.getJsonArray("deliveries").stream()
        .map(d -> ((JsonObject) d).getString("channel")).collect(Collectors.toSet());
    assertEquals(Set.of("secops-webhook", "audit-log"), channels);
    JsonObject webhookDelivery = full.getJsonArray("deliveries").stream().map(d -> (JsonObject) d)
        .filter(d -> d.getString("channel").equals("secops-webhook")).findFirst().orElseThrow();
    assertEquals(id, webhookDelivery.getString("id"), "webhook-id is the delivery id");
    assertEquals(5, full.getJsonArray("evidence").size());
    assertEquals(1, receiver.requests().size(), "delivered exactly once");

    Api.Response ack = api.post("/api/v1/alerts/" + alert.getString("id") + "/acknowledge",
        "{\"by\":\"oncall@example.org\",\"note\":\"looking\"}");
    assertEquals(200, ack.status(), ack.body());
    assertEquals("acknowledged", ack.json().getString("status"));
    assertEquals("oncall@example.org", ack.json().getString("acknowledged_by"));
    Api.Response resolved = api.post("/api/v1/alerts/" + alert.getString("id") + "/resolve", "");
    assertEquals(200, resolved.status(), resolved.body());
    assertEquals("resolved", resolved.json().getString("status"));
    Api.Response again = api.post("/api/v1/alerts/" + alert.getString("id") + "/acknowledge", "");
    assertEquals(409, again.status());
    assertEquals("conflict", again.errorCode());
    assertEquals("resolved", api.get("/api/v1/alerts/" + alert.getString("id")).json().getString("status"));
  }

  @Test
  @DisplayName("an event resent with the same id is stored and counted once")
  void duplicate_ids_are_counted_once() {
    String body = "{\"id\":\"dup-1\",\"type\":\"app.deploy\",\"host\":\"web-1\"}";
    Api.Response first = api.post("/api/v1/events", body);
    Api.Response second = api.post("/api/v1/events", body);
    assertEquals(202, first.status());
    assertEquals(202, second.status());
    assertEquals(1, first.json().getInteger("accepted"));
    assertEquals(0, second.json().getInteger("accepted"));
    assertEquals(1, second.json().getInteger("duplicates"));
    assertEquals(new JsonArray().add("dup-1"), second.json().getJsonArray("duplicate_ids"));
    assertEquals(new JsonArray().add("dup-1"), second.json().getJsonArray("ids"));
    assertEquals(1, TestDatabase.count("SELECT count(*) FROM events WHERE id = 'dup-1'"));

    Api.Response batch = api.post("/api/v1/events",
        "[{\"id\":\"dup-2\",\"type\":\"x\"},{\"id\":\"dup-2\",\"type\":\"x\"},{\"type\":\"x\"}]");
    assertEquals(202, batch.status(), batch.body());
    assertEquals(2, batch.json().getInteger("accepted"));
    assertEquals(1, batch.json().getInteger("duplicates"));
    assertEquals(3, batch.json().getJsonArray("ids").size(), "ids in input order, generated where absent");
    assertEquals("dup-2", batch.json().getJsonArray("ids").getString(0));
    assertEquals("dup-2", batch.json().getJsonArray("ids").getString(1));
    assertNotNull(batch.json().getJsonArray("ids").getString(2));
  }

  @Test
  @DisplayName("NDJSON and CloudEvents bodies are accepted")
  void ndjson_and_cloudevents() {
    Api.Response nd = api.post("/api/v1/events",
        "{\"type\":\"a.one\"}\n\n{\"type\":\"a.two\",\"host\":\"h\"}\n", "application/x-ndjson");
    assertEquals(202, nd.status(), nd.body());
    assertEquals(2, nd.json().getInteger("accepted"));
    Api.Response ce = api.post("/api/v1/events",
        "{\"specversion\":\"1.0\",\"id\":\"ce-1\",\"source\":\"/sensor\",\"type\":\"net.scan\","
            + "\"time\":\"" + Instant.now() + "\",\"data\":{\"port\":22}}",
        "application/cloudevents+json");
    assertEquals(202, ce.status(), ce.body());
    List<java.util.Map<String, Object>> rows = TestDatabase.query(
        "SELECT type, body->'attributes'->>'port' AS port, body->>'source' AS source FROM events WHERE id = 'ce-1'");
    assertEquals("net.scan", rows.get(0).get("type"));
    assertEquals("22", rows.get(0).get("port"));
    assertEquals("/sensor", rows.get(0).get("source"));
    Api.Response batch = api.post("/api/v1/events",
        "[{\"specversion\":\"1.0\",\"id\":\"ce-2\",\"source\":\"s\",\"type\":\"t\"}]",
        "application/cloudevents-batch+json");
    assertEquals(202, batch.status(), batch.body());
  }

  @Test
  @DisplayName("health, readiness and metrics answer without a token")
  void health_ready_metrics() {
    Api anonymous = server.api(null);
    assertEquals(200, anonymous.get("/health").status());
    Api.Response ready = anonymous.get("/ready");
    assertEquals(200, ready.status());
    assertEquals("up", ready.json().getString("database"));
    Api.Response metrics = anonymous.get("/metrics");
    assertEquals(200, metrics.status());
    assertTrue(metrics.body().contains("vigil_events_received_total"));
  }

  @Test
  @DisplayName("the rules endpoint lists the loaded sample rules with their files and metadata")
  void lists_rules() {
    Api.Response r = api.get("/api/v1/rules");
    assertEquals(200, r.status());
    JsonArray rules = r.json().getJsonArray("rules");
    JsonObject brute = rules.stream().map(o -> (JsonObject) o)
        .filter(o -> o.getString("name").equals("Brute force login")).findFirst().orElseThrow();
    assertEquals("brute-force.drl", brute.getString("file"));
    assertEquals("high", brute.getString("severity"));
    assertEquals(new JsonArray().add("secops-webhook").add("audit-log"), brute.getJsonArray("channels"));
    assertTrue(r.json().getJsonArray("failed_files").isEmpty());
    assertFalse(r.json().getString("version").isEmpty());
  }

  private static List<JsonObject> alertsOf(String rule) {
    Api.Response r = api.get("/api/v1/alerts?rule=" + rule.replace(" ", "%20"));
    return r.items().stream().map(o -> (JsonObject) o).toList();
  }

  static byte[] hmac(String prefix, byte[] body) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(SECRET_KEY.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
    mac.update(prefix.getBytes(StandardCharsets.UTF_8));
    return mac.doFinal(body);
  }
}
