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
import java.util.Map;
import java.util.function.Predicate;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Hourly rate limits on a settable clock, against a real webhook receiver: a channel's
 * {@code max_per_hour} and a rule's {@code @max_alerts_per_hour}. Alerts over a limit are
 * kept, their deliveries {@code skipped} with reason {@code rate_limited} (visible on the
 * alert and in the deliveries API), and once the clock hour ends exactly one "N alerts were
 * held back" notice goes to each channel concerned, also across restarts.
 *
 * <p>To show that something was not sent yet, a test plants a held-back count of an hour long
 * past for a probe rule: when its notice arrives, a pass of the notice job has run at the
 * current clock, and every count due then was handled in that pass or an earlier one.
 */
class RateLimitIT {
  static final String RULES = """
      package r;
      import io.vigil.rules.Event;
      global io.vigil.rules.Alerts alerts;
      rule "Page" @channels("hook, audit-log")
      when
          $e : Event(type == "page")
      then
          alerts.raise(kcontext, $e.getId()).summary("Page " + $e.getId());
      end
      rule "Capped" @max_alerts_per_hour("2") @channels("hook, pd, audit-log")
      when
          $e : Event(type == "capped")
      then
          alerts.raise(kcontext, $e.getId()).summary("Capped " + $e.getId());
      end
      """;

  // A whole hour plus ten minutes: the hour under test is [H, H + 1h). Everything in the
  // server (ingest, engine, delivery, notices) runs on this clock.
  final Instant hour = ClockHour.of(Instant.now()).start();
  final SettableClock clock = new SettableClock(hour.plus(Duration.ofMinutes(10)));
  Receiver receiver;
  TestServer server;
  Api api;
  int probes;

  @BeforeEach
  void start() throws Exception {
    TestDatabase.truncate();
    receiver = new Receiver();
    receiver.answer(r -> r.path().startsWith("/pd")
        ? new Receiver.Answer(202, Map.of(), "{\"status\":\"success\"}") : Receiver.Answer.status(200));
    server = TestServer.builder().clock(clock).rule("r.drl", RULES)
        .channels("""
              - name: hook
                type: webhook
                url: %s
                max_per_hour: 2
              - name: pd
                type: pagerduty
                routing_key: routing-key-0123
                url: %s
              - name: audit-log
                type: log
            """.formatted(receiver.url("/hook"), receiver.url("/pd")))
        .start();
    api = server.api();
  }

  @AfterEach
  void stop() {
    server.close();
    receiver.close();
  }

  void post(String type, String... ids) {
    for (String id : ids) {
      assertEquals(202, api.post("/api/v1/events", "{\"type\":\"" + type + "\",\"id\":\"" + id + "\"}").status());
    }
  }

  void awaitAlerts(int n) {
    await().atMost(Duration.ofSeconds(30)).until(() -> TestDatabase.count("SELECT count(*) FROM alerts") == n
        && TestDatabase.engineCaughtUp());
  }

