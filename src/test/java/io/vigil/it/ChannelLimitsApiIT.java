package io.vigil.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vigil.testing.Api;
import io.vigil.testing.TestDatabase;
import io.vigil.testing.TestServer;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The noise-control keys of channels over the API: {@code max_per_hour} and {@code digest}
 * are validated like every key (bad input is 400 with the message, and nothing changes),
 * and digest and held-back templates can be previewed.
 */
class ChannelLimitsApiIT {
  TestServer server;
  Api acme;

  @BeforeEach
  void start() {
    TestDatabase.truncate();
    server = TestServer.builder().logChannel("audit-log").start();
    acme = server.api(server.newKey("acme", "admin", "read"));
  }

  @AfterEach
  void stop() {
    server.close();
  }

  static List<String> messages(Api.Response r) {
    JsonArray details = r.json().getJsonObject("error").getJsonArray("details");
    return details.stream().map(d -> ((JsonObject) d).getString("message")).toList();
  }

  @Test
  @DisplayName("digest on a pagerduty channel and a bad max_per_hour are 400 invalid_request with the message; nothing stored")
  void bad_limits_are_refused() {
    Map<String, Long> before = TestDatabase.snapshot();
    Api.Response pd = acme.post("/api/v1/channels", new JsonObject().put("name", "oncall").put("type", "pagerduty")
        .put("routing_key", "rk-0123").put("digest", "5m").encode());
    assertEquals(400, pd.status(), pd.body());
    assertEquals("invalid_request", pd.errorCode());
    assertEquals(List.of("digest: is not allowed on a pagerduty channel: PagerDuty opens one incident per alert,"
        + " so its alerts cannot be batched into a digest"), messages(pd));

    for (Object bad : List.of(0, -1, "many", 1.5)) {
      Api.Response r = acme.post("/api/v1/channels", new JsonObject().put("name", "audit2").put("type", "log")
          .put("max_per_hour", bad).encode());
      assertEquals(400, r.status(), bad + ": " + r.body());
      assertEquals("invalid_request", r.errorCode());
      assertEquals(1, messages(r).size(), r.body());
      assertTrue(messages(r).get(0).startsWith("max_per_hour: must be"), r.body());
    }
    Api.Response shortDigest = acme.post("/api/v1/channels", new JsonObject().put("name", "audit2").put("type", "log")
        .put("digest", "1s").encode());
    assertEquals(400, shortDigest.status());
    assertEquals(List.of("digest: must be at least 10s, got 1s"), messages(shortDigest));

    assertEquals(before, TestDatabase.snapshot(), "nothing stored");
    assertEquals(404, acme.get("/api/v1/channels/oncall").status());
    assertEquals(404, acme.get("/api/v1/channels/audit2").status());
  }

  @Test
  @DisplayName("valid limits are stored and shown; a pagerduty channel may have max_per_hour")
  void limits_are_kept() {
    Api.Response created = acme.post("/api/v1/channels", new JsonObject().put("name", "quiet").put("type", "log")
        .put("max_per_hour", 20).put("digest", "5m").encode());
    assertEquals(201, created.status(), created.body());
    JsonObject shown = acme.get("/api/v1/channels/quiet").json();
    assertEquals(20, shown.getInteger("max_per_hour"));
    assertEquals("5m", shown.getString("digest"));
    Api.Response pd = acme.post("/api/v1/channels", new JsonObject().put("name", "oncall").put("type", "pagerduty")
        .put("routing_key", "rk-0123").put("url", "http://127.0.0.1:9/v2/enqueue").put("max_per_hour", 5).encode());
    assertEquals(201, pd.status(), pd.body());
    assertEquals(5, acme.get("/api/v1/channels/oncall").json().getInteger("max_per_hour"));
  }

  @Test
  @DisplayName("the digest and held_back templates preview with sample data; a bad delivery filter is 400")
  void previews_and_filters() {
    Api.Response digest = acme.post("/api/v1/templates/preview",
        "{\"type\":\"email\",\"event\":\"alerts.digest\"}");
    assertEquals(200, digest.status(), digest.body());
    assertTrue(digest.json().getJsonObject("parts").getString("subject").startsWith("[DIGEST] 3 alerts"), digest.body());
    assertEquals("email/digest.txt.ftl", digest.json().getJsonObject("templates").getString("txt"));
    Api.Response held = acme.post("/api/v1/templates/preview", "{\"type\":\"webhook\",\"event\":\"alerts.held_back\"}");
    assertEquals(200, held.status(), held.body());
    assertTrue(held.json().getJsonObject("parts").getString("").startsWith("7 alerts were held back by the rate limit"),
        held.body());
    assertEquals(400, acme.post("/api/v1/templates/preview",
        "{\"type\":\"webhook\",\"event\":\"alerts.digest\",\"template\":\"x\"}").status());

    assertEquals("invalid_request", acme.get("/api/v1/deliveries?kind=bogus").errorCode());
    assertEquals(200, acme.get("/api/v1/deliveries?status=held&kind=digest").status());
  }
}
