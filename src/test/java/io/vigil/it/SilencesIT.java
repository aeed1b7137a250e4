package io.vigil.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vigil.testing.Api;
import io.vigil.testing.Receiver;
import io.vigil.testing.SettableClock;
import io.vigil.testing.TestDatabase;
import io.vigil.testing.TestServer;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Silences end to end, on a settable clock, against a loopback webhook: a silenced alert is
 * stored {@code suppressed} with the silence's id and a skipped {@code silenced} delivery,
 * and nothing is sent; when the silence ends (deleted, expired, or its maintenance window
 * closes) an alert still open becomes {@code active} and is sent at once, although the
 * rule's one-hour cooldown has not passed (the clock does not move); a stale one is
 * resolved unsent; another active silence keeps it held. Bad input changes nothing.
 */
class SilencesIT {
  static final String RULE = """
      package s;
      import io.vigil.rules.Event;
      global io.vigil.rules.Alerts alerts;
      rule "Page" @channels("hook") @cooldown("1h") @tags("ops, db")
      when
          $e : Event(type == "page")
      then
          alerts.raise(kcontext, $e.getHost()).evidence($e);
      end
      """;
  static final Duration WAIT = Duration.ofSeconds(30);

  SettableClock clock = new SettableClock(Instant.now().truncatedTo(ChronoUnit.MILLIS));
  Receiver receiver;
  TestServer server;
  Api acme;
  String acmeToken;

  @BeforeEach
  void start() throws Exception {
    TestDatabase.truncate();
    receiver = new Receiver();
    server = TestServer.builder().clock(clock).rule("page.drl", RULE)
        .channels("  - name: hook\n    type: webhook\n    url: " + receiver.url("/hook") + "\n    send_resolved: true\n")
        .start();
    acmeToken = server.newKey("acme", "ingest", "read", "respond");
    acme = server.api(acmeToken);
  }

  @AfterEach
  void stop() {
    server.close();
    receiver.close();
  }

  // --- helpers -------------------------------------------------------------------------

  static JsonObject matcher(String name, String op, String value) {
    return new JsonObject().put("name", name).put("op", op).put("value", value);
  }

  JsonObject silenceBody(Duration endsIn, JsonObject... matchers) {
    return new JsonObject().put("matchers", new JsonArray(List.of((Object[]) matchers)))
        .put("starts_at", clock.instant().toString()).put("ends_at", clock.instant().plus(endsIn).toString())
        .put("created_by", "alice@example.org").put("comment", "database maintenance");
  }

  String createSilence(Api api, JsonObject body) {
    Api.Response r = api.post("/api/v1/silences", body.encode());
    assertEquals(201, r.status(), r.body());
    return r.json().getString("id");
  }

  void page(Api api, String host) {
    Api.Response r = api.post("/api/v1/events", new JsonObject().put("type", "page").put("host", host).encode());
    assertEquals(202, r.status(), r.body());
  }

  JsonObject alert(Api api, String key) {
    await().atMost(WAIT).until(() -> find(api, key) != null);
    return find(api, key);
  }

  static JsonObject find(Api api, String key) {
    for (Object o : api.get("/api/v1/alerts?rule=Page").items()) {
      JsonObject a = (JsonObject) o;
      if (a.getString("key").equals(key)) {
        return api.get("/api/v1/alerts/" + a.getString("id")).json();
      }
    }
    return null;
  }

  boolean received(String key) {
    return receiver.requests().stream().anyMatch(r -> r.bodyText().contains("\"key\":\"" + key + "\""));
  }

  /** Pages an unsilenced host and waits until it is delivered: the worker has looked at everything due. */
  void probe(Api api, String host) {
    page(api, host);
    await().atMost(WAIT).until(() -> received(host));
  }

  static void assertHeld(JsonObject alert, String silenceId) {
    assertEquals("suppressed", alert.getString("status"), alert.encodePrettily());
    assertEquals("silenced", alert.getString("suppressed_reason"));
    assertEquals(silenceId, alert.getString("silence_id"));
    JsonArray deliveries = alert.getJsonArray("deliveries");
    assertEquals(1, deliveries.size(), deliveries.encode());
    assertEquals("skipped", deliveries.getJsonObject(0).getString("status"));
    assertEquals("silenced", deliveries.getJsonObject(0).getString("reason"));
    assertEquals("hook", deliveries.getJsonObject(0).getString("channel"));
  }

