package io.vigil.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTimeout;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vigil.testing.Api;
import io.vigil.testing.LogCapture;
import io.vigil.testing.Receiver;
import io.vigil.testing.SecretLeaks;
import io.vigil.testing.TestDatabase;
import io.vigil.testing.TestServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Two webhook channels on one rule, against the whole server: a receiver that never answers
 * holds up neither the other channel nor ingestion, and its attempt ends at the delivery
 * timeout as a retry that the API shows; and what a webhook consumer receives is the
 * masked alert, with its link, under the stored id and fingerprint.
 */
class DeliveryIsolationIT {
  static final Duration TIMEOUT = Duration.ofSeconds(5);
  static final String PUBLIC_URL = "https://vigil.example.org/";
  static final String PASSWORD = "hunter2-XYZ";
  static final String CARD = "4111 1111 1111 1111";
  static final String RULES = """
      package iso;
      import io.vigil.rules.Event;
      global io.vigil.rules.Alerts alerts;

      rule "Isolated" @severity("high") @channels("slow, fast")
      when
          $e : Event(type == "hit")
      then
          alerts.raise(kcontext, $e.getId()).summary("hit " + $e.getId());
      end

      rule "Jam" @severity("high") @channels("slow")
      when
          $e : Event(type == "jam")
      then
          alerts.raise(kcontext, $e.getId());
      end

      rule "Declined card" @severity("high") @channels("slow, fast") @template("forensic")
      when
          $e : Event(type == "payment.declined")
      then
          alerts.raise(kcontext, $e.field("card")).summary("Declined card " + $e.field("card") + " for " + $e.getUser());
      end
      """;
  /** The shipped webhook text plus every evidence attribute: a template that would show a password if it could. */
  static final String FORENSIC_SUFFIX =
      "\nevidence:<#list alert.evidence as e><#list e.attributes as k, v> ${k}=${v}</#list></#list>\n";

  Receiver slow;
  Receiver fast;
  TestServer server;
  Api api;
  final CountDownLatch release = new CountDownLatch(1);
  /** Requests the slow receiver holds unanswered right now. */
  final AtomicInteger held = new AtomicInteger();

  @BeforeEach
  void start() throws Exception {
    TestDatabase.truncate();
    slow = new Receiver();
    fast = new Receiver();
    server = TestServer.builder()
        .rule("iso.drl", RULES)
        .webhook("slow", slow.url("/slow"), null)
        .webhook("fast", fast.url("/fast"), null)
        .env("VIGIL_TEMPLATES_DIR", templates().toString())
        .env("VIGIL_DELIVERY_TIMEOUT", TIMEOUT.toSeconds() + "s")
        .env("VIGIL_HTTP_PUBLIC_URL", PUBLIC_URL)
        .start();
    api = server.api();
  }

  @AfterEach
  void stop() {
    release.countDown();
    server.close();
    slow.close();
    fast.close();
  }

  /** The shipped templates, plus webhook/forensic.ftl. */
  static Path templates() throws IOException {
    Path dir = Files.createTempDirectory("vigil-templates");
    Path shipped = Path.of("templates").toAbsolutePath();
    try (Stream<Path> files = Files.walk(shipped)) {
      for (Path p : (Iterable<Path>) files::iterator) {
        Path target = dir.resolve(shipped.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          Files.copy(p, target);
        }
      }
    }
    Files.writeString(dir.resolve("webhook/forensic.ftl"),
        Files.readString(shipped.resolve("webhook/default.ftl")).stripTrailing() + FORENSIC_SUFFIX);
    return dir;
  }

