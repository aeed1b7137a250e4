package io.vigil.delivery.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
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
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The webhook channel against a real HTTP receiver on loopback: the signed request, how
 * each kind of answer is classified, the deadline, redirects, the private-target guard, and
 * that no error text carries the URL or the secret.
 */
class WebhookChannelTest {
  static final String TOKEN_IN_URL = "T0KEN-in-the-path-7f3a";
  static final String SECRET = "plain-webhook-secret-123";
  static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-22T10:00:00Z"), ZoneOffset.UTC);

  Vertx vertx;
  Receiver receiver;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    receiver = new Receiver();
  }

  @AfterEach
  void stop() {
    receiver.close();
    vertx.close().toCompletionStage().toCompletableFuture().join();
  }

  WebhookChannel channel(String url, boolean allowPrivate, Duration timeout) {
    HttpTransport http = new HttpTransport(vertx, new TargetGuard(allowPrivate), timeout, 64 * 1024, CLOCK);
    return new WebhookChannel(new ChannelConfig.Webhook("hook", ChannelConfig.Options.defaults(), Secret.of(url), Optional.of(Secret.of(SECRET)),
        "POST", Map.of("X-Team", Secret.of("secops"))), http, CLOCK);
  }

  static OutboundMessage message() {
    JsonObject alert = new JsonObject().put("id", "a1").put("rule", "R").put("key", "k").put("fingerprint", "f")
        .put("severity", "high").put("status", "active").put("summary", "s").put("first_seen", "t")
        .put("last_seen", "t").put("occurrences", 1).put("evidence", "not sent");
    return new OutboundMessage(UUID.fromString("00000000-0000-0000-0000-000000000001"), 1, "alert.raised", alert,
        Map.of("", "text"));
  }

  DeliveryResult send(WebhookChannel c) throws Exception {
    return c.send(message()).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  @Test
  @DisplayName("a 2xx answer is delivered; the request is signed and carries the configured headers")
  void delivers_signed() throws Exception {
    DeliveryResult r = send(channel(receiver.url("/hook/" + TOKEN_IN_URL), true, Duration.ofSeconds(5)));
    assertInstanceOf(DeliveryResult.Delivered.class, r);
    Receiver.Request req = receiver.requests().get(0);
    assertEquals("/hook/" + TOKEN_IN_URL, req.path());
    assertEquals("00000000-0000-0000-0000-000000000001", req.header("webhook-id"));
    assertEquals(String.valueOf(CLOCK.instant().getEpochSecond()), req.header("webhook-timestamp"));
    assertEquals(new WebhookSigner(SECRET).sign(req.header("webhook-id"), CLOCK.instant().getEpochSecond(), req.body()),
        req.header("webhook-signature"));
    assertEquals("secops", req.header("X-Team"));
    JsonObject body = new JsonObject(req.bodyText());
    assertFalse(body.getJsonObject("alert").containsKey("evidence"), "the webhook alert carries the documented fields");
    assertEquals("text", body.getString("message"));
  }

  @Test
  @DisplayName("5xx and 429 are retried (Retry-After kept), other 4xx fail, 3xx is not followed")
  void classifies_answers() throws Exception {
    WebhookChannel c = channel(receiver.url("/hook"), true, Duration.ofSeconds(5));
    receiver.answer(r -> new Receiver.Answer(503, Map.of(), "busy"));
    DeliveryResult r503 = send(c);
    assertInstanceOf(DeliveryResult.Retry.class, r503);
    assertEquals("HTTP 503: busy", ((DeliveryResult.Retry) r503).error());
    receiver.answer(r -> new Receiver.Answer(429, Map.of("Retry-After", "3"), ""));
    DeliveryResult r429 = send(c);
    assertEquals(Optional.of(Duration.ofSeconds(3)), ((DeliveryResult.Retry) r429).retryAfter());
    receiver.answer(r -> new Receiver.Answer(410, Map.of(), "gone"));
    assertInstanceOf(DeliveryResult.Failed.class, send(c));
    receiver.answer(r -> new Receiver.Answer(302, Map.of("Location", receiver.url("/elsewhere")), ""));
    DeliveryResult r302 = send(c);
    assertInstanceOf(DeliveryResult.Failed.class, r302);
    assertTrue(receiver.requests().stream().noneMatch(q -> q.path().equals("/elsewhere")), "redirect not followed");
  }

  @Test
  @DisplayName("an answer that never comes is abandoned at the deadline and retried later")
  void deadline() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    receiver.answer(r -> {
      try {
        release.await(20, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      return Receiver.Answer.status(200);
    });
    long started = System.nanoTime();
    DeliveryResult r = send(channel(receiver.url("/slow/" + TOKEN_IN_URL), true, Duration.ofMillis(800)));
    long tookMs = (System.nanoTime() - started) / 1_000_000;
    release.countDown();
    assertInstanceOf(DeliveryResult.Retry.class, r);
    assertTrue(((DeliveryResult.Retry) r).error().startsWith("timeout"), r.toString());
    SecretLeaks.assertNone(r.toString(), TOKEN_IN_URL, SECRET);
    assertTrue(tookMs >= 700 && tookMs < 10_000, "took " + tookMs + " ms");
  }

  @Test
  @DisplayName("a private target is refused without connecting unless allowed")
  void refuses_private_targets() throws Exception {
    try (LogCapture logs = new LogCapture()) {
      DeliveryResult r = send(channel(receiver.url("/hook/" + TOKEN_IN_URL), false, Duration.ofSeconds(5)));
      assertInstanceOf(DeliveryResult.Failed.class, r);
      assertTrue(((DeliveryResult.Failed) r).error().startsWith("target_refused"), r.toString());
      assertTrue(receiver.requests().isEmpty(), "nothing connected to the receiver");
      SecretLeaks.assertNone(r.toString(), TOKEN_IN_URL, SECRET);
      SecretLeaks.assertNone(logs.lines(), TOKEN_IN_URL, SECRET);
    }
  }

  @Test
  @DisplayName("a refused connection is retried and its error names neither the URL nor the secret")
  void connection_refused_leaks_nothing() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    try (LogCapture logs = new LogCapture()) {
      DeliveryResult r = send(channel("http://127.0.0.1:" + closedPort + "/hook/" + TOKEN_IN_URL, true,
          Duration.ofSeconds(5)));
      assertInstanceOf(DeliveryResult.Retry.class, r);
      assertEquals("connection refused", ((DeliveryResult.Retry) r).error());
      SecretLeaks.assertNone(r.toString(), TOKEN_IN_URL, SECRET);
      SecretLeaks.assertNone(logs.lines(), TOKEN_IN_URL, SECRET);
    }
  }
}
