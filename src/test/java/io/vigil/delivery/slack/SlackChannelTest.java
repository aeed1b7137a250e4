package io.vigil.delivery.slack;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.net.ServerSocket;
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
 * The Slack channel against a real HTTP receiver on loopback standing in for an incoming
 * webhook: the Block Kit message it posts (colour, header, text, fields, context), the
 * resolved rendering, how Slack's answers are classified, and that the webhook URL, the
 * credential, never shows in a result or a log line.
 */
class SlackChannelTest {
  static final String SECRET_PATH = "/services/T0VIGIL01/B0VIGIL02/s3cr3tW3bh00kT0k3n";
  static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-22T10:00:00Z"), ZoneOffset.UTC);

  Vertx vertx;
  Receiver receiver;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    receiver = new Receiver();
    receiver.answer(r -> new Receiver.Answer(200, Map.of("Content-Type", "text/plain"), "ok"));
  }

  @AfterEach
  void stop() {
    receiver.close();
    vertx.close().toCompletionStage().toCompletableFuture().join();
  }

  SlackChannel channel(String url, boolean allowPrivate) {
    HttpTransport http = new HttpTransport(vertx, new TargetGuard(allowPrivate), Duration.ofSeconds(5), 64 * 1024, CLOCK);
    return new SlackChannel(new ChannelConfig.Slack("secops-slack", ChannelConfig.Options.defaults(), Secret.of(url)), http);
  }

  SlackChannel channel() {
    return channel(receiver.url(SECRET_PATH), true);
  }

  static JsonObject alert(String severity) {
    return new JsonObject()
        .put("id", "6f1c2a8e-0000-4000-8000-000000000001").put("tenant", "acme").put("rule", "Brute force login")
        .put("key", "alice").put("fingerprint", "fp-9c1d").put("severity", severity).put("status", "active")
        .put("summary", "12 failed logins for alice").put("tags", new JsonArray().add("auth"))
        .put("first_seen", "2026-11-22T09:58:00Z").put("last_seen", "2026-11-22T09:59:30Z").put("occurrences", 12);
  }

  static OutboundMessage message(String event, JsonObject alert, String text) {
    return new OutboundMessage(UUID.fromString("00000000-0000-0000-0000-000000000007"), 1, event, alert, Map.of("", text));
  }

  static DeliveryResult send(SlackChannel c, OutboundMessage m) throws Exception {
    return c.send(m).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  JsonObject lastPosted() {
    List<Receiver.Request> requests = receiver.requests();
    return new JsonObject(requests.get(requests.size() - 1).bodyText());
  }

  static JsonArray blocks(JsonObject posted) {
    return posted.getJsonArray("attachments").getJsonObject(0).getJsonArray("blocks");
  }

  static JsonObject block(JsonObject posted, String type) {
    return blocks(posted).stream().map(JsonObject.class::cast).filter(b -> b.getString("type").equals(type))
        .findFirst().orElseThrow(() -> new AssertionError("no " + type + " block in " + posted.encodePrettily()));
  }

  static String headerText(JsonObject posted) {
    return block(posted, "header").getJsonObject("text").getString("text");
  }

  static String colour(JsonObject posted) {
    return posted.getJsonArray("attachments").getJsonObject(0).getString("color");
  }

  @Test
  @DisplayName("a raised alert is posted as JSON with the text as fallback and a header, text, fields and context with the link")
  void posts_a_block_kit_message() throws Exception {
    JsonObject alert = alert("high").put("url", "https://vigil.example.com/api/v1/alerts/6f1c2a8e-0000-4000-8000-000000000001");
    DeliveryResult result = send(channel(), message("alert.raised", alert, "*12 failed logins* for alice"));

    assertEquals(new DeliveryResult.Delivered(200), result);
    Receiver.Request request = receiver.requests().get(0);
    assertEquals("POST", request.method());
    assertEquals(SECRET_PATH, request.path());
    assertTrue(request.header("Content-Type").startsWith("application/json"), request.header("Content-Type"));
    JsonObject posted = new JsonObject(request.bodyText());
    assertEquals("*12 failed logins* for alice", posted.getString("text"));
    JsonArray blocks = blocks(posted);
    assertEquals(List.of("header", "section", "section", "context"),
        blocks.stream().map(b -> ((JsonObject) b).getString("type")).toList());

    JsonObject header = blocks.getJsonObject(0).getJsonObject("text");
    assertEquals("plain_text", header.getString("type"));
    assertEquals(":red_circle: Brute force login", header.getString("text"));
    assertEquals(new JsonObject().put("type", "mrkdwn").put("text", "*12 failed logins* for alice"),
        blocks.getJsonObject(1).getJsonObject("text"));
    assertEquals(List.of("*Key*\nalice", "*Severity*\nhigh", "*Occurrences*\n12", "*First seen*\n2026-11-22T09:58:00Z"),
        blocks.getJsonObject(2).getJsonArray("fields").stream().map(f -> ((JsonObject) f).getString("text")).toList());
    blocks.getJsonObject(2).getJsonArray("fields").forEach(f -> assertEquals("mrkdwn", ((JsonObject) f).getString("type")));
    assertEquals(List.of("Alert `6f1c2a8e-0000-4000-8000-000000000001`",
            "<https://vigil.example.com/api/v1/alerts/6f1c2a8e-0000-4000-8000-000000000001|Open in Vigil>"),
        blocks.getJsonObject(3).getJsonArray("elements").stream().map(e -> ((JsonObject) e).getString("text")).toList());
  }

  @Test
  @DisplayName("without a url in the alert view the context carries only the alert id")
  void context_without_url() throws Exception {
    send(channel(), message("alert.raised", alert("medium"), "text"));

    JsonArray elements = block(lastPosted(), "context").getJsonArray("elements");
    assertEquals(1, elements.size());
    assertEquals("Alert `6f1c2a8e-0000-4000-8000-000000000001`", elements.getJsonObject(0).getString("text"));
  }

  @ParameterizedTest(name = "{0} is shown with {1} and colour {2}")
  @CsvSource({
      "emergency, :rotating_light:,       #7A0010",
      "critical,  :rotating_light:,       #D0021B",
      "high,      :red_circle:,           #F0513C",
      "medium,    :large_orange_circle:,  #F5A623",
      "low,       :large_yellow_circle:,  #F8E71C",
      "info,      :information_source:,   #439FE0"})
  @DisplayName("each severity has its emoji in the header and its colour on the attachment")
  void severity_emoji_and_colour(String severity, String emoji, String colour) throws Exception {
    send(channel(), message("alert.raised", alert(severity), "text"));

    JsonObject posted = lastPosted();
    assertEquals(emoji + " Brute force login", headerText(posted));
    assertEquals(colour, colour(posted));
  }

  @Test
  @DisplayName("a resolved alert is green with a check mark and Resolved: in the header, whatever its severity")
  void resolved_rendering() throws Exception {
    send(channel(), message("alert.resolved", alert("critical").put("status", "resolved"), "resolved after 2 min"));

    JsonObject posted = lastPosted();
    assertEquals(":white_check_mark: Resolved: Brute force login", headerText(posted));
    assertEquals("#2EB67D", colour(posted));
    assertEquals("resolved after 2 min", posted.getString("text"));
  }

  @Test
  @DisplayName("text from events is escaped, so a key like <!channel> or a <url|label> is shown and never acted on")
  void escapes_mrkdwn_control_characters() throws Exception {
    JsonObject alert = alert("high").put("key", "<!channel> & <https://evil.example|reset password>");
    send(channel(), message("alert.raised", alert, "login by <!channel>"));

    JsonObject posted = lastPosted();
    assertEquals("login by &lt;!channel&gt;", posted.getString("text"));
    assertEquals("login by &lt;!channel&gt;", blocks(posted).getJsonObject(1).getJsonObject("text").getString("text"));
    assertEquals("*Key*\n&lt;!channel&gt; &amp; &lt;https://evil.example|reset password&gt;",
        blocks(posted).getJsonObject(2).getJsonArray("fields").getJsonObject(0).getString("text"));
  }

  @Test
  @DisplayName("texts longer than Slack's limits are cut to them, and an empty text falls back to the summary")
  void respects_slack_limits() throws Exception {
    JsonObject alert = alert("low").put("rule", "R".repeat(400)).put("key", "k".repeat(5000));
    send(channel(), message("alert.raised", alert, "x".repeat(10_000)));
    JsonObject posted = lastPosted();
    assertEquals(SlackMessage.HEADER_MAX, headerText(posted).length());
    assertEquals(SlackMessage.SECTION_TEXT_MAX, blocks(posted).getJsonObject(1).getJsonObject("text").getString("text").length());
    assertEquals(SlackMessage.FIELD_TEXT_MAX,
        blocks(posted).getJsonObject(2).getJsonArray("fields").getJsonObject(0).getString("text").length());

    send(channel(), message("alert.raised", alert("low"), ""));
    assertEquals("12 failed logins for alice", lastPosted().getString("text"));
  }

  @Test
  @DisplayName("429 with Retry-After: 3 comes back as a retry no sooner than 3 seconds")
  void rate_limited_is_retried_after_the_given_delay() throws Exception {
    receiver.answer(r -> new Receiver.Answer(429, Map.of("Retry-After", "3"), "rate_limited"));

    DeliveryResult result = send(channel(), message("alert.raised", alert("high"), "text"));

    DeliveryResult.Retry retry = assertInstanceOf(DeliveryResult.Retry.class, result);
    assertEquals(Optional.of(Duration.ofSeconds(3)), retry.retryAfter());
    assertEquals(429, retry.statusCode());
  }

  @ParameterizedTest(name = "{0} {1} fails for good")
  @CsvSource({"400, invalid_payload", "403, invalid_token", "404, no_service", "410, channel_is_archived"})
  @DisplayName("Slack's refusals fail for good and keep Slack's answer")
  void refusals_fail_with_slacks_answer(int status, String answer) throws Exception {
    receiver.answer(r -> new Receiver.Answer(status, Map.of("Content-Type", "text/plain"), answer));

    DeliveryResult result = send(channel(), message("alert.raised", alert("high"), "text"));

    DeliveryResult.Failed failed = assertInstanceOf(DeliveryResult.Failed.class, result);
    assertEquals("HTTP " + status + ": " + answer, failed.error());
    assertEquals(status, failed.statusCode());
  }

  @Test
  @DisplayName("a 5xx from Slack is retried")
  void server_errors_are_retried() throws Exception {
    receiver.answer(r -> new Receiver.Answer(503, Map.of(), "service_unavailable"));

    DeliveryResult result = send(channel(), message("alert.raised", alert("high"), "text"));

    assertEquals("HTTP 503: service_unavailable", assertInstanceOf(DeliveryResult.Retry.class, result).error());
  }

  @Test
  @DisplayName("the webhook URL's secret path appears in no result and no log line, whatever the answer")
  void webhook_url_never_leaks() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    List<String> texts = new ArrayList<>();
    try (LogCapture logs = new LogCapture()) {
      OutboundMessage m = message("alert.raised", alert("critical"), "text");
      for (Receiver.Answer answer : List.of(
          new Receiver.Answer(200, Map.of(), "ok"),
          new Receiver.Answer(404, Map.of(), "no_service"),
          new Receiver.Answer(429, Map.of("Retry-After", "3"), ""),
          new Receiver.Answer(500, Map.of(), "internal_error"))) {
        receiver.answer(r -> answer);
        texts.add(send(channel(), m).toString());
      }
      // A receiver that quotes the request back: the channel masks what it was sent to.
      receiver.answer(r -> new Receiver.Answer(400, Map.of(), "bad request to " + r.path()));
      DeliveryResult echoed = send(channel(), m);
      assertEquals("HTTP 400: bad request to " + Secret.MASK, ((DeliveryResult.Failed) echoed).error());
      texts.add(echoed.toString());
      texts.add(send(channel("http://127.0.0.1:" + closedPort + SECRET_PATH, true), m).toString());
      texts.add(send(channel(receiver.url(SECRET_PATH), false), m).toString());
      texts.addAll(logs.lines());
    }
    SecretLeaks.assertNone(texts, SECRET_PATH, "s3cr3tW3bh00kT0k3n", receiver.url(SECRET_PATH));
  }
}
