package io.vigil.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vigil.testing.Api;
import io.vigil.testing.ProcessDatabase;
import io.vigil.testing.Receiver;
import io.vigil.testing.VigilProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * B5 of RELIABILITY.md against the built jar as a child process: one webhook receiver holds
 * every request for 60 s, the per-attempt timeout is 5 s. Its attempt is given up at the
 * deadline as a retry (stored and shown by the API) and tried again; meanwhile the other
 * channel of the same alerts gets every one of them and ingestion keeps answering (no
 * head-of-line blocking); and the child logs no Vert.x blocked-thread warning. The healthy
 * channel's p99 from {@code 202} to receipt is reported; CI asserts only a generous bound.
 */
class SlowReceiverIT {
  static final Duration TIMEOUT = Duration.ofSeconds(5);
  static final Duration HOLD = Duration.ofSeconds(60);
  static final int HEALTHY_ALERTS = 10;
  /** Vert.x's BlockedThreadChecker: "Thread[...] has been blocked for 2345 ms, time limit is 2000 ms". */
  static final Pattern BLOCKED = Pattern.compile("has been blocked for \\d+ ms");
  static final String RULE = """
      package iso;
      import io.vigil.rules.Event;
      global io.vigil.rules.Alerts alerts;

      rule "Isolated" @severity("high") @channels("slow, fast")
      when
          $e : Event(type == "hit")
      then
          alerts.raise(kcontext, $e.getId()).summary("hit " + $e.getId());
      end
      """;

  @TempDir Path dir;
  VigilProcess vigil;
  Receiver slow;
  Receiver fast;
  final CountDownLatch release = new CountDownLatch(1);
  /** Requests the slow receiver holds unanswered right now. */
  final AtomicInteger held = new AtomicInteger();
  /** When the fast receiver got each alert, by key. */
  final Map<String, Long> fastArrivals = new ConcurrentHashMap<>();

  @AfterEach
  void stop() throws Exception {
    release.countDown();
    if (vigil != null) {
      vigil.close();
    }
    slow.close();
    fast.close();
  }

  static void post(Api api, String json) {
    Api.Response r = api.post("/api/v1/events", json);
    assertEquals(202, r.status(), r.body());
  }

  static boolean carries(Receiver.Request r, String alertId) {
    return alertId.equals(new JsonObject(r.bodyText()).getJsonObject("alert").getString("id"));
  }

  static JsonObject deliveryOf(JsonObject alert, String channel) {
    return alert.getJsonArray("deliveries").stream().map(o -> (JsonObject) o)
        .filter(d -> channel.equals(d.getString("channel"))).findFirst().orElseThrow();
  }

  /** The alert of a key, once the engine has stored it. */
  static JsonObject alert(Api api, String key) {
    return await().atMost(Duration.ofSeconds(30)).until(
        () -> api.get("/api/v1/alerts?rule=Isolated").items().stream()
            .map(o -> (JsonObject) o).filter(a -> key.equals(a.getString("key"))).findFirst().orElse(null),
        a -> a != null);
  }