  // --- tests ---------------------------------------------------------------------------

  @Test
  @DisplayName("silenced: stored suppressed with the silence id and a skipped delivery; deleted: active and sent at once")
  void silence_then_delete() {
    String id = createSilence(acme, silenceBody(Duration.ofHours(2),
        matcher("rule", "=", "Page"), matcher("key", "=~", "db-\\d+")));
    page(acme, "db-1");
    JsonObject held = alert(acme, "db-1");
    assertHeld(held, id);
    probe(acme, "web-1");
    assertFalse(received("db-1"), "nothing is sent for a silenced alert");

    Api.Response deleted = acme.delete("/api/v1/silences/" + id);
    assertEquals(200, deleted.status(), deleted.body());
    assertEquals("expired", deleted.json().getString("status"));
    assertEquals(clock.instant(), Instant.parse(deleted.json().getString("ends_at")));
    // Released before DELETE answers, on a clock that has not moved: no cooldown has passed.
    JsonObject released = find(acme, "db-1");
    assertEquals("active", released.getString("status"), released.encodePrettily());
    assertNull(released.getString("suppressed_reason"));
    assertEquals(id, released.getString("silence_id"), "the silence that held it stays on record");
    JsonArray timeline = released.getJsonArray("timeline");
    assertEquals(List.of("raised", "released"), timeline.stream().map(o -> ((JsonObject) o).getString("kind"))
        .filter(k -> !k.startsWith("delivery")).toList(), timeline.encodePrettily());
    assertEquals(id, timeline.getJsonObject(0).getString("silence_id"));
    await().atMost(WAIT).until(() -> received("db-1"));
    JsonArray deliveries = find(acme, "db-1").getJsonArray("deliveries");
    assertEquals(List.of("skipped/silenced", "delivered/null"), deliveries.stream().map(o -> (JsonObject) o)
        .map(d -> d.getString("status") + "/" + d.getString("reason")).toList());

    Api.Response listed = acme.get("/api/v1/silences");
    assertEquals(1, listed.items().size());
    assertEquals("expired", listed.items().getJsonObject(0).getString("status"));
    assertEquals(1, acme.get("/api/v1/silences?status=expired").items().size());
    assertEquals(0, acme.get("/api/v1/silences?status=active").items().size());
    assertEquals(200, acme.delete("/api/v1/silences/" + id).status(), "ending it again is harmless");
    assertEquals(List.of("silences.create", "silences.delete"), TestDatabase.query(
        "SELECT action FROM audit_log WHERE target = ? ORDER BY id", id).stream().map(r -> r.get("action")).toList());
    assertEquals(1, receiver.requests().stream().filter(r -> r.bodyText().contains("\"key\":\"db-1\"")).count());
  }

  @Test
  @DisplayName("a silence that runs out releases an alert still open, without waiting for the cooldown")
  void silence_expires() {
    String id = createSilence(acme, silenceBody(Duration.ofMinutes(10), matcher("tags", "=", "db"),
        matcher("event.host", "=~", "db-.*")));
    page(acme, "db-2");
    assertHeld(alert(acme, "db-2"), id);
    clock.advance(Duration.ofMinutes(9));
    page(acme, "db-2"); // raised again while silenced: an occurrence of the held alert
    await().atMost(WAIT).until(() -> find(acme, "db-2").getInteger("occurrences") == 2);
    probe(acme, "web-2");
    assertFalse(received("db-2"));
    assertEquals("active", acme.get("/api/v1/silences/" + id).json().getString("status"));

    clock.advance(Duration.ofMinutes(1));
    await().atMost(WAIT).until(() -> received("db-2"));
    assertEquals("active", find(acme, "db-2").getString("status"));
    assertEquals("expired", acme.get("/api/v1/silences/" + id).json().getString("status"));
  }

