package io.vigil.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vigil.testing.Api;
import io.vigil.testing.Receiver;
import io.vigil.testing.TestDatabase;
import io.vigil.testing.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /api/v1/status}: the build's version, uptime, the running rule set's version
 * (and that it follows a reload), the engine sessions a key may see, every channel the
 * tenant can use with its last attempt (only the tenant's own attempts), and the outbox
 * backlog.
 */
class StatusIT {
  static final String RULES = """
      package test.status;
      import io.vigil.rules.Event;
      global io.vigil.rules.Alerts alerts;

      rule "Status probe"
          @severity("high") @channels("hook, broken, slow")
      when
          $e : Event(type == "status.alert", $host : host)
      then
          alerts.raise(kcontext, $host).summary("probe " + $host);
      end
      """;

  static Receiver hook;
  static Receiver broken;
  static Receiver slow;
  static TestServer server;
  static Api acme;

  @BeforeAll
  static void start() throws Exception {
    TestDatabase.truncate();
    hook = new Receiver();
    broken = new Receiver();
    broken.answer(r -> Receiver.Answer.status(400));
    slow = new Receiver();
    slow.answer(r -> new Receiver.Answer(503, Map.of("Retry-After", "3600"), ""));
    server = TestServer.builder()
        .rule("status.drl", RULES)
        .webhook("hook", hook.url("/hook"), null)
        .webhook("broken", broken.url("/broken"), null)
        .webhook("slow", slow.url("/slow"), null)
        .logChannel("unused")
        .env("VIGIL_DELIVERY_RETRY_MAX", "1h")
        .start();
    acme = server.api(server.newKey("acme", "ingest", "read", "admin"));
  }

  @AfterAll
  static void stop() {
    server.close();
    hook.close();
    broken.close();
    slow.close();
  }

  static String projectVersion() throws Exception {
    String pom = Files.readString(Path.of("pom.xml"));
    Matcher m = Pattern.compile("<artifactId>vigil</artifactId>\\s*<version>([^<]+)</version>").matcher(pom);
    assertTrue(m.find());
    return m.group(1);
  }

  static JsonObject channel(JsonObject status, String name) {
    return status.getJsonArray("channels").stream().map(o -> (JsonObject) o)
        .filter(c -> c.getString("name").equals(name)).findFirst().orElse(null);
  }

  @Test
  @DisplayName("version, uptime, and the rule set version, which follows a rule change")
  void version_uptime_rules() throws Exception {
    JsonObject s = acme.get("/api/v1/status").json();
    assertEquals(projectVersion(), s.getString("version"));
    assertTrue(s.getLong("uptime_seconds") >= 0);
    assertTrue(Instant.parse(s.getString("started_at")).isBefore(Instant.now().plusSeconds(1)));
    String version = server.api().get("/api/v1/rules").json().getString("version");
    assertEquals(version, s.getJsonObject("rules").getString("version"));
    assertEquals(1, s.getJsonObject("rules").getInteger("rules"));

    Api.Response put = server.api().send("PUT", "/api/v1/rules/files/status.drl",
        RULES.replace("status.alert", "status.alert2"), "text/plain");
    assertEquals(200, put.status(), put.body());
    JsonObject after = acme.get("/api/v1/status").json().getJsonObject("rules");
    assertNotEquals(version, after.getString("version"));
    assertEquals(server.api().get("/api/v1/rules").json().getString("version"), after.getString("version"));
    assertEquals(true, after.getJsonObject("last_reload").getBoolean("ok"));
    assertEquals(after.getString("version"), after.getJsonObject("last_reload").getString("version"));
    assertEquals(200, server.api().send("PUT", "/api/v1/rules/files/status.drl", RULES, "text/plain").status());
  }

  @Test
  @DisplayName("each channel's last attempt for the tenant, the tenant's own channels, the backlog and sessions")
  void channels_backlog_sessions() {
    assertEquals(201, acme.post("/api/v1/channels", "{\"name\":\"acme-log\",\"type\":\"log\"}").status());
    assertEquals(202, acme.post("/api/v1/events", "{\"type\":\"status.alert\",\"host\":\"s1\"}").status());
    await().atMost(Duration.ofSeconds(30)).until(() -> TestDatabase.count(
        "SELECT count(*) FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id WHERE d.tenant = 'acme'")
        == 3);

    JsonObject s = acme.get("/api/v1/status").json();
    JsonObject delivered = channel(s, "hook").getJsonObject("last_outcome");
    assertEquals("delivered", delivered.getString("outcome"));
    assertEquals(200, delivered.getInteger("status_code"));
    assertNull(delivered.getString("error"));
    assertNotNull(Instant.parse(delivered.getString("at")));
    JsonObject failed = channel(s, "broken").getJsonObject("last_outcome");
    assertEquals("failed", failed.getString("outcome"));
    assertEquals(400, failed.getInteger("status_code"));
    assertNotNull(failed.getString("error"));
    assertEquals("retry", channel(s, "slow").getJsonObject("last_outcome").getString("outcome"));
    assertNull(channel(s, "unused").getValue("last_outcome"), "never tried");
    assertEquals("webhook", channel(s, "hook").getString("type"));
    assertEquals(true, channel(s, "hook").getBoolean("read_only"));
    assertEquals(false, channel(s, "acme-log").getBoolean("read_only"));
    assertEquals("log", channel(s, "acme-log").getString("type"));

    JsonObject outbox = s.getJsonObject("outbox");
    assertEquals(1, outbox.getInteger("pending"), "the 503 waits an hour");
    assertNotNull(Instant.parse(outbox.getString("oldest_pending_at")));
    assertTrue(outbox.getDouble("oldest_pending_age_seconds") >= 0);

    JsonArray sessions = await().atMost(Duration.ofSeconds(30)).until(
        () -> acme.get("/api/v1/status").json().getJsonArray("sessions"),
        a -> a.size() == 1 && a.getJsonObject(0).getInteger("queued_events") == 0);
    assertEquals("acme", sessions.getJsonObject(0).getString("tenant"));
    assertEquals(true, sessions.getJsonObject(0).getBoolean("live"));
    assertEquals(0.0, sessions.getJsonObject(0).getDouble("lag_seconds"));
    assertEquals(1, sessions.getJsonObject(0).getInteger("held_events"), "the one event acme sent, in its windows");
    assertEquals(0, sessions.getJsonObject(0).getLong("evicted_events"));

    // Another tenant sees the same configured channels, none of acme's attempts, channels or backlog.
    Api globex = server.api(server.newKey("globex", "read"));
    JsonObject g = globex.get("/api/v1/status").json();
    assertNull(channel(g, "hook").getValue("last_outcome"));
    assertNull(channel(g, "acme-log"));
    assertEquals(0, g.getJsonObject("outbox").getInteger("pending"));
    assertNull(g.getJsonObject("outbox").getValue("oldest_pending_at"));
    assertTrue(g.getJsonArray("sessions").isEmpty(), "globex has no session, and acme's is not shown");

    // The operator sees every tenant's session.
    assertEquals(202, server.api().post("/api/v1/events", "{\"type\":\"noise\"}").status());
    List<String> tenants = await().atMost(Duration.ofSeconds(30)).until(() -> server.api().get("/api/v1/status")
        .json().getJsonArray("sessions").stream().map(o -> ((JsonObject) o).getString("tenant")).toList(),
        t -> t.size() == 2);
    assertEquals(List.of("acme", "default"), tenants);
  }

  @Test
  @DisplayName("status needs a key with the read scope")
  void scope() {
    assertEquals(401, server.api(null).get("/api/v1/status").status());
    Api.Response r = server.api(server.newKey("acme", "ingest")).get("/api/v1/status");
    assertEquals(403, r.status());
    assertEquals("forbidden", r.errorCode());
  }
}