  /**
   * Waits for a condition while moving the clock on by 50 ms a look: a channel at its
   * delivery.channel_concurrency puts deliveries back for a poll interval of the clock,
   * which a frozen clock would never reach.
   */
  void awaitTicking(java.util.concurrent.Callable<Boolean> condition) {
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      clock.advance(Duration.ofMillis(50));
      return condition.call();
    });
  }

  /** What the webhook receiver got on /hook, as JSON, filtered. */
  List<JsonObject> hook(Predicate<JsonObject> which) {
    return receiver.requests().stream().filter(r -> r.path().equals("/hook")).map(r -> new JsonObject(r.bodyText()))
        .filter(which).toList();
  }

  static boolean raised(JsonObject body) {
    return body.getString("type").equals("alert.raised");
  }

  /** Held-back notices for the hook, probes left out. */
  List<JsonObject> notices() {
    return hook(b -> b.getString("type").equals("alerts.held_back")
        && (b.getString("rule") == null || !b.getString("rule").startsWith("probe-")));
  }

  /** Notice rows in the deliveries API, probes left out. */
  List<JsonObject> noticeRows(String channel) {
    JsonArray items = api.get("/api/v1/deliveries?kind=notice&channel=" + channel).items();
    return items.stream().map(o -> (JsonObject) o).filter(d -> {
      String rule = d.getJsonObject("payload").getString("rule");
      return rule == null || !rule.startsWith("probe-");
    }).toList();
  }

  /** Waits until a notice pass has run at the current clock (see the class comment). */
  void probePass() {
    String rule = "probe-" + (++probes);
    TestDatabase.update("INSERT INTO held_back (tenant, channel, hour, rule, count) VALUES ('default', 'hook', ?, ?, 1)",
        hour.minus(Duration.ofHours(5)).atOffset(ZoneOffset.UTC), rule);
    await().atMost(Duration.ofSeconds(30)).until(() -> !hook(b -> rule.equals(b.getString("rule"))).isEmpty());
  }

  /** The status and reason of each of the alert's deliveries, by channel. */
  Map<String, String> outcomes(String key) {
    JsonObject alert = api.get("/api/v1/alerts?limit=1000").items().stream().map(o -> (JsonObject) o)
        .filter(a -> a.getString("key").equals(key)).findFirst().orElseThrow();
    return alert.getJsonArray("deliveries").stream().map(o -> (JsonObject) o).collect(Collectors.toMap(
        d -> d.getString("channel"), d -> d.getString("status") + (d.getString("reason") == null ? "" : "/" + d.getString("reason"))));
  }

  String alertStatus(String key) {
    return api.get("/api/v1/alerts?limit=1000").items().stream().map(o -> (JsonObject) o)
        .filter(a -> a.getString("key").equals(key)).findFirst().orElseThrow().getString("status");
  }

  @Test
  @DisplayName("raises written together in one batch keep raise order: alert numbering and who gets a channel's allowance")
  void one_batch_keeps_raise_order() {
    // One request, so one journal batch, one engine hand-over and one alert write: the rule-capped
    // c3 needs no channel count, so unordered it would be written before c1 and c2.
    String batch = Stream.of("capped:c1", "capped:c2", "capped:c3", "page:p1", "page:p2")
        .map(t -> "{\"type\":\"" + t.split(":")[0] + "\",\"id\":\"" + t.split(":")[1] + "\"}")
        .collect(Collectors.joining(",", "[", "]"));
    assertEquals(202, api.post("/api/v1/events", batch).status());
    awaitAlerts(5);

    List<String> newestFirst = api.get("/api/v1/alerts?limit=100").items().stream()
        .map(o -> ((JsonObject) o).getString("key")).toList();
    assertEquals(List.of("p2", "p1", "c3", "c2", "c1"), newestFirst, "alerts are numbered in raise order");
    for (String key : List.of("c1", "c2")) {
      assertTrue(List.of("pending", "delivered").contains(outcomes(key).get("hook")), key + " " + outcomes(key));
    }
    assertEquals("skipped/rate_limited", outcomes("c3").get("hook"), "the rule's own cap held c3");
    assertEquals("skipped/rate_limited", outcomes("p1").get("hook"), "the first two raises took the hour's two");
    assertEquals("skipped/rate_limited", outcomes("p2").get("hook"));
  }

  @Test
  @DisplayName("a channel with max_per_hour 2 gets 2 alerts an hour; the rest are rate_limited and counted in one notice")
  void channel_cap_and_its_notice() {
    post("page", "p1", "p2", "p3", "p4", "p5");
    awaitAlerts(5);
    awaitTicking(() -> hook(RateLimitIT::raised).size() == 2
        && TestDatabase.count("SELECT count(*) FROM deliveries WHERE channel = 'audit-log' AND status = 'delivered'") == 5);
    assertEquals(List.of("p1", "p2"), hook(RateLimitIT::raised).stream()
        .map(b -> b.getJsonObject("alert").getString("key")).sorted().toList());

    // Visible on each alert and in the deliveries API; the alert itself stays active and reaches its other channel.
    for (String key : List.of("p3", "p4", "p5")) {
      assertEquals(Map.of("hook", "skipped/rate_limited", "audit-log", "delivered"), outcomes(key), key);
      assertEquals("active", alertStatus(key));
    }
    assertEquals("delivered", outcomes("p1").get("hook"));
    JsonArray skipped = api.get("/api/v1/deliveries?channel=hook&status=skipped").items();
    assertEquals(3, skipped.size());
    skipped.forEach(d -> assertEquals("rate_limited", ((JsonObject) d).getString("reason")));

    // Not before the hour ends.
    clock.set(hour.plus(Duration.ofMinutes(59)).plusSeconds(59));
    probePass();
    assertEquals(List.of(), notices());
    assertEquals(List.of(), noticeRows("hook"));

    clock.set(hour.plus(Duration.ofHours(1)));
    await().atMost(Duration.ofSeconds(30)).until(() -> notices().size() == 1);
    JsonObject notice = notices().get(0);
    assertEquals(3, notice.getInteger("count"));
    assertEquals("channel", notice.getString("limit"));
    assertNull(notice.getString("rule"));
    assertEquals(hour.toString(), notice.getString("hour_start"));
    assertEquals(hour.plus(Duration.ofHours(1)).toString(), notice.getString("hour_end"));
    assertEquals("3 alerts were held back by the rate limit of channel hook between " + hour + " and "
        + hour.plus(Duration.ofHours(1)), notice.getString("message").strip());

    await().atMost(Duration.ofSeconds(30)).until(() -> noticeRows("hook").size() == 1
        && noticeRows("hook").get(0).getString("status").equals("delivered"));
    JsonObject row = noticeRows("hook").get(0);
    assertNull(row.getString("alert_id"));
    assertEquals("notice", row.getString("kind"));
    assertEquals(3, row.getJsonObject("payload").getInteger("count"));
    assertEquals(3, row.getJsonObject("payload").getJsonArray("alert_ids").size());
    assertEquals(List.of(), noticeRows("audit-log"), "the log channel held nothing back");

    // Exactly once: later passes make no second notice.
    probePass();
    assertEquals(1, notices().size());
    assertEquals(1, noticeRows("hook").size());

    // A new hour, a new count.
    post("page", "p6", "p7", "p8");
    awaitAlerts(8);
    await().atMost(Duration.ofSeconds(30)).until(() -> hook(RateLimitIT::raised).size() == 4);
    await().atMost(Duration.ofSeconds(30)).until(() -> "skipped/rate_limited".equals(outcomes("p8").get("hook")));
  }

  @Test
  @DisplayName("a rule's @max_alerts_per_hour: alerts beyond it are suppressed, rate_limited on every channel, and each"
      + " channel but PagerDuty gets one notice naming the rule")
  void rule_cap_and_its_notice() {
    post("capped", "c1", "c2", "c3", "c4");
    awaitAlerts(4);
    await().atMost(Duration.ofSeconds(30)).until(() -> hook(RateLimitIT::raised).size() == 2
        && receiver.requests().stream().filter(r -> r.path().equals("/pd")).count() == 2);
    for (String key : List.of("c3", "c4")) {
      assertEquals("suppressed", alertStatus(key));
      assertEquals(Map.of("hook", "skipped/rate_limited", "pd", "skipped/rate_limited",
          "audit-log", "skipped/rate_limited"), outcomes(key), key);
    }
    JsonObject c4 = api.get("/api/v1/alerts?rule=Capped&limit=1").items().getJsonObject(0);
    assertEquals("rate_limited", c4.getString("suppressed_reason"));

    clock.set(hour.plus(Duration.ofHours(1)).plusSeconds(1));
    await().atMost(Duration.ofSeconds(30)).until(() -> notices().size() == 1
        && noticeRows("audit-log").size() == 1 && noticeRows("audit-log").get(0).getString("status").equals("delivered"));
    JsonObject notice = notices().get(0);
    assertEquals(2, notice.getInteger("count"));
    assertEquals("rule", notice.getString("limit"));
    assertEquals("Capped", notice.getString("rule"));
    assertTrue(notice.getString("message").startsWith("2 alerts were held back by the rate limit of rule \"Capped\""),
        notice.getString("message"));
    assertEquals(2, noticeRows("audit-log").get(0).getJsonObject("payload").getInteger("count"));

    probePass();
    assertEquals(List.of(), noticeRows("pd"), "PagerDuty takes no held-back notices");
    assertEquals(2, receiver.requests().stream().filter(r -> r.path().equals("/pd")).count(), "only the 2 triggers");
    assertEquals(1, TestDatabase.count("SELECT count(*) FROM held_back WHERE channel = 'pd' AND noticed_at IS NOT NULL"
        + " AND notice_id IS NULL"), "its count is marked done without a notice");
    assertEquals(1, notices().size());

    // A channel that never had the alert gets no notice of its end; one that had it does (PagerDuty always).
    assertEquals(200, api.post("/api/v1/alerts/" + alertId("c3") + "/resolve", "{}").status());
    assertEquals(0, TestDatabase.count("SELECT count(*) FROM deliveries WHERE kind = 'resolved'"));
    assertEquals(200, api.post("/api/v1/alerts/" + alertId("c1") + "/resolve", "{}").status());
    assertEquals(List.of("pd"), TestDatabase.query("SELECT channel FROM deliveries WHERE kind = 'resolved'").stream()
        .map(r -> r.get("channel")).toList());
  }

  String alertId(String key) {
    return api.get("/api/v1/alerts?limit=1000").items().stream().map(o -> (JsonObject) o)
        .filter(a -> a.getString("key").equals(key)).findFirst().orElseThrow().getString("id");
  }

  @Test
  @DisplayName("the hourly count and the notice survive restarts: no alert over the cap after a restart, one notice")
  void survives_restarts() {
    post("page", "p1", "p2");
    awaitAlerts(2);
    await().atMost(Duration.ofSeconds(30)).until(() -> hook(RateLimitIT::raised).size() == 2);
    server.restart();
    api = server.api();
    post("page", "p3");
    awaitAlerts(3);
    await().atMost(Duration.ofSeconds(30)).until(() -> "skipped/rate_limited".equals(outcomes("p3").get("hook")));

    // The notice is queued, its first attempt fails, the server restarts, and it is retried: one notice, once.
    receiver.answer(r -> r.bodyText().contains("alerts.held_back") && !r.bodyText().contains("probe-")
        ? Receiver.Answer.status(503) : Receiver.Answer.status(200));
    clock.set(hour.plus(Duration.ofHours(1)));
    await().atMost(Duration.ofSeconds(30)).until(() -> TestDatabase.count("SELECT count(*) FROM delivery_attempts a"
        + " JOIN deliveries d ON d.id = a.delivery_id WHERE d.kind = 'notice' AND a.outcome = 'retry'") >= 1);
    server.restart();
    api = server.api();
    receiver.answer(r -> Receiver.Answer.status(200));
    clock.advance(Duration.ofMinutes(15));
    await().atMost(Duration.ofSeconds(30)).until(() -> noticeRows("hook").size() == 1
        && noticeRows("hook").get(0).getString("status").equals("delivered"));
    probePass();
    assertEquals(1, noticeRows("hook").size());
    List<JsonObject> sent = notices();
    assertTrue(sent.size() >= 2, "one refused attempt and one delivered, same notice");
    assertEquals(1, receiver.requests().stream().filter(r -> r.bodyText().contains("alerts.held_back")
        && !r.bodyText().contains("probe-")).map(r -> r.header("webhook-id")).distinct().count(),
        "every attempt is the same notice");
    sent.forEach(n -> assertEquals(1, n.getInteger("count")));
  }
}
