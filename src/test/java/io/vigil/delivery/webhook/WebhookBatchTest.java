package io.vigil.delivery.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
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
import io.vigil.testing.Receiver;
import io.vigil.testing.SampleBatches;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** What a webhook receiver gets for a digest and for a held-back notice. */
class WebhookBatchTest {
  static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-22T10:05:00Z"), ZoneOffset.UTC);

  @Test
  @DisplayName("a digest is {type: alerts.digest, count, period, alerts: [...], message}, every alert masked and linked")
  void digest_payload() {
    JsonObject p = WebhookChannel.payload(SampleBatches.digest("hook", "webhook", Map.of("", "two alerts")));
    assertEquals(List.of("type", "tenant", "count", "period_start", "period_end", "alerts", "message"),
        List.copyOf(p.fieldNames()));
    assertEquals("alerts.digest", p.getString("type"));
    assertEquals("acme", p.getString("tenant"));
    assertEquals(2, p.getInteger("count"));
    assertEquals(SampleBatches.PERIOD_START.toString(), p.getString("period_start"));
    assertEquals(SampleBatches.PERIOD_END.toString(), p.getString("period_end"));
    assertEquals("two alerts", p.getString("message"));
    JsonArray alerts = p.getJsonArray("alerts");
    assertEquals(2, alerts.size());
    JsonObject first = alerts.getJsonObject(0);
    assertEquals("a1", first.getString("id"));
    assertEquals("critical", first.getString("severity"));
    assertEquals("fp-a1", first.getString("fingerprint"));
    assertEquals("https://vigil.example.org/api/v1/alerts/a1", first.getString("url"));
    assertFalse(first.containsKey("evidence"), "evidence stays out, as for a single alert");
    assertFalse(p.encode().contains(SampleBatches.CARD), "the card number is masked: " + p.encode());
    assertTrue(first.getString("summary").contains("1111"), first.getString("summary"));
  }

  @Test
  @DisplayName("a held-back notice is {type: alerts.held_back, count, limit, rule, hour_start, hour_end, message}")
  void held_back_payload() {
    JsonObject byRule = WebhookChannel.payload(SampleBatches.heldBack(Optional.of("Card fraud"), "hook", "webhook",
        Map.of("", "7 alerts were held back")));
    assertEquals(new JsonObject().put("type", "alerts.held_back").put("tenant", "acme").put("count", 7)
        .put("limit", "rule").put("rule", "Card fraud").put("hour_start", SampleBatches.HOUR_START.toString())
        .put("hour_end", SampleBatches.HOUR_END.toString()).put("message", "7 alerts were held back"), byRule);
    JsonObject byChannel = WebhookChannel.payload(SampleBatches.heldBack(Optional.empty(), "hook", "webhook",
        Map.of("", "x")));
    assertEquals("channel", byChannel.getString("limit"));
    assertTrue(byChannel.containsKey("rule"));
    assertNull(byChannel.getString("rule"));
  }

  @Test
  @DisplayName("sent signed like any delivery, webhook-id the digest's delivery id; the channel wants both events")
  void sends_batches() throws Exception {
    Vertx vertx = Vertx.vertx();
    try (Receiver receiver = new Receiver()) {
      HttpTransport http = new HttpTransport(vertx, new TargetGuard(true), Duration.ofSeconds(5), 64 * 1024, CLOCK);
      WebhookChannel c = new WebhookChannel(new ChannelConfig.Webhook("hook", ChannelConfig.Options.defaults(),
          Secret.of(receiver.url("/hook")), Optional.of(Secret.of("s3cret-value")), "POST", Map.of()), http, CLOCK);
      assertTrue(c.wants(OutboundMessage.DIGEST) && c.wants(OutboundMessage.HELD_BACK));
      OutboundMessage m = SampleBatches.digest("hook", "webhook", Map.of("", "two alerts"));
      DeliveryResult r = c.send(m).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      assertInstanceOf(DeliveryResult.Delivered.class, r);
      Receiver.Request req = receiver.requests().get(0);
      assertEquals(SampleBatches.DELIVERY_ID.toString(), req.header("webhook-id"));
      assertTrue(req.header("webhook-signature").startsWith("v1,"));
      assertEquals(WebhookChannel.payload(m), new JsonObject(req.bodyText()));
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().join();
    }
  }
}
