package io.vigil.delivery.pagerduty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vigil.config.ChannelConfig;
import io.vigil.config.Secret;
import io.vigil.delivery.DeliveryResult;
import io.vigil.delivery.HttpTransport;
import io.vigil.delivery.OutboundMessage;
import io.vigil.delivery.TargetGuard;
import io.vigil.testing.LogCapture;
import io.vigil.testing.Receiver;
import io.vigil.testing.SecretLeaks;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The PagerDuty channel against a real HTTP receiver on loopback standing in for the Events
 * API v2: one incident per alert (trigger, acknowledge and resolve share the fingerprint as
 * dedup key), the trigger payload and severity mapping, how PagerDuty's answers are
 * classified, and that the routing key never shows in a result or a log line.
 */
class PagerDutyChannelTest {
  static final String ROUTING_KEY = "R0UT1NGK3Yf00dcafe0123456789abcd";
  static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-22T10:00:00Z"), ZoneOffset.UTC);

  Vertx vertx;
  Receiver receiver;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    receiver = new Receiver();
    receiver.answer(r -> new Receiver.Answer(202, Map.of("Content-Type", "application/json"),
        "{\"status\":\"success\",\"message\":\"Event processed\",\"dedup_key\":\"fp-9c1d\"}"));
  }

  @AfterEach
  void stop() {
    receiver.close();
    vertx.close().toCompletionStage().toCompletableFuture().join();
  }

  PagerDutyChannel channel(boolean sendResolved) {
    HttpTransport http = new HttpTransport(vertx, new TargetGuard(true), Duration.ofSeconds(5), 64 * 1024, CLOCK);
    ChannelConfig.Options options = new ChannelConfig.Options(sendResolved, Optional.empty(), 0, Optional.empty());
    return new PagerDutyChannel(
        new ChannelConfig.PagerDuty("oncall", options, Secret.of(ROUTING_KEY), receiver.url("/v2/enqueue")), http);
  }

  PagerDutyChannel channel() {
    return channel(false);
  }

  static JsonObject alert(String severity) {
    return new JsonObject()
        .put("id", "6f1c2a8e-0000-4000-8000-000000000001").put("tenant", "acme").put("rule", "Brute force login")
        .put("key", "alice").put("fingerprint", "fp-9c1d").put("severity", severity).put("status", "active")
        .put("summary", "12 failed logins for alice").put("tags", new JsonArray().add("auth").add("t1110"))
        .put("first_seen", "2026-11-22T09:58:00Z").put("last_seen", "2026-11-22T09:59:30Z").put("occurrences", 12);
  }

  static OutboundMessage message(String event, JsonObject alert) {
    return new OutboundMessage(UUID.fromString("00000000-0000-0000-0000-000000000009"), 1, event, alert,
        Map.of("", "[HIGH] 12 failed logins for alice"));
  }

  static DeliveryResult send(PagerDutyChannel c, OutboundMessage m) throws Exception {
    return c.send(m).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  JsonObject lastPosted() {
    List<Receiver.Request> requests = receiver.requests();
    return new JsonObject(requests.get(requests.size() - 1).bodyText());
  }

  @Test
  @DisplayName("trigger, acknowledge and resolve of one alert all carry its fingerprint as dedup_key")
  void one_incident_per_alert() throws Exception {
    PagerDutyChannel c = channel();
    assertEquals(new DeliveryResult.Delivered(202), send(c, message("alert.raised", alert("high"))));
    assertEquals(new DeliveryResult.Delivered(202), send(c, message("alert.acknowledged", alert("high").put("status", "acknowledged"))));
    assertEquals(new DeliveryResult.Delivered(202), send(c, message("alert.resolved", alert("high").put("status", "resolved"))));

    List<JsonObject> posted = receiver.requests().stream().map(r -> new JsonObject(r.bodyText())).toList();
    assertEquals(List.of("trigger", "acknowledge", "resolve"), posted.stream().map(p -> p.getString("event_action")).toList());
    posted.forEach(p -> assertEquals("fp-9c1d", p.getString("dedup_key")));
    posted.forEach(p -> assertEquals(ROUTING_KEY, p.getString("routing_key")));
    assertTrue(posted.get(0).containsKey("payload"));
    assertEquals(Map.of("routing_key", ROUTING_KEY, "event_action", "acknowledge", "dedup_key", "fp-9c1d"),
        posted.get(1).getMap(), "acknowledge carries only the keys");
    assertEquals(Map.of("routing_key", ROUTING_KEY, "event_action", "resolve", "dedup_key", "fp-9c1d"),
        posted.get(2).getMap(), "resolve carries only the keys");
    receiver.requests().forEach(r -> assertEquals("/v2/enqueue", r.path()));
  }

  @Test
  @DisplayName("a trigger carries summary, source, severity, timestamp, component, group, class, details and the alert link")
  void trigger_payload() throws Exception {
    JsonObject alert = alert("high").put("url", "https://vigil.example.com/api/v1/alerts/6f1c2a8e-0000-4000-8000-000000000001");
    send(channel(), message("alert.raised", alert));

    JsonObject posted = lastPosted();
    JsonObject expectedPayload = new JsonObject()
        .put("summary", "12 failed logins for alice")
        .put("source", "vigil/acme")
        .put("severity", "error")
        .put("timestamp", "2026-11-22T09:58:00Z")
        .put("component", "alice")
        .put("group", "Brute force login")
        .put("class", "Brute force login")
        .put("custom_details", new JsonObject()
            .put("rule", "Brute force login")
            .put("key", "alice")
            .put("occurrences", 12)
            .put("tags", new JsonArray().add("auth").add("t1110"))
            .put("message", "[HIGH] 12 failed logins for alice")
            .put("alert_id", "6f1c2a8e-0000-4000-8000-000000000001"));
    assertEquals(expectedPayload, posted.getJsonObject("payload"));
    assertEquals(new JsonArray().add(new JsonObject()
            .put("href", "https://vigil.example.com/api/v1/alerts/6f1c2a8e-0000-4000-8000-000000000001")
            .put("text", "Vigil alert")),
        posted.getJsonArray("links"));
  }

  @Test
  @DisplayName("without a url in the alert view a trigger has no links, and a test message triggers too")
  void test_message_triggers_without_links() throws Exception {
    send(channel(), message("test", alert("info")));

    JsonObject posted = lastPosted();
    assertEquals("trigger", posted.getString("event_action"));
    assertFalse(posted.containsKey("links"));
  }

  @Test
  @DisplayName("a summary longer than 1024 characters is cut to 1024")
  void long_summary_is_cut() throws Exception {
    send(channel(), message("alert.raised", alert("high").put("summary", "s".repeat(5000))));

    String summary = lastPosted().getJsonObject("payload").getString("summary");
    assertEquals(1024, summary.length());
    assertTrue(summary.endsWith("…"));
  }

  @ParameterizedTest(name = "{0} becomes {1}")
  @CsvSource({
      "emergency, critical",
      "critical,  critical",
      "high,      error",
      "medium,    warning",
      "low,       info",
      "info,      info"})
  @DisplayName("Vigil's six severities map onto PagerDuty's four")
  void severity_mapping(String vigil, String pagerDuty) throws Exception {
    send(channel(), message("alert.raised", alert(vigil)));

    assertEquals(pagerDuty, lastPosted().getJsonObject("payload").getString("severity"));
  }

  @Test
  @DisplayName("it wants raised, acknowledged, resolved and test events even when send_resolved is off")
  void mirrors_every_state_change() {
    for (boolean sendResolved : List.of(false, true)) {
      PagerDutyChannel c = channel(sendResolved);
      for (String event : List.of("alert.raised", "alert.acknowledged", "alert.resolved", "test")) {
        assertTrue(c.wants(event), event + " with send_resolved=" + sendResolved);
      }
      assertFalse(c.wants("alert.silenced"));
    }
  }

  @Test
  @DisplayName("a 400 with a JSON error fails for good with PagerDuty's message and errors, the routing key masked")
  void bad_request_keeps_the_error_text_but_not_the_key() throws Exception {
    receiver.answer(r -> new Receiver.Answer(400, Map.of("Content-Type", "application/json"),
        "{\"status\":\"invalid event\",\"message\":\"Event object is invalid\","
            + "\"errors\":[\"Routing key " + ROUTING_KEY + " is unknown\",\"'payload.summary' is missing\"]}"));

    DeliveryResult result = send(channel(), message("alert.raised", alert("high")));

    DeliveryResult.Failed failed = assertInstanceOf(DeliveryResult.Failed.class, result);
    assertEquals("HTTP 400: Event object is invalid: Routing key <secret> is unknown; 'payload.summary' is missing",
        failed.error());
    assertEquals(400, failed.statusCode());
  }

  @Test
  @DisplayName("an answer cut short by the transport keeps its text and masks even the beginning of the routing key")
  void cut_answer_masks_a_partial_key() throws Exception {
    String padding = "x".repeat(180);
    receiver.answer(r -> new Receiver.Answer(400, Map.of(), padding + " key " + ROUTING_KEY));

    DeliveryResult result = send(channel(), message("alert.raised", alert("high")));

    String error = assertInstanceOf(DeliveryResult.Failed.class, result).error();
    assertTrue(error.startsWith("HTTP 400: " + padding + " key <secret>"), error);
    SecretLeaks.assertNone(error, ROUTING_KEY.substring(0, 6));
  }

  @Test
  @DisplayName("429 is retried, after PagerDuty's Retry-After when it gives one")
  void rate_limited_is_retried() throws Exception {
    receiver.answer(r -> new Receiver.Answer(429, Map.of("Retry-After", "30"), ""));
    DeliveryResult.Retry withDelay = assertInstanceOf(DeliveryResult.Retry.class,
        send(channel(), message("alert.raised", alert("high"))));
    assertEquals(Optional.of(Duration.ofSeconds(30)), withDelay.retryAfter());

    receiver.answer(r -> Receiver.Answer.status(429));
    DeliveryResult.Retry without = assertInstanceOf(DeliveryResult.Retry.class,
        send(channel(), message("alert.raised", alert("high"))));
    assertEquals(Optional.empty(), without.retryAfter());
    assertEquals(429, without.statusCode());
  }

  @Test
  @DisplayName("a 500 from PagerDuty is retried")
  void server_error_is_retried() throws Exception {
    receiver.answer(r -> new Receiver.Answer(500, Map.of(), "internal error"));

    DeliveryResult result = send(channel(), message("alert.resolved", alert("high")));

    assertEquals("HTTP 500: internal error", assertInstanceOf(DeliveryResult.Retry.class, result).error());
  }

  @Test
  @DisplayName("the routing key appears in no result and no log line, whatever the answer")
  void routing_key_never_leaks() throws Exception {
    List<String> texts = new ArrayList<>();
    try (LogCapture logs = new LogCapture()) {
      for (Receiver.Answer answer : List.of(
          new Receiver.Answer(202, Map.of(), "{\"status\":\"success\"}"),
          new Receiver.Answer(400, Map.of(), "{\"message\":\"Invalid routing key " + ROUTING_KEY + "\"}"),
          new Receiver.Answer(400, Map.of(), "invalid routing key " + ROUTING_KEY + " (plain text)"),
          new Receiver.Answer(429, Map.of("Retry-After", "5"), ROUTING_KEY),
          new Receiver.Answer(500, Map.of(), "failed for " + ROUTING_KEY))) {
        receiver.answer(r -> answer);
        for (String event : List.of("alert.raised", "alert.acknowledged", "alert.resolved")) {
          texts.add(send(channel(), message(event, alert("critical"))).toString());
        }
      }
      texts.addAll(logs.lines());
    }
    assertEquals(15, receiver.requests().size(), "every attempt reached the receiver");
    SecretLeaks.assertNone(texts, ROUTING_KEY);
  }
}