  /** The slow receiver takes every request and never answers (until the test ends). */
  void hangSlow() {
    slow.answer(r -> {
      held.incrementAndGet();
      try {
        release.await(120, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        held.decrementAndGet();
      }
      return Receiver.Answer.status(503);
    });
  }

  void post(String json) {
    Api.Response r = api.post("/api/v1/events", json);
    assertEquals(202, r.status(), r.body());
  }

  /** The alert of a rule and key, once the engine has stored it. */
  JsonObject alert(String rule, String key) {
    return await().atMost(Duration.ofSeconds(30)).until(
        () -> api.get("/api/v1/alerts?rule=" + rule.replace(" ", "%20")).items().stream()
            .map(o -> (JsonObject) o).filter(a -> key.equals(a.getString("key"))).findFirst().orElse(null),
        a -> a != null);
  }

  static boolean carries(Receiver.Request r, String alertId) {
    return alertId.equals(new JsonObject(r.bodyText()).getJsonObject("alert").getString("id"));
  }

  static JsonObject deliveryOf(JsonObject alert, String channel) {
    return alert.getJsonArray("deliveries").stream().map(o -> (JsonObject) o)
        .filter(d -> channel.equals(d.getString("channel"))).findFirst().orElseThrow();
  }

  /** Attempts of the slow channel for an alert that have an outcome recorded. */
  static long slowAttemptsRecorded(String alertId) {
    return TestDatabase.count("SELECT count(*) FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id"
        + " WHERE d.channel = 'slow' AND d.alert_id = ?", UUID.fromString(alertId));
  }

  @Test
  @DisplayName("a receiver that never answers holds up neither the other channel nor ingestion, and times out as a"
      + " retry the API shows")
  void hanging_channel_is_isolated() {
    hangSlow();
    post("{\"type\":\"hit\",\"id\":\"first\"}");
    String first = alert("Isolated", "first").getString("id");
    await().atMost(Duration.ofSeconds(30)).until(() -> held.get() >= 1 && slow.requests().size() >= 1);
    assertEquals(0, slowAttemptsRecorded(first), "the slow attempt is still open");

    // While the slow attempt hangs, a second alert reaches the fast channel.
    post("{\"type\":\"hit\",\"id\":\"second\"}");
    String second = alert("Isolated", "second").getString("id");
    await().atMost(Duration.ofSeconds(30)).until(() -> fast.requests().stream().anyMatch(r -> carries(r, second)));
    assertEquals(0, slowAttemptsRecorded(first),
        "the fast channel got the second alert before the first slow attempt reached its " + TIMEOUT + " deadline");
    assertTrue(held.get() >= 1, "the slow receiver is still holding a request");

    // And ingestion keeps answering.
    for (int i = 0; i < 50; i++) {
      String event = "{\"type\":\"noise\",\"id\":\"burst-" + i + "\"}";
      assertTimeout(Duration.ofSeconds(10), () -> post(event), "event " + i);
    }
    await().atMost(Duration.ofSeconds(30)).until(
        () -> TestDatabase.count("SELECT count(*) FROM events WHERE type = 'noise'") == 50
            && TestDatabase.engineCaughtUp());

    // The slow attempt ends at the deadline as a retry with a timeout error, kept and shown.
    await().atMost(Duration.ofSeconds(60)).until(() -> slowAttemptsRecorded(first) >= 1);
    Map<String, Object> row = TestDatabase.query("SELECT a.attempt, a.outcome, a.status_code, a.error"
        + " FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id"
        + " WHERE d.channel = 'slow' AND d.alert_id = ? ORDER BY a.attempt", UUID.fromString(first)).get(0);
    assertEquals(1, row.get("attempt"));
    assertEquals("retry", row.get("outcome"));
    assertNull(row.get("status_code"));
    assertTrue(((String) row.get("error")).startsWith("timeout"), String.valueOf(row.get("error")));

    JsonObject viewed = api.get("/api/v1/alerts/" + first).json();
    JsonObject slowDelivery = deliveryOf(viewed, "slow");
    JsonObject attempt = slowDelivery.getJsonArray("history").getJsonObject(0);
    assertEquals(1, attempt.getInteger("attempt"));
    assertEquals("retry", attempt.getString("outcome"));
    assertNull(attempt.getValue("status_code"));
    assertTrue(attempt.getString("error").startsWith("timeout"), attempt.encode());
    Instant started = Instant.parse(attempt.getString("started_at"));
    Instant finished = Instant.parse(attempt.getString("finished_at"));
    assertTrue(!Duration.between(started, finished).minus(TIMEOUT.minusMillis(100)).isNegative(),
        "the attempt was given up at its deadline, not before: " + attempt.encode());
    Duration heldFor = Duration.between(started, finished);
    assertTrue(heldFor.compareTo(TIMEOUT.plusSeconds(2)) <= 0, "and not long after it: " + heldFor);
    assertEquals("pending", slowDelivery.getString("status"), "a timeout is retried");
    assertTrue(slowDelivery.getString("last_error").startsWith("timeout"), slowDelivery.encode());
    JsonObject fastDelivery = deliveryOf(viewed, "fast");
    assertEquals("delivered", fastDelivery.getString("status"));
    assertEquals(200, fastDelivery.getJsonArray("history").getJsonObject(0).getInteger("status_code"));

    JsonArray listed = api.get("/api/v1/deliveries?channel=slow").items();
    assertTrue(listed.stream().map(o -> (JsonObject) o).allMatch(d -> d.getString("channel").equals("slow")),
        listed.encode());
    JsonObject listedFirst = listed.stream().map(o -> (JsonObject) o)
        .filter(d -> d.getString("id").equals(slowDelivery.getString("id"))).findFirst().orElseThrow();
    assertEquals(first, listedFirst.getString("alert_id"));
    JsonObject listedAttempt = listedFirst.getJsonArray("history").getJsonObject(0);
    assertEquals("retry", listedAttempt.getString("outcome"));
    assertTrue(listedAttempt.getString("error").startsWith("timeout"), listedAttempt.encode());

    // And it is tried again: a second attempt starts (and hangs) after the backoff.
    await().atMost(Duration.ofSeconds(60)).until(() -> slow.requests().size() >= 2);
    System.out.println("B5 timeout=" + TIMEOUT.toMillis() / 1000.0 + "s aborted_after=" + heldFor.toMillis() / 1000.0
        + "s retried=yes healthy_channel_delivered_meanwhile=yes ingest_during_hang=50/50");
  }

  @Test
  @DisplayName("a hanging channel with more deliveries than the worker has slots takes only its share; others get through")
  void hanging_channel_takes_only_its_share_of_slots() {
    server.close();
    // Three slots, at most two per channel, and a timeout far beyond the test's waits: another
    // channel gets through only if the hanging one cannot take every slot.
    server = TestServer.builder()
        .rule("iso.drl", RULES)
        .webhook("slow", slow.url("/slow"), null)
        .webhook("fast", fast.url("/fast"), null)
        .env("VIGIL_DELIVERY_CONCURRENCY", "3")
        .env("VIGIL_DELIVERY_CHANNEL_CONCURRENCY", "2")
        .env("VIGIL_DELIVERY_TIMEOUT", "120s")
        .start();
    api = server.api();
    hangSlow();
    for (int i = 0; i < 5; i++) {
      post("{\"type\":\"jam\",\"id\":\"jam-" + i + "\"}");
    }
    await().atMost(Duration.ofSeconds(30)).until(() -> held.get() == 2
        && TestDatabase.count("SELECT count(*) FROM deliveries WHERE channel = 'slow'") == 5);

    post("{\"type\":\"hit\",\"id\":\"through\"}");
    String through = alert("Isolated", "through").getString("id");
    await().atMost(Duration.ofSeconds(30)).until(() -> fast.requests().stream().anyMatch(r -> carries(r, through)));
    assertTrue(held.get() <= 2, "the slow channel never holds more than its two slots: " + held.get());
    assertEquals(0, TestDatabase.count("SELECT count(*) FROM delivery_attempts a JOIN deliveries d"
        + " ON d.id = a.delivery_id WHERE d.channel = 'slow'"), "no slow attempt has ended: none timed out");
    assertEquals(0, TestDatabase.count("SELECT count(*) FROM deliveries WHERE channel = 'slow' AND attempts > 1"),
        "deliveries put back for want of a slot are not counted as attempts");
  }

  @Test
  @DisplayName("a busy channel's next deliveries start as its attempts end, not a poll interval later")
  void busy_channel_does_not_wait_for_the_poll() {
    server.close();
    // One attempt at a time to a channel, and a poll so slow that waiting for it would
    // take minutes: the ten deliveries get through only if each starts when the last ends.
    server = TestServer.builder()
        .rule("iso.drl", RULES)
        .webhook("slow", slow.url("/slow"), null)
        .webhook("fast", fast.url("/fast"), null)
        .env("VIGIL_DELIVERY_CHANNEL_CONCURRENCY", "1")
        .env("VIGIL_DELIVERY_POLL_INTERVAL", "60s")
        .start();
    api = server.api();
    StringBuilder batch = new StringBuilder("[");
    for (int i = 0; i < 10; i++) {
      batch.append(i == 0 ? "" : ",").append("{\"type\":\"jam\",\"id\":\"burst-").append(i).append("\"}");
    }
    post(batch.append("]").toString());
    await().atMost(Duration.ofSeconds(30)).until(() -> TestDatabase.count(
        "SELECT count(*) FROM deliveries WHERE channel = 'slow' AND status = 'delivered'") == 10);
    assertEquals(10, slow.requests().size(), "each once");
    assertEquals(0, TestDatabase.count("SELECT count(*) FROM deliveries WHERE attempts <> 1"),
        "a delivery that waited for its channel was not counted as an extra attempt");
  }

  @Test
  @DisplayName("the webhook carries the alert's link and its stored id and fingerprint, but no password or card number")
  void webhook_payload_is_masked_and_linked() {
    try (LogCapture logs = new LogCapture()) {
      post("{\"type\":\"payment.declined\",\"id\":\"pay-1\",\"user\":\"mallory\",\"password\":\"" + PASSWORD
          + "\",\"card\":\"" + CARD + "\"}");
      JsonObject stored = alert("Declined card", CARD);
      String id = stored.getString("id");
      await().atMost(Duration.ofSeconds(30)).until(() -> fast.requests().stream().anyMatch(r -> carries(r, id))
          && slow.requests().stream().anyMatch(r -> carries(r, id)));

      List<String> received = new ArrayList<>();
      Stream.concat(fast.requests().stream(), slow.requests().stream()).forEach(r -> received.add(r.bodyText()));
      SecretLeaks.assertNone(received, PASSWORD, CARD, CARD.replace(" ", ""));

      JsonObject body = new JsonObject(fast.requests().stream().filter(r -> carries(r, id)).findFirst().orElseThrow()
          .bodyText());
      JsonObject alert = body.getJsonObject("alert");
      assertEquals("alert.raised", body.getString("type"));
      assertEquals(id, alert.getString("id"));
      assertEquals(stored.getString("fingerprint"), alert.getString("fingerprint"), "identifiers are never masked");
      assertEquals(PUBLIC_URL + "api/v1/alerts/" + id, alert.getString("url"));
      assertTrue(body.getString("message").contains(PUBLIC_URL + "api/v1/alerts/" + id), body.getString("message"));
      // Not vacuous: the key and summary held the card number and the message lists the evidence, all masked.
      assertEquals("**** **** **** 1111", alert.getString("key"));
      assertEquals("Declined card **** **** **** 1111 for mallory", alert.getString("summary"));
      assertTrue(body.getString("message").contains("password=****"), body.getString("message"));

      await().atMost(Duration.ofSeconds(30)).until(() -> api.get("/api/v1/deliveries?alert=" + id).items().stream()
          .allMatch(d -> "delivered".equals(((JsonObject) d).getString("status"))));
      // The server's own log too: "alert raised ... key=" shows the key masked as messages do.
      SecretLeaks.assertNone(logs.lines(), PASSWORD, CARD, CARD.replace(" ", ""));
    }
  }
}