  @Test
  @DisplayName("an alert not raised within the last hour (its cooldown) when the silence ends is resolved, unsent")
  void stale_alert_is_resolved() {
    String id = createSilence(acme, silenceBody(Duration.ofHours(3), matcher("event.host", "=", "db-3")));
    page(acme, "db-3");
    assertHeld(alert(acme, "db-3"), id);
    clock.advance(Duration.ofHours(1).plusMinutes(1));
    acme.delete("/api/v1/silences/" + id);
    JsonObject resolved = find(acme, "db-3");
    assertEquals("resolved", resolved.getString("status"), resolved.encodePrettily());
    assertEquals("silenced", resolved.getString("suppressed_reason"), "it keeps why it was never sent");
    JsonObject last = resolved.getJsonArray("timeline").getJsonObject(resolved.getJsonArray("timeline").size() - 1);
    assertEquals("resolved", last.getString("kind"));
    assertEquals("vigil", last.getString("by"));
    assertEquals("vigil", resolved.getString("resolved_by"));
    probe(acme, "web-3");
    assertFalse(received("db-3"));
    page(acme, "db-3");
    await().atMost(WAIT).until(() -> received("db-3")); // a new alert, sent as usual
  }

  @Test
  @DisplayName("an alert another active silence covers stays held, now by that silence")
  void another_silence_keeps_it() {
    String first = createSilence(acme, silenceBody(Duration.ofHours(1), matcher("rule", "=", "Page")));
    String second = createSilence(acme, silenceBody(Duration.ofHours(2), matcher("severity", "=", "medium"),
        matcher("event.host", "=~", "db-.*")));
    page(acme, "db-4");
    assertHeld(alert(acme, "db-4"), first);
    acme.delete("/api/v1/silences/" + first);
    assertHeld(find(acme, "db-4"), second);
    probe(acme, "web-4a");
    assertFalse(received("db-4"));
    acme.delete("/api/v1/silences/" + second);
    assertEquals("active", find(acme, "db-4").getString("status"));
    await().atMost(WAIT).until(() -> received("db-4"));
  }

  @Test
  @DisplayName("a maintenance window holds alerts inside it and releases them when it closes")
  void maintenance_window() {
    Instant now = clock.instant();
    String from = now.minus(Duration.ofMinutes(1)).atOffset(ZoneOffset.UTC).toLocalTime()
        .truncatedTo(ChronoUnit.MINUTES).toString();
    String to = now.plus(Duration.ofMinutes(29)).atOffset(ZoneOffset.UTC).toLocalTime()
        .truncatedTo(ChronoUnit.MINUTES).toString();
    JsonObject body = silenceBody(Duration.ofDays(7), matcher("key", "=~", "db-.*"))
        .put("starts_at", now.minus(Duration.ofMinutes(1)).toString())
        .put("recurrence", new JsonObject().put("from", from).put("to", to).put("timezone", "UTC"));
    String id = createSilence(acme, body);
    JsonObject silence = acme.get("/api/v1/silences/" + id).json();
    assertEquals("active", silence.getString("status"), silence.encodePrettily());
    Instant windowEnd = Instant.parse(silence.getJsonObject("window").getString("ends_at"));

    page(acme, "db-5");
    assertHeld(alert(acme, "db-5"), id);
    clock.set(windowEnd.minusMillis(1));
    probe(acme, "web-5");
    assertFalse(received("db-5"), "still inside the window");

    clock.set(windowEnd);
    await().atMost(WAIT).until(() -> received("db-5"));
    silence = acme.get("/api/v1/silences/" + id).json();
    assertEquals("pending", silence.getString("status"), "between two windows");
    assertEquals(windowEnd.plus(Duration.ofDays(1)).minus(Duration.ofMinutes(30)),
        Instant.parse(silence.getJsonObject("window").getString("starts_at")), "the next window, tomorrow");
  }

  @Test
  @DisplayName("resolving a silenced alert sends no resolved notice: the channel never had the raise")
  void resolve_while_silenced() {
    String id = createSilence(acme, silenceBody(Duration.ofHours(1), matcher("key", "=", "db-8")));
    page(acme, "db-8");
    JsonObject held = alert(acme, "db-8");
    assertHeld(held, id);
    Api.Response resolved = acme.post("/api/v1/alerts/" + held.getString("id") + "/resolve", "{\"by\":\"bob\"}");
    assertEquals(200, resolved.status(), resolved.body());
    assertEquals(1, resolved.json().getJsonArray("deliveries").size(), "no notice queued");
    probe(acme, "web-8");
    assertFalse(received("db-8"));
    acme.delete("/api/v1/silences/" + id);
    assertEquals("resolved", find(acme, "db-8").getString("status"), "a resolved alert is not brought back");
  }

