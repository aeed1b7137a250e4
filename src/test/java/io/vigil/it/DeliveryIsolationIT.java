package io.vigil.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Two webhook channels on one rule, against the whole server in this JVM: a hanging channel
 * takes only its share of the worker's slots, a busy channel's next deliveries start as its
 * attempts end, and what a webhook consumer receives is the masked alert, with its link,
 * under the stored id and fingerprint. The B5 fault scenario (a receiver that holds every
 * request, against the built jar) is {@code SlowReceiverIT}.
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
