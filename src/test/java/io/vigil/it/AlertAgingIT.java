package io.vigil.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import io.vigil.testing.Api;
import io.vigil.testing.Receiver;
import io.vigil.testing.SettableClock;
import io.vigil.testing.TestDatabase;
import io.vigil.testing.TestServer;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * What happens to open alerts as time passes, on a settable clock against the whole server:
 * {@code @resolve_after} resolves an alert that stopped being raised, {@code @repeat} reminds
 * its channels while it stays active and unacknowledged, a rule's {@code alerts.resolve}
 * clears one, and raises counted without a delivery say why.
 */
class AlertAgingIT {
  static final String RULES = """
      package aging;
      import io.vigil.rules.Event;
      global io.vigil.rules.Alerts alerts;

      rule "Quiet" @severity("high") @channels("hook") @resolve_after("10m")
      when
          $e : Event(type == "quiet")
      then
          alerts.raise(kcontext, $e.getHost());
      end

      rule "Nagging" @severity("high") @channels("hook") @repeat("1h") @resolve_after("never")
      when
          $e : Event(type == "nag")
      then
          alerts.raise(kcontext, $e.getHost());
      end

      rule "Host down" @severity("critical") @channels("hook") @cooldown("1h")
      when
          $e : Event(type == "host.down")
      then
          alerts.raise(kcontext, $e.getHost());
      end

      rule "Host up"
      when
          $e : Event(type == "host.up")
      then
          alerts.resolve(kcontext, "Host down", $e.getHost());
      end
      """;

  final SettableClock clock = new SettableClock(Instant.now().truncatedTo(ChronoUnit.MILLIS));
  Receiver hook;
  TestServer server;
  Api api;

  @BeforeEach
  void start() throws Exception {
    TestDatabase.truncate();
    hook = new Receiver();
    server = TestServer.builder().clock(clock).rule("aging.drl", RULES)
        .channels("""
              - name: hook
                type: webhook
                url: %s
                send_resolved: true
            """.formatted(hook.url("/hook")))
        .env("VIGIL_ALERTS_CHECK_INTERVAL", "100ms")
        .start();
    api = server.api();
  }

  @AfterEach
  void stop() {
    server.close();
    hook.close();
  }

  void post(String type, String host) {
    assertEquals(202, api.post("/api/v1/events", "{\"type\":\"" + type + "\",\"host\":\"" + host + "\"}").status());
  }

  JsonObject alertOf(String rule, String host) {
    return await().atMost(Duration.ofSeconds(30)).until(
        () -> api.get("/api/v1/alerts?rule=" + rule.replace(" ", "%20")).items().stream()
            .map(o -> (JsonObject) o).filter(a -> host.equals(a.getString("key"))).findFirst().orElse(null),
        a -> a != null);
  }

  JsonObject alert(String id) {
    return api.get("/api/v1/alerts/" + id).json();
  }

  List<String> typesReceived(String alertId) {
    return hook.requests().stream().map(r -> new JsonObject(r.bodyText()))
        .filter(b -> alertId.equals(b.getJsonObject("alert").getString("id")))
        .map(b -> b.getString("type")).toList();
  }

  /** Waits until the engine has written everything posted so far. */
  void settled() {
    await().atMost(Duration.ofSeconds(30)).until(TestDatabase::engineCaughtUp);
  }

