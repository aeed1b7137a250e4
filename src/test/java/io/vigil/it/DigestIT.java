package io.vigil.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vigil.alert.ClockHour;
import io.vigil.testing.Api;
import io.vigil.testing.Receiver;
import io.vigil.testing.SettableClock;
import io.vigil.testing.TestDatabase;
import io.vigil.testing.TestServer;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.Callable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Digest channels on a settable clock, against a real webhook receiver: alerts raised to a
 * channel with {@code digest: 1m} are held ({@code digest_pending}) from the first one until
 * the period ends, then go out as one message, and the held deliveries take its outcome.
 * Other channels get each alert at once; resolved notices are not digested.
 *
 * <p>To show that nothing was sent yet, a test plants a held delivery long past on the
 * {@code probe} channel (digest 10s): when the probe's digest arrives, a pass of the digest
 * job has run at the current clock and closed every period that had ended by then.
 */
class DigestIT {
  static final String RULES = """
      package d;
      import io.vigil.rules.Event;
      global io.vigil.rules.Alerts alerts;
      rule "Page" @channels("batch, audit-log")
      when
          $e : Event(type == "page")
      then
          alerts.raise(kcontext, $e.getId()).summary("Page " + $e.getId());
      end
      """;

  final Instant t0 = ClockHour.of(Instant.now()).start().plus(Duration.ofMinutes(10));
  final SettableClock clock = new SettableClock(t0);
  Receiver receiver;
  TestServer server;
  Api api;
  int probes;

  @BeforeEach
  void start() throws Exception {
    TestDatabase.truncate();
    receiver = new Receiver();
    server = TestServer.builder().clock(clock).rule("d.drl", RULES)
        .channels("""
              - name: batch
                type: webhook
                url: %s
                digest: 1m
                send_resolved: true
              - name: probe
                type: webhook
                url: %s
                digest: 10s
              - name: audit-log
                type: log
            """.formatted(receiver.url("/batch"), receiver.url("/probe")))
        .start();
    api = server.api();
  }

  @AfterEach
  void stop() {
    server.close();
    receiver.close();
  }

  void post(String id) {
    assertEquals(202, api.post("/api/v1/events", "{\"type\":\"page\",\"id\":\"" + id + "\"}").status());
  }

  void awaitAlerts(int n) {
    await().atMost(Duration.ofSeconds(30)).until(() -> TestDatabase.count("SELECT count(*) FROM alerts") == n
        && TestDatabase.engineCaughtUp());
  }

  List<JsonObject> batch() {
    return receiver.requests().stream().filter(r -> r.path().equals("/batch")).map(r -> new JsonObject(r.bodyText()))
        .toList();
  }

  List<JsonObject> deliveries(String query) {
    return api.get("/api/v1/deliveries?" + query).items().stream().map(o -> (JsonObject) o).toList();
  }

  JsonObject alert(String key) {
    return api.get("/api/v1/alerts?limit=1000").items().stream().map(o -> (JsonObject) o)
        .filter(a -> a.getString("key").equals(key)).findFirst().orElseThrow();
  }

  JsonObject delivery(String key, String channel) {
    return alert(key).getJsonArray("deliveries").stream().map(o -> (JsonObject) o)
        .filter(d -> d.getString("channel").equals(channel) && d.getString("kind").equals("raised")).findFirst()
        .orElseThrow();
  }

  /** Waits until a digest pass has run at the current clock (see the class comment). */
  void probePass() {
    int before = (int) receiver.requests().stream().filter(r -> r.path().equals("/probe")).count();
    probes++;
    Instant longAgo = t0.minus(Duration.ofHours(1)).plusSeconds(probes);
    TestDatabase.update("INSERT INTO deliveries (id, alert_id, tenant, channel, kind, status, reason, next_attempt_at,"
        + " created_at, updated_at) SELECT gen_random_uuid(), id, 'default', 'probe', 'raised', 'held', 'digest_pending',"
        + " ?, ?, ? FROM alerts ORDER BY aseq LIMIT 1", at(longAgo), at(longAgo), at(longAgo));
    await().atMost(Duration.ofSeconds(30)).until(
        () -> receiver.requests().stream().filter(r -> r.path().equals("/probe")).count() > before);
  }

  static java.time.OffsetDateTime at(Instant t) {
    return t.atOffset(ZoneOffset.UTC);
  }