  @Test
  @DisplayName("silences survive a restart, and a silence that ended while Vigil was down is processed at start")
  void restart() {
    String id = createSilence(acme, silenceBody(Duration.ofMinutes(30), matcher("key", "=", "db-6")));
    server.restart();
    acme = server.api(acmeToken); // the server listens on a new port
    page(acme, "db-6");
    assertHeld(alert(acme, "db-6"), id);
    server.stop();
    clock.advance(Duration.ofMinutes(31));
    server.start();
    acme = server.api(acmeToken);
    await().atMost(WAIT).until(() -> received("db-6"));
    assertEquals("active", find(acme, "db-6").getString("status"));
  }

  @Test
  @DisplayName("bad input changes nothing: bad regex 422 invalid_regex, end before start 400, every problem listed")
  void bad_input() {
    Map<String, Long> before = TestDatabase.snapshot();
    Api.Response badRegex = acme.post("/api/v1/silences",
        silenceBody(Duration.ofHours(1), matcher("key", "=~", "203.(0")).encode());
    assertEquals(422, badRegex.status(), badRegex.body());
    assertEquals("invalid_regex", badRegex.errorCode());
    assertEquals("matchers[0].value", badRegex.json().getJsonObject("error").getJsonArray("details")
        .getJsonObject(0).getString("field"));

    Api.Response backwards = acme.post("/api/v1/silences",
        silenceBody(Duration.ofHours(-1), matcher("rule", "=", "Page")).encode());
    assertEquals(400, backwards.status(), backwards.body());
    assertEquals("invalid_request", backwards.errorCode());

    Api.Response many = acme.post("/api/v1/silences", new JsonObject()
        .put("matchers", new JsonArray().add(matcher("alertname", "==", "x")).add(matcher("key", "=~", "(")))
        .put("ends_at", "tomorrow").put("comment", 7).encode());
    assertEquals(400, many.status(), many.body());
    assertEquals("invalid_request", many.errorCode());
    assertEquals(5, many.json().getJsonObject("error").getJsonArray("details").size(), many.body());

    assertEquals(400, acme.post("/api/v1/silences", "{\"matchers\":").status());
    assertEquals(before, TestDatabase.snapshot());
    assertEquals(0, acme.get("/api/v1/silences").items().size());
  }

  @Test
  @DisplayName("per tenant: another tenant's silence is 404 and silences nothing here; scopes respond and read")
  void tenants_and_scopes() {
    Api other = server.api(server.newKey("other", "ingest", "read", "respond"));
    String id = createSilence(acme, silenceBody(Duration.ofHours(1), matcher("rule", "=", "Page")));
    assertEquals(404, other.get("/api/v1/silences/" + id).status());
    assertEquals(404, other.delete("/api/v1/silences/" + id).status());
    assertEquals(404, other.get("/api/v1/silences/not-a-uuid").status());
    assertEquals(0, other.get("/api/v1/silences").items().size());
    assertEquals("active", acme.get("/api/v1/silences/" + id).json().getString("status"), "not ended by the other");

    page(other, "db-7");
    await().atMost(WAIT).until(() -> received("db-7")); // acme's silence does not cover the other tenant
    assertEquals("active", alert(other, "db-7").getString("status"));

    Api reader = server.api(server.newKey("acme", "read"));
    assertEquals(403, reader.post("/api/v1/silences",
        silenceBody(Duration.ofHours(1), matcher("rule", "=", "Page")).encode()).status());
    assertEquals(403, reader.delete("/api/v1/silences/" + id).status());
    assertEquals(200, reader.get("/api/v1/silences/" + id).status());
    assertNotNull(reader.get("/api/v1/silences").items());
    assertEquals(1, TestDatabase.count("SELECT count(*) FROM silences"));
  }
}