  @Test
  @DisplayName("an alert with no new raise for its @resolve_after resolves itself and says so to send_resolved channels")
  void resolves_after_quiet_period() {
    post("quiet", "db-1");
    String id = alertOf("Quiet", "db-1").getString("id");
    await().atMost(Duration.ofSeconds(30)).until(() -> typesReceived(id).equals(List.of("alert.raised")));

    clock.advance(Duration.ofMinutes(9));
    post("quiet", "db-1"); // a raise 9 minutes in restarts the quiet period
    settled();
    clock.advance(Duration.ofMinutes(9));
    // Checks run every 100 ms; a raise was 9 minutes ago, so nothing may change.
    await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5))
        .until(() -> "active".equals(alert(id).getString("status")));

    clock.advance(Duration.ofMinutes(2));
    await().atMost(Duration.ofSeconds(30)).until(() -> "resolved".equals(alert(id).getString("status")));
    JsonObject a = alert(id);
    assertEquals("vigil", a.getString("resolved_by"));
    assertEquals("no new raise for 10m", a.getString("note"));
    assertEquals(2, a.getInteger("occurrences"));
    await().atMost(Duration.ofSeconds(30)).until(() -> typesReceived(id).equals(List.of("alert.raised", "alert.resolved")));
  }

  @Test
  @DisplayName("an active alert reminds its channels every @repeat until it is acknowledged")
  void repeats_until_acknowledged() {
    post("nag", "web-1");
    String id = alertOf("Nagging", "web-1").getString("id");
    await().atMost(Duration.ofSeconds(30)).until(() -> typesReceived(id).size() == 1);

    clock.advance(Duration.ofMinutes(59));
    await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5)).until(() -> typesReceived(id).size() == 1);
    clock.advance(Duration.ofMinutes(2));
    await().atMost(Duration.ofSeconds(30))
        .until(() -> typesReceived(id).equals(List.of("alert.raised", "alert.repeated")));
    clock.advance(Duration.ofMinutes(61));
    await().atMost(Duration.ofSeconds(30))
        .until(() -> typesReceived(id).equals(List.of("alert.raised", "alert.repeated", "alert.repeated")));
    assertEquals(3, hook.requests().stream().map(r -> r.header("webhook-id")).distinct().count(),
        "each reminder is a delivery of its own");

    assertEquals(200, api.post("/api/v1/alerts/" + id + "/acknowledge", "{}").status());
    clock.advance(Duration.ofHours(5));
    await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(5)).until(() -> typesReceived(id).size() == 3);
    assertEquals("acknowledged", alert(id).getString("status"), "@resolve_after(\"never\") keeps it open");
  }

  @Test
  @DisplayName("alerts.resolve in a rule resolves the open alert of that rule and key; the next raise opens a new one")
  void a_rule_clears_an_alert() {
    post("host.down", "db-1");
    post("host.down", "web-1");
    String db = alertOf("Host down", "db-1").getString("id");
    String web = alertOf("Host down", "web-1").getString("id");
    post("host.up", "db-1");
    await().atMost(Duration.ofSeconds(30)).until(() -> "resolved".equals(alert(db).getString("status")));
    assertEquals("rule:Host up", alert(db).getString("resolved_by"));
    assertEquals("active", alert(web).getString("status"), "only that key's alert");
    await().atMost(Duration.ofSeconds(30)).until(() -> typesReceived(db).equals(List.of("alert.raised", "alert.resolved")));

    post("host.up", "db-1"); // nothing open: nothing happens
    post("host.down", "db-1"); // inside the 1h cooldown, yet the clear ended it: a new alert
    await().atMost(Duration.ofSeconds(30)).until(() -> api.get("/api/v1/alerts?rule=Host%20down").items().stream()
        .map(o -> (JsonObject) o).filter(a -> "db-1".equals(a.getString("key"))).count() == 2);
    settled();
    assertEquals(3, TestDatabase.count("SELECT count(*) FROM alerts"), "two for db-1, one for web-1");
  }

  @Test
  @DisplayName("raises counted without a delivery give their reason on the alert: duplicate_active, cooldown")
  void not_delivered_reasons() {
    post("host.down", "db-1");
    String id = alertOf("Host down", "db-1").getString("id");
    post("host.down", "db-1");
    post("host.down", "db-1");
    settled();
    JsonObject open = alert(id);
    assertEquals(3, open.getInteger("occurrences"));
    assertEquals(new JsonObject().put("duplicate_active", 2), open.getJsonObject("not_delivered"));
    assertEquals(200, api.post("/api/v1/alerts/" + id + "/resolve", "{}").status());

    post("host.down", "db-1"); // resolved, but inside the rule's 1h cooldown: counted on it
    settled();
    JsonObject after = alert(id);
    assertEquals(4, after.getInteger("occurrences"));
    assertEquals(new JsonObject().put("duplicate_active", 2).put("cooldown", 1), after.getJsonObject("not_delivered"));
    assertEquals(1, TestDatabase.count("SELECT count(*) FROM alerts"));
    assertNull(after.getString("suppressed_reason"));
    assertTrue(typesReceived(id).stream().allMatch(t -> !t.equals("alert.repeated")));
  }
}
