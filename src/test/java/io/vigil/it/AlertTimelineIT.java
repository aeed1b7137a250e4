package io.vigil.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vigil.testing.Api;
import io.vigil.testing.Receiver;
import io.vigil.testing.TestDatabase;
import io.vigil.testing.TestServer;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The timeline in {@code GET /api/v1/alerts/{id}}: the raise, the occurrences, who
 * acknowledged (twice, with notes) and resolved it, every delivery attempt (a retry
 * included) and the deliveries never attempted (an unknown channel, a channel above the
 * alert's severity), in time order.
 */
class AlertTimelineIT {
  static final String RULES = """
      package test.timeline;
      import io.vigil.rules.Event;
      global io.vigil.rules.Alerts alerts;

      rule "Timeline probe"
          @severity("high") @channels("hook, flaky, nowhere, picky")
      when
          $e : Event(type == "timeline.alert", $host : host)
      then
          alerts.raise(kcontext, $host).summary("probe " + $host);
      end
      """;

  static Receiver hook;
  static Receiver flaky;
  static TestServer server;
  static Api api;

  @BeforeAll
  static void start() throws Exception {
    TestDatabase.truncate();
    hook = new Receiver();
    flaky = new Receiver();
    AtomicInteger calls = new AtomicInteger();
    flaky.answer(r -> Receiver.Answer.status(calls.incrementAndGet() == 1 ? 500 : 200));
    server = TestServer.builder()
        .rule("timeline.drl", RULES)
        .channels("  - name: hook\n    type: webhook\n    url: " + hook.url("/hook") + "\n    send_resolved: true\n"
            + "  - name: flaky\n    type: webhook\n    url: " + flaky.url("/flaky") + "\n"
            + "  - name: picky\n    type: log\n    min_severity: critical\n")
        .start();
    api = server.api();
  }

  @AfterAll
  static void stop() {
    server.close();
    hook.close();
    flaky.close();
  }

  static List<JsonObject> entries(JsonArray timeline, String kind) {
    return timeline.stream().map(o -> (JsonObject) o).filter(e -> e.getString("kind").equals(kind)).toList();
  }

  @Test
  @DisplayName("raise, occurrences, acknowledgements and resolution with who and notes, and every delivery attempt, in order")
  void timeline() {
    assertEquals(202, api.post("/api/v1/events", "{\"type\":\"timeline.alert\",\"host\":\"t1\"}").status());
    assertEquals(202, api.post("/api/v1/events", "{\"type\":\"timeline.alert\",\"host\":\"t1\"}").status());
    String id = await().atMost(Duration.ofSeconds(30)).until(() -> api.get("/api/v1/alerts").items(),
        a -> a.size() == 1 && a.getJsonObject(0).getInteger("occurrences") == 2).getJsonObject(0).getString("id");
    await().atMost(Duration.ofSeconds(30)).until(() -> TestDatabase.count(
        "SELECT count(*) FROM deliveries WHERE status = 'pending'") == 0);

    assertEquals(200, api.post("/api/v1/alerts/" + id + "/acknowledge", "{\"by\":\"alice\",\"note\":\"looking\"}")
        .status());
    assertEquals(200, api.post("/api/v1/alerts/" + id + "/acknowledge", "{\"note\":\"still looking\"}").status());
    assertEquals(200, api.post("/api/v1/alerts/" + id + "/acknowledge", "{}").status(), "changes nothing");
    assertEquals(200, api.post("/api/v1/alerts/" + id + "/resolve", "{\"by\":\"bob\",\"note\":\"fixed\"}").status());
    assertEquals(409, api.post("/api/v1/alerts/" + id + "/resolve", "{\"note\":\"again\"}").status());
    await().atMost(Duration.ofSeconds(30)).until(() -> TestDatabase.count(
        "SELECT count(*) FROM deliveries WHERE kind = 'resolved' AND status = 'delivered'") == 1);

    JsonObject alert = api.get("/api/v1/alerts/" + id).json();
    JsonArray timeline = alert.getJsonArray("timeline");
    assertEquals("raised", timeline.getJsonObject(0).getString("kind"));
    assertEquals(alert.getString("first_seen"), timeline.getJsonObject(0).getString("at"));
    assertEquals("high", timeline.getJsonObject(0).getString("severity"));
    Instant previous = Instant.MIN;
    for (Object o : timeline) {
      Instant at = Instant.parse(((JsonObject) o).getString("at"));
      assertFalse(at.isBefore(previous), "in time order: " + timeline.encodePrettily());
      previous = at;
    }

    List<JsonObject> occurrence = entries(timeline, "occurrence");
    assertEquals(1, occurrence.size(), "one entry for all occurrences");
    assertEquals(2, occurrence.get(0).getInteger("occurrences"));
    assertEquals(alert.getString("last_seen"), occurrence.get(0).getString("at"));

    List<JsonObject> acks = entries(timeline, "acknowledged");
    assertEquals(2, acks.size(), "a repeat without a note adds nothing");
    assertEquals("alice", acks.get(0).getString("by"));
    assertEquals("looking", acks.get(0).getString("note"));
    assertEquals("key_operator", acks.get(0).getString("key_id"));
    assertEquals("key_operator", acks.get(1).getString("by"), "without a name, the key");
    assertEquals("still looking", acks.get(1).getString("note"));
    List<JsonObject> resolved = entries(timeline, "resolved");
    assertEquals(1, resolved.size(), "a refused resolve adds nothing");
    assertEquals("bob", resolved.get(0).getString("by"));
    assertEquals("fixed", resolved.get(0).getString("note"));
    assertEquals(alert.getString("resolved_at"), resolved.get(0).getString("at"));
    assertEquals(3, TestDatabase.count("SELECT count(*) FROM alert_events WHERE alert_id = ?::uuid", id));

    List<JsonObject> attempts = entries(timeline, "delivery_attempt");
    int history = alert.getJsonArray("deliveries").stream()
        .mapToInt(d -> ((JsonObject) d).getJsonArray("history").size()).sum();
    assertEquals(4, history, "hook raised, flaky twice, hook resolved");
    assertEquals(history, attempts.size(), "every attempt is in the timeline");
    List<JsonObject> flakyAttempts = attempts.stream().filter(a -> a.getString("channel").equals("flaky")).toList();
    assertEquals(List.of("retry", "delivered"), flakyAttempts.stream().map(a -> a.getString("outcome")).toList());
    assertEquals(500, flakyAttempts.get(0).getInteger("status_code"));
    assertTrue(flakyAttempts.get(0).getString("error").contains("500"), flakyAttempts.get(0).encode());
    assertEquals(List.of(1, 2), flakyAttempts.stream().map(a -> a.getInteger("attempt")).toList());
    assertTrue(attempts.stream().anyMatch(a -> a.getString("channel").equals("hook")
        && a.getString("delivery").equals("resolved") && a.getString("outcome").equals("delivered")));

    List<JsonObject> failed = entries(timeline, "delivery_failed");
    assertEquals(1, failed.size());
    assertEquals("nowhere", failed.get(0).getString("channel"));
    assertTrue(failed.get(0).getString("error").startsWith("unknown_channel"));
    List<JsonObject> skipped = entries(timeline, "delivery_skipped");
    assertEquals(1, skipped.size());
    assertEquals("picky", skipped.get(0).getString("channel"));
    assertEquals("below_min_severity", skipped.get(0).getString("reason"));
    assertEquals(1 + 1 + 2 + 1 + 4 + 1 + 1, timeline.size(), timeline.encodePrettily());
  }
}