  @Test
  @DisplayName("B5 (jar): a receiver that holds every request 60 s times out at 5 s as a retry, holds up neither the"
      + " other channel nor ingestion, and no Vert.x thread is reported blocked")
  void slow_receiver_is_isolated() throws Exception {
    slow = new Receiver();
    slow.answer(r -> {
      held.incrementAndGet();
      try {
        release.await(HOLD.toSeconds(), TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      } finally {
        held.decrementAndGet();
      }
      return Receiver.Answer.status(503);
    });
    fast = new Receiver();
    fast.answer(r -> {
      fastArrivals.putIfAbsent(new JsonObject(r.bodyText()).getJsonObject("alert").getString("key"), System.nanoTime());
      return Receiver.Answer.status(200);
    });
    Path rules = Files.createDirectories(dir.resolve("rules"));
    Files.writeString(rules.resolve("iso.drl"), RULE);
    String yaml = "delivery:\n  allow_private_targets: true\nchannels:\n"
        + "  - name: slow\n    type: webhook\n    url: " + slow.url("/slow") + "\n"
        + "  - name: fast\n    type: webhook\n    url: " + fast.url("/fast") + "\n";
    vigil = VigilProcess.in(dir.resolve("slow"), yaml, Map.of(
        "VIGIL_RULES_DIR", rules.toString(),
        "VIGIL_DELIVERY_TIMEOUT", TIMEOUT.toSeconds() + "s",
        // A short backoff: the retry after the timeout comes within seconds, not the default 5 s.
        "VIGIL_DELIVERY_RETRY_INITIAL", "1s"));
    vigil.start();
    Api api = vigil.api();
    ProcessDatabase db = new ProcessDatabase(vigil);

    post(api, "{\"type\":\"hit\",\"id\":\"first\"}");
    String first = alert(api, "first").getString("id");
    await().atMost(Duration.ofSeconds(30)).until(() -> held.get() >= 1 && slow.requests().size() >= 1);
    assertEquals(0, slowAttemptsRecorded(db, first), "the slow attempt is still open");

    // While the slow attempt hangs, the next alert reaches the fast channel, before the slow
    // attempt's deadline; then more alerts for both channels, and the fast one gets each.
    Map<String, Long> sentAt = new ConcurrentHashMap<>();
    sentAt.put("healthy-0", System.nanoTime());
    post(api, "{\"type\":\"hit\",\"id\":\"healthy-0\"}");
    String second = alert(api, "healthy-0").getString("id");
    await().atMost(Duration.ofSeconds(30)).until(() -> fast.requests().stream().anyMatch(r -> carries(r, second)));
    boolean beforeDeadline = slowAttemptsRecorded(db, first) == 0;
    for (int i = 1; i < HEALTHY_ALERTS; i++) {
      String key = "healthy-" + i;
      sentAt.put(key, System.nanoTime());
      post(api, "{\"type\":\"hit\",\"id\":\"" + key + "\"}");
      java.util.concurrent.locks.LockSupport.parkNanos(100_000_000L); // the client's pace
    }
    await().atMost(Duration.ofSeconds(60)).until(() -> fastArrivals.keySet().containsAll(sentAt.keySet()));
    assertTrue(held.get() >= 1, "the slow receiver is still holding a request");

    // And ingestion keeps answering.
    List<Long> ingestMs = new ArrayList<>();
    for (int i = 0; i < 50; i++) {
      long t0 = System.nanoTime();
      post(api, "{\"type\":\"noise\",\"id\":\"burst-" + i + "\"}");
      ingestMs.add((System.nanoTime() - t0) / 1_000_000);
    }
    await().atMost(Duration.ofSeconds(30)).until(
        () -> db.count("SELECT count(*) FROM events WHERE type = 'noise'") == 50 && db.engineCaughtUp());

    // The slow attempt ends at the deadline as a retry with a timeout error, kept and shown.
    await().atMost(Duration.ofSeconds(60)).until(() -> slowAttemptsRecorded(db, first) >= 1);
    Map<String, Object> row = db.query("SELECT a.attempt, a.outcome, a.status_code, a.error"
        + " FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id"
        + " WHERE d.channel = 'slow' AND d.alert_id = ? ORDER BY a.attempt", UUID.fromString(first)).get(0);
    assertEquals(1, row.get("attempt"));
    assertEquals("retry", row.get("outcome"));
    assertNull(row.get("status_code"));
    assertTrue(((String) row.get("error")).startsWith("timeout"), String.valueOf(row.get("error")));

    JsonObject viewed = api.get("/api/v1/alerts/" + first).json();
    JsonObject slowDelivery = deliveryOf(viewed, "slow");
    JsonObject attempt = slowDelivery.getJsonArray("history").getJsonObject(0);
    assertEquals("retry", attempt.getString("outcome"));
    assertNull(attempt.getValue("status_code"));
    assertTrue(attempt.getString("error").startsWith("timeout"), attempt.encode());
    Duration heldFor = Duration.between(Instant.parse(attempt.getString("started_at")),
        Instant.parse(attempt.getString("finished_at")));
    assertEquals("pending", slowDelivery.getString("status"), "a timeout is retried");
    assertTrue(slowDelivery.getString("last_error").startsWith("timeout"), slowDelivery.encode());
    JsonObject fastDelivery = deliveryOf(viewed, "fast");
    assertEquals("delivered", fastDelivery.getString("status"));
    assertEquals(200, fastDelivery.getJsonArray("history").getJsonObject(0).getInteger("status_code"));

    JsonArray listed = api.get("/api/v1/deliveries?channel=slow").items();
    assertTrue(listed.stream().map(o -> (JsonObject) o).allMatch(d -> d.getString("channel").equals("slow")),
        listed.encode());
    JsonObject listedAttempt = listed.stream().map(o -> (JsonObject) o)
        .filter(d -> d.getString("id").equals(slowDelivery.getString("id"))).findFirst().orElseThrow()
        .getJsonArray("history").getJsonObject(0);
    assertEquals("retry", listedAttempt.getString("outcome"));

    // And it is tried again: a second attempt for the first alert is claimed after the backoff
    // (counted by the child when it starts the attempt; the receiver's four threads are all
    // held, so it does not read the request before the hold ends).
    await().atMost(Duration.ofSeconds(60)).until(() -> db.count(
        "SELECT attempts FROM deliveries WHERE channel = 'slow' AND alert_id = ?", UUID.fromString(first)) >= 2);

    List<Long> healthyMs = new ArrayList<>();
    sentAt.forEach((key, t0) -> healthyMs.add((fastArrivals.get(key) - t0) / 1_000_000));
    Collections.sort(healthyMs);
    Collections.sort(ingestMs);
    long healthyP99 = healthyMs.get(Math.min(healthyMs.size() - 1, (int) Math.ceil(healthyMs.size() * 0.99) - 1));
    Matcher blocked = BLOCKED.matcher(vigil.log());
    int blockedWarnings = 0;
    while (blocked.find()) {
      blockedWarnings++;
    }
    System.out.printf("B5 timeout=%.1fs hold=%ds aborted_after=%.2fs retried=yes slow_requests_read=%d held_now=%d"
            + " healthy_alerts=%d/%d healthy_p99=%dms max=%dms first_healthy_before_slow_deadline=%s"
            + " ingest_during_hang=50/50 ingest_max=%dms blocked_thread_warnings=%d%n",
        TIMEOUT.toMillis() / 1000.0, HOLD.toSeconds(), heldFor.toMillis() / 1000.0, slow.requests().size(),
        held.get(), healthyMs.size(), HEALTHY_ALERTS, healthyP99, healthyMs.get(healthyMs.size() - 1),
        beforeDeadline, ingestMs.get(ingestMs.size() - 1), blockedWarnings);

    assertTrue(!heldFor.minus(TIMEOUT.minusMillis(100)).isNegative(),
        "the attempt was given up at its deadline, not before: " + attempt.encode());
    assertTrue(heldFor.compareTo(TIMEOUT.plusSeconds(2)) <= 0, "and not long after it: " + heldFor);
    assertTrue(beforeDeadline,
        "the fast channel got the next alert before the first slow attempt reached its " + TIMEOUT + " deadline");
    // Generous: head-of-line blocking would make these wait for the slow attempts' 5 s deadline, over and over.
    assertTrue(healthyMs.get(healthyMs.size() - 1) <= 30_000, "every healthy delivery within 30 s: " + healthyMs);
    assertTrue(ingestMs.get(ingestMs.size() - 1) <= 10_000, "every ingest within 10 s: " + ingestMs);
    assertEquals(0, blockedWarnings, "no Vert.x thread reported blocked");
  }

  /** Attempts of the slow channel for an alert that have an outcome recorded. */
  static long slowAttemptsRecorded(ProcessDatabase db, String alertId) {
    return db.count("SELECT count(*) FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id"
        + " WHERE d.channel = 'slow' AND d.alert_id = ?", UUID.fromString(alertId));
  }
}
