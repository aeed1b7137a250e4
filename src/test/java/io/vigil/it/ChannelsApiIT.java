package io.vigil.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vigil.testing.Api;
import io.vigil.testing.LogCapture;
import io.vigil.testing.Receiver;
import io.vigil.testing.SecretLeaks;
import io.vigil.testing.TestDatabase;
import io.vigil.testing.TestServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Channels over the API: a tenant's own beside the configured ones (read-only), every field
 * validated, secrets encrypted at rest and never in a response, a log line or a stored
 * error, private targets refused when saved, and a test message on demand.
 */
class ChannelsApiIT {
  static final String TOKEN_PATH = "hooks/T0K3N-acme-7f3a9";
  static final String HMAC = "whsec_YWNtZS1zZWNyZXQta2V5LTEyMzQ1Njc4OTA=";

  Receiver receiver;
  TestServer server;
  Api acme;
  LogCapture logs;
  final List<String> responses = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    TestDatabase.truncate();
    logs = new LogCapture();
    receiver = new Receiver();
    server = TestServer.builder().logChannel("audit-log").start();
    acme = server.api(server.newKey("acme", "admin", "read", "ingest", "respond"));
  }

  @AfterEach
  void stop() {
    server.close();
    receiver.close();
    logs.close();
  }

  Api.Response call(Api.Response r) {
    responses.add(r.body());
    return r;
  }

  JsonObject webhook(String name) {
    return new JsonObject().put("name", name).put("type", "webhook").put("url", receiver.url("/" + TOKEN_PATH))
        .put("secret", HMAC).put("headers", new JsonObject().put("X-Api-Key", "hdr-secret-123"))
        .put("send_resolved", true);
  }

  @Test
  @DisplayName("create, list, get, update keeping secrets, test, delete; secrets never shown and stored encrypted")
  void channel_lifecycle() {
    Api.Response created = call(acme.post("/api/v1/channels", webhook("acme-hook").encode()));
    assertEquals(201, created.status(), created.body());
    assertEquals("<secret>", created.json().getString("url"));
    assertEquals("<secret>", created.json().getString("secret"));
    assertEquals("<secret>", created.json().getJsonObject("headers").getString("X-Api-Key"));

    JsonArray items = call(acme.get("/api/v1/channels")).items();
    assertTrue(items.stream().map(o -> (JsonObject) o)
        .anyMatch(c -> c.getString("name").equals("audit-log") && c.getBoolean("read_only")));
    assertTrue(items.stream().map(o -> (JsonObject) o)
        .anyMatch(c -> c.getString("name").equals("acme-hook") && !c.getBoolean("read_only")));
    JsonObject got = call(acme.get("/api/v1/channels/acme-hook")).json();
    assertTrue(got.getBoolean("send_resolved"));

    // Sending back what GET showed keeps the stored secrets.
    Api.Response updated = call(acme.send("PUT", "/api/v1/channels/acme-hook",
        got.copy().put("method", "PUT").encode(), "application/json"));
    assertEquals(200, updated.status(), updated.body());
    Api.Response tested = call(acme.post("/api/v1/channels/acme-hook/test", ""));
    assertEquals(200, tested.status(), tested.body());
    assertEquals("delivered", tested.json().getString("result"));
    Receiver.Request test = receiver.requests().get(0);
    assertEquals("PUT", test.method());
    assertEquals("/" + TOKEN_PATH, test.path(), "the stored URL was kept");
    assertEquals("hdr-secret-123", test.header("X-Api-Key"));
    assertEquals("test", new JsonObject(test.bodyText()).getString("type"));

    String stored = (String) TestDatabase.query("SELECT config FROM channels WHERE name = 'acme-hook'").get(0)
        .get("config");
    assertTrue(stored.startsWith("v1:"), "sealed");
    SecretLeaks.assertNone(stored, TOKEN_PATH, HMAC, "hdr-secret-123", "acme-hook-secret");

    assertEquals(404, call(server.api(server.newKey("globex", "admin")).get("/api/v1/channels/acme-hook")).status(),
        "another tenant's channel");
    assertEquals(204, acme.delete("/api/v1/channels/acme-hook").status());
    assertEquals(404, acme.get("/api/v1/channels/acme-hook").status());
    assertEquals(0, TestDatabase.count("SELECT count(*) FROM channels"));

    SecretLeaks.assertNone(responses, TOKEN_PATH, HMAC, "hdr-secret-123");
    SecretLeaks.assertNone(logs.lines(), TOKEN_PATH, HMAC, "hdr-secret-123");
    assertTrue(TestDatabase.count("SELECT count(*) FROM audit_log WHERE action LIKE 'channels.%'") >= 3);
  }

  @Test
  @DisplayName("an alert routed to a tenant channel is delivered there, with a resolved notice when asked for")
  void tenant_channel_delivers_and_sends_resolved() {
    assertEquals(201, acme.post("/api/v1/channels", webhook("acme-hook").encode()).status());
    assertEquals(201, server.api().send("PUT", "/api/v1/rules/files/acme.drl", """
        package t;
        import io.vigil.rules.Event;
        global io.vigil.rules.Alerts alerts;
        rule "Tenant channel" @channels("acme-hook")
        when
            $e : Event(type == "to.acme")
        then
            alerts.raise(kcontext, "k");
        end
        """, "text/plain").status());
    assertEquals(202, acme.post("/api/v1/events", "{\"type\":\"to.acme\"}").status());
    await().atMost(Duration.ofSeconds(30)).until(() -> receiver.requests().size() == 1);
    String alertId = new JsonObject(receiver.requests().get(0).bodyText()).getJsonObject("alert").getString("id");
    assertEquals(200, acme.post("/api/v1/alerts/" + alertId + "/resolve", "").status());
    await().atMost(Duration.ofSeconds(30)).until(() -> receiver.requests().size() == 2);
    assertEquals("alert.resolved", new JsonObject(receiver.requests().get(1).bodyText()).getString("type"));
    JsonArray deliveries = acme.get("/api/v1/deliveries?alert=" + alertId).items();
    assertEquals(2, deliveries.size(), deliveries.encode());
    assertTrue(deliveries.stream().map(o -> (JsonObject) o).allMatch(d -> d.getJsonArray("history").size() == 1));
  }

  @Test
  @DisplayName("invalid channels are 400 with every problem, names and read-only channels are guarded; nothing changes")
  void rejections() {
    Map<String, Long> before = TestDatabase.snapshot();
    Api.Response bad = acme.post("/api/v1/channels", new JsonObject().put("name", "Bad Name").put("type", "email")
        .put("port", 99999).put("tls", "maybe").put("to", new JsonArray()).put("min_severity", "huge").encode());
    assertEquals(400, bad.status(), bad.body());
    assertEquals("invalid_request", bad.errorCode());
    assertTrue(bad.json().getJsonObject("error").getJsonArray("details").size() >= 6, bad.body());
    assertEquals(400, acme.post("/api/v1/channels", "{\"name\":\"x\",\"type\":\"carrier-pigeon\"}").status());
    assertEquals(400, acme.post("/api/v1/channels",
        "{\"name\":\"x\",\"type\":\"webhook\",\"url\":\"ftp://example.org\"}").status());
    assertEquals(400, acme.post("/api/v1/channels",
        "{\"name\":\"x\",\"type\":\"webhook\",\"url\":\"https://x.example/${VIGIL_ADMIN_TOKEN}\"}").status() == 201
        ? 500 : 400, "a ${NAME} in API input is never expanded (and here the URL is simply invalid or kept literally)");
    assertEquals(409, acme.post("/api/v1/channels", "{\"name\":\"audit-log\",\"type\":\"log\"}").status());
    assertEquals(409, acme.send("PUT", "/api/v1/channels/audit-log", "{\"type\":\"log\"}", "application/json").status());
    assertEquals(409, acme.delete("/api/v1/channels/audit-log").status());
    assertEquals(404, acme.delete("/api/v1/channels/nope").status());
    assertEquals(403, server.api(server.newKey("acme", "read")).post("/api/v1/channels",
        "{\"name\":\"y\",\"type\":\"log\"}").status());
    Map<String, Long> after = TestDatabase.snapshot();
    // The read key made for the 403 is itself audited; the rejections wrote nothing.
    assertEquals(before.get("audit_log") + 1, after.get("audit_log"));
    for (String keyTables : new String[] {"api_keys", "audit_log"}) {
      after.remove(keyTables);
      before.remove(keyTables);
    }
    assertEquals(before, after);
  }

  @Test
  @DisplayName("with private targets off, loopback, private and link-local targets are refused when saved and when sent")
  void private_targets_refused() throws Exception {
    server.close();
    server = TestServer.builder().logChannel("audit-log").env("VIGIL_DELIVERY_ALLOW_PRIVATE_TARGETS", "false").start();
    acme = server.api(server.newKey("acme", "admin"));
    for (String url : List.of("http://127.0.0.1:9/x", "http://[::1]:9/x", "http://0.0.0.0:9/x",
        "http://169.254.169.254/latest/meta-data", "http://10.1.2.3/x", "http://100.64.0.1/x",
        "http://[::ffff:127.0.0.1]:9/x", "http://localhost:" + receiver.port() + "/x",
        "http://localtest.me:" + receiver.port() + "/x")) {
      Api.Response r = acme.post("/api/v1/channels",
          new JsonObject().put("name", "ssrf").put("type", "webhook").put("url", url).encode());
      assertEquals(400, r.status(), url + " -> " + r.body());
    }
    assertEquals(0, TestDatabase.count("SELECT count(*) FROM channels"));
    assertTrue(receiver.requests().isEmpty(), "nothing connected to the canary");
  }
}
