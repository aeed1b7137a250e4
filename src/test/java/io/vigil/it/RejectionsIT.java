package io.vigil.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vigil.testing.Api;
import io.vigil.testing.TestDatabase;
import io.vigil.testing.TestServer;
import java.time.Instant;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Bad input gets a clear error with a status and a stable code, and changes nothing: every
 * case compares the row counts of every table before and after.
 */
class RejectionsIT {
  static TestServer server;
  static Api api;
  static String acmeIngest;
  static String acmeRead;
  static String acmeAdmin;

  @BeforeAll
  static void start() {
    TestDatabase.truncate();
    server = TestServer.builder().sampleRules().logChannel("audit-log").logChannel("secops-webhook").start();
    api = server.api();
    acmeIngest = server.newKey("acme", "ingest");
    acmeRead = server.newKey("acme", "read");
    acmeAdmin = server.newKey("acme", "admin");
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  static String deep(int depth) {
    return "{\"type\":\"x\",\"attributes\":" + "{\"a\":".repeat(depth) + "1" + "}".repeat(depth) + "}";
  }

  static Stream<Arguments> badEvents() {
    String past = Instant.now().minusSeconds(7200).toString();
    String future = Instant.now().plusSeconds(3600).toString();
    return Stream.of(
        Arguments.of("malformed JSON", "{\"type\": \"x\",", "application/json", 400, "invalid_json"),
        Arguments.of("empty body", "", "application/json", 400, "invalid_json"),
        Arguments.of("missing type", "{\"ip\":\"1.2.3.4\"}", "application/json", 400, "invalid_event"),
        Arguments.of("type is a number", "{\"type\":5}", "application/json", 400, "invalid_event"),
        Arguments.of("time is a number", "{\"type\":\"x\",\"time\":1700000000}", "application/json", 400,
            "invalid_event"),
        Arguments.of("time is not ISO-8601", "{\"type\":\"x\",\"time\":\"yesterday\"}", "application/json", 400,
            "invalid_event"),
        Arguments.of("time too far in the past", "{\"type\":\"x\",\"time\":\"" + past + "\"}", "application/json",
            400, "invalid_event"),
        Arguments.of("time too far in the future", "{\"type\":\"x\",\"time\":\"" + future + "\"}",
            "application/json", 400, "invalid_event"),
        Arguments.of("attributes not an object", "{\"type\":\"x\",\"attributes\":[1]}", "application/json", 400,
            "invalid_event"),
        Arguments.of("unknown severity", "{\"type\":\"x\",\"severity\":\"warning\"}", "application/json", 400,
            "invalid_event"),
        Arguments.of("a batch with one bad event", "[{\"type\":\"ok\"},{\"type\":\"ok\"},{\"ip\":\"1.1.1.1\"}]",
            "application/json", 400, "invalid_event"),
        Arguments.of("an array of non-objects", "[1,2]", "application/json", 400, "invalid_event"),
        Arguments.of("an empty batch", "[]", "application/json", 400, "invalid_request"),
        Arguments.of("nesting deeper than 64", deep(70), "application/json", 400, "invalid_json"),
        Arguments.of("nesting depth 100000", deep(100_000), "application/json", 400, "invalid_json"),
        Arguments.of("a string over 64 KiB", "{\"type\":\"x\",\"user\":\"" + "u".repeat(70_000) + "\"}",
            "application/json", 400, "invalid_json"),
        Arguments.of("a body over 1 MiB", "{\"type\":\"x\",\"attributes\":{\"blob\":\"" + "b".repeat(1_100_000)
            + "\"}}", "application/json", 413, "body_too_large"),
        Arguments.of("more than 1000 events", "[" + "{\"type\":\"x\"},".repeat(1000) + "{\"type\":\"x\"}]",
            "application/json", 413, "body_too_large"),
        Arguments.of("a bad NDJSON line", "{\"type\":\"a\"}\n{nope}\n", "application/x-ndjson", 400,
            "invalid_json"),
        Arguments.of("an unsupported media type", "type=x", "text/plain", 415, "unsupported_media_type"),
        Arguments.of("a NUL character in an attribute", "{\"type\":\"x\",\"attributes\":{\"a\":\"x\\u0000y\"}}",
            "application/json", 400, "invalid_event"),
        Arguments.of("a number too large to store", "{\"type\":\"x\",\"size\":1e400}", "application/json", 400,
            "invalid_event"),
        Arguments.of("a CloudEvent without specversion", "{\"id\":\"1\",\"source\":\"s\",\"type\":\"t\"}",
            "application/cloudevents+json", 400, "invalid_event"));
  }

  @ParameterizedTest(name = "{0} -> {3} {4}")
  @MethodSource("badEvents")
  @DisplayName("a bad ingest request is rejected with its code and stores nothing")
  void bad_events_are_rejected_and_change_nothing(String name, String body, String type, int status, String code) {
    Map<String, Long> before = TestDatabase.snapshot();
    Api.Response r = api.post("/api/v1/events", body, type);
    assertEquals(status, r.status(), name + ": " + abbreviate(r.body()));
    assertEquals(code, r.errorCode(), name);
    assertNotNull(r.json().getJsonObject("error").getString("message"));
    assertEquals(before, TestDatabase.snapshot(), name + " changed nothing");
  }

  @Test
  @DisplayName("a batch with bad events names the index and field of each problem")
  void batch_details_name_index_and_field() {
    Api.Response r = api.post("/api/v1/events",
        "[{\"type\":\"ok\"},{\"type\":7},{\"type\":\"ok\",\"time\":\"nope\"},{}]");
    assertEquals(400, r.status());
    JsonArray details = r.json().getJsonObject("error").getJsonArray("details");
    assertEquals(3, details.size(), details.encode());
    assertEquals(new JsonObject().put("index", 1).put("field", "type"), pick(details.getJsonObject(0)));
    assertEquals(new JsonObject().put("index", 2).put("field", "time"), pick(details.getJsonObject(1)));
    assertEquals(new JsonObject().put("index", 3).put("field", "type"), pick(details.getJsonObject(2)));
  }

  @Test
  @DisplayName("a missing or wrong token is 401, a missing scope 403, and nothing changes")
  void authentication_and_scopes() {
    Map<String, Long> before = TestDatabase.snapshot();
    String event = "{\"type\":\"x\"}";
    Api.Response none = server.api(null).post("/api/v1/events", event);
    assertEquals(401, none.status());
    assertEquals("unauthorized", none.errorCode());
    assertTrue(none.header("WWW-Authenticate").startsWith("Bearer"));
    Api.Response wrong = server.api("vgl_not-a-real-token").post("/api/v1/events", event);
    assertEquals(401, wrong.status());
    assertEquals("unauthorized", wrong.errorCode());
    Api.Response readOnly = server.api(acmeRead).post("/api/v1/events", event);
    assertEquals(403, readOnly.status());
    assertEquals("forbidden", readOnly.errorCode());
    Api.Response ingestOnly = server.api(acmeIngest).get("/api/v1/alerts");
    assertEquals(403, ingestOnly.status());
    Api.Response noRespond = server.api(acmeRead).post("/api/v1/alerts/" + UUID.randomUUID() + "/resolve", "");
    assertEquals(403, noRespond.status());
    assertEquals(401, server.api(null).get("/api/v1/rules").status());
    assertEquals(before, TestDatabase.snapshot());
  }

  @Test
  @DisplayName("another tenant's alert is 404 on every alert endpoint, and stays as it was")
  void other_tenants_alerts_are_not_found() {
    for (int i = 0; i < 5; i++) {
      assertEquals(202, api.post("/api/v1/events", "{\"type\":\"auth.login_failed\",\"ip\":\"198.51.100.20\"}").status());
    }
    String id = org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30))
        .until(() -> api.get("/api/v1/alerts?rule=Brute%20force%20login").items(), a -> !a.isEmpty())
        .getJsonObject(0).getString("id");
    String acmeAll = server.newKey("acme", "read", "respond");
    Api acme = server.api(acmeAll);
    assertEquals(404, acme.get("/api/v1/alerts/" + id).status());
    assertEquals("not_found", acme.get("/api/v1/alerts/" + id).errorCode());
    assertEquals(404, acme.post("/api/v1/alerts/" + id + "/acknowledge", "").status());
    assertEquals(404, acme.post("/api/v1/alerts/" + id + "/resolve", "").status());
    assertTrue(acme.get("/api/v1/alerts").items().isEmpty(), "acme sees none of default's alerts");
    assertEquals(404, acme.get("/api/v1/alerts/not-a-uuid").status());
    assertEquals("active", api.get("/api/v1/alerts/" + id).json().getString("status"));
  }

  @Test
  @DisplayName("an admin key manages keys of its own tenant only and never grants operator")
  void admin_key_limits() {
    Api admin = server.api(acmeAdmin);
    Map<String, Long> before = TestDatabase.snapshot();
    Api.Response otherTenant = admin.post("/api/v1/api-keys", "{\"tenant\":\"globex\",\"scopes\":[\"read\"]}");
    assertEquals(403, otherTenant.status());
    Api.Response operator = admin.post("/api/v1/api-keys", "{\"scopes\":[\"operator\"]}");
    assertEquals(403, operator.status());
    Api.Response badScope = admin.post("/api/v1/api-keys", "{\"scopes\":[\"root\"]}");
    assertEquals(400, badScope.status());
    assertEquals("invalid_request", badScope.errorCode());
    Api.Response notJson = admin.post("/api/v1/api-keys", "{nope");
    assertEquals(400, notJson.status());
    Map<String, Long> after = TestDatabase.snapshot();
    // The two refused attempts are audited (result "forbidden"); nothing else is written.
    assertEquals(before.get("audit_log") + 2, after.get("audit_log"));
    before.remove("audit_log");
    after.remove("audit_log");
    assertEquals(before, after);

    Api.Response created = admin.post("/api/v1/api-keys", "{\"scopes\":[\"read\"],\"name\":\"dashboard\"}");
    assertEquals(201, created.status(), created.body());
    assertEquals("acme", created.json().getString("tenant"));
    String token = created.json().getString("token");
    String keyId = created.json().getString("id");
    assertEquals(200, server.api(token).get("/api/v1/alerts").status());

    JsonArray listed = admin.get("/api/v1/api-keys").items();
    assertTrue(listed.stream().allMatch(k -> ((JsonObject) k).getString("tenant").equals("acme")));
    assertTrue(listed.stream().noneMatch(k -> ((JsonObject) k).containsKey("token")), "tokens are never listed");
    assertTrue(listed.encode().indexOf(token) < 0);
    assertEquals(0, TestDatabase.count("SELECT count(*) FROM api_keys WHERE token_hash = ?", token),
        "only a hash is stored");

    assertEquals(404, admin.delete("/api/v1/api-keys/" + "key_operator").status(), "not its tenant's key");
    assertEquals(204, admin.delete("/api/v1/api-keys/" + keyId).status());
    assertEquals(401, server.api(token).get("/api/v1/alerts").status(), "a revoked key stops working");
  }

  @Test
  @DisplayName("unknown endpoints and methods answer in the same error shape")
  void unknown_routes() {
    Api.Response r = api.get("/api/v1/nope");
    assertEquals(404, r.status());
    assertEquals("not_found", r.errorCode());
    Api.Response m = api.send("PUT", "/api/v1/events", "{}", "application/json");
    assertEquals(405, m.status(), m.body());
    assertEquals("method_not_allowed", m.errorCode());
  }

  private static JsonObject pick(JsonObject detail) {
    return new JsonObject().put("index", detail.getInteger("index")).put("field", detail.getString("field"));
  }

  private static String abbreviate(String s) {
    return s.length() > 300 ? s.substring(0, 300) + "..." : s;
  }
}