  void awaitTicking(Callable<Boolean> condition) {
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      clock.advance(Duration.ofMillis(10));
      return condition.call();
    });
  }

  @Test
  @DisplayName("three alerts in a 1m period: held as digest_pending, nothing sent until it ends, then one message with all three")
  void digest_batches_a_period() {
    post("d1");
    awaitAlerts(1);
    clock.advance(Duration.ofSeconds(10));
    post("d2");
    awaitAlerts(2);
    clock.advance(Duration.ofSeconds(10));
    post("d3");
    awaitAlerts(3);

    // Each alert went to the log at once; its digest channel holds it.
    awaitTicking(() -> TestDatabase.count(
        "SELECT count(*) FROM deliveries WHERE channel = 'audit-log' AND status = 'delivered'") == 3);
    for (String key : List.of("d1", "d2", "d3")) {
      JsonObject d = delivery(key, "batch");
      assertEquals("held", d.getString("status"), key);
      assertEquals("digest_pending", d.getString("reason"), key);
      assertNull(d.getString("digest_id"));
    }
    assertEquals(3, deliveries("status=held&channel=batch").size());

    clock.set(t0.plusSeconds(59));
    probePass();
    assertEquals(List.of(), batch(), "nothing sent before the period ends");
    assertEquals(List.of(), deliveries("kind=digest&channel=batch"));

    clock.set(t0.plusSeconds(60));
    await().atMost(Duration.ofSeconds(30)).until(() -> batch().size() == 1);
    JsonObject digest = batch().get(0);
    assertEquals("alerts.digest", digest.getString("type"));
    assertEquals(3, digest.getInteger("count"));
    assertEquals(t0.toString(), digest.getString("period_start"));
    assertEquals(t0.plusSeconds(60).toString(), digest.getString("period_end"));
    JsonArray alerts = digest.getJsonArray("alerts");
    assertEquals(List.of("d1", "d2", "d3"), alerts.stream().map(a -> ((JsonObject) a).getString("key")).toList());
    assertEquals("Page", alerts.getJsonObject(0).getString("rule"));
    String message = digest.getString("message");
    assertTrue(message.contains("3 alerts") && message.contains("Page d1") && message.contains("Page d2")
        && message.contains("Page d3"), message);

    // The held deliveries show that they went out in the digest.
    await().atMost(Duration.ofSeconds(30)).until(() -> delivery("d3", "batch").getString("status").equals("delivered"));
    List<JsonObject> rows = deliveries("kind=digest&channel=batch");
    assertEquals(1, rows.size());
    JsonObject row = rows.get(0);
    assertNull(row.getString("alert_id"));
    assertEquals("delivered", row.getString("status"));
    assertEquals(3, row.getJsonObject("payload").getInteger("count"));
    for (String key : List.of("d1", "d2", "d3")) {
      JsonObject d = delivery(key, "batch");
      assertEquals("delivered", d.getString("status"), key);
      assertEquals("digest", d.getString("reason"), key);
      assertEquals(row.getString("id"), d.getString("digest_id"), key);
      assertEquals(t0.plusSeconds(60).toString(), d.getString("delivered_at"), key);
    }

    // An alert after the period starts the next one; the first digest is not sent again.
    clock.set(t0.plusSeconds(61));
    post("d4");
    awaitAlerts(4);
    await().atMost(Duration.ofSeconds(30)).until(() -> "held".equals(delivery("d4", "batch").getString("status")));
    clock.set(t0.plusSeconds(61 + 59));
    probePass();
    assertEquals(1, batch().size());
    clock.set(t0.plusSeconds(61 + 60));
    await().atMost(Duration.ofSeconds(30)).until(() -> batch().size() == 2);
    assertEquals(List.of("d4"), batch().get(1).getJsonArray("alerts").stream()
        .map(a -> ((JsonObject) a).getString("key")).toList());
  }

  @Test
  @DisplayName("a resolved notice goes out at once, not in the digest; a digest refused for good fails its held deliveries")
  void resolved_is_not_digested_and_failure_is_shared() {
    receiver.answer(r -> r.bodyText().contains("alerts.digest")
        ? new Receiver.Answer(400, java.util.Map.of(), "no digests here") : Receiver.Answer.status(200));
    post("d1");
    awaitAlerts(1);
    String id = alert("d1").getString("id");
    assertEquals(200, api.post("/api/v1/alerts/" + id + "/resolve", "{}").status());
    await().atMost(Duration.ofSeconds(30)).until(() -> batch().size() == 1);
    assertEquals("alert.resolved", batch().get(0).getString("type"));
    assertEquals("held", delivery("d1", "batch").getString("status"), "the raise still waits for its digest");

    clock.set(t0.plusSeconds(60));
    await().atMost(Duration.ofSeconds(30)).until(() -> "failed".equals(delivery("d1", "batch").getString("status")));
    JsonObject held = delivery("d1", "batch");
    assertEquals("digest", held.getString("reason"));
    assertTrue(held.getString("last_error").contains("HTTP 400: no digests here"), held.getString("last_error"));
    assertEquals("failed", deliveries("kind=digest").get(0).getString("status"));
  }

  @Test
  @DisplayName("held deliveries survive a restart and go out in one digest when the period ends")
  void survives_restart() {
    post("d1");
    post("d2");
    awaitAlerts(2);
    await().atMost(Duration.ofSeconds(30)).until(() -> deliveries("status=held").size() == 2);
    server.restart();
    api = server.api();
    clock.set(t0.plusSeconds(60));
    await().atMost(Duration.ofSeconds(30)).until(() -> batch().size() == 1);
    assertEquals(2, batch().get(0).getInteger("count"));
    probePass();
    assertEquals(1, batch().size());
    assertEquals(1, deliveries("kind=digest&channel=batch").size());
  }
}
