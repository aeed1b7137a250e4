package io.vigil.delivery.webhook;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vigil.config.ChannelConfig;
import io.vigil.delivery.Channel;
import io.vigil.delivery.DeliveryResult;
import io.vigil.delivery.HttpTransport;
import io.vigil.delivery.OutboundMessage;
import java.time.Clock;
import java.util.List;

/**
 * A generic webhook: the alert as JSON, {@code {"type":"alert.raised","alert":{...},
 * "message":"..."}} (digests and held-back notices: {@link #batchPayload}), signed the
 * Standard Webhooks way. {@code webhook-id} is the delivery id, identical on every retry,
 * so a receiver can drop duplicates.
 */
public final class WebhookChannel implements Channel {
  private static final List<String> ALERT_FIELDS = List.of(
      "id", "tenant", "rule", "key", "fingerprint", "severity", "status", "summary", "tags", "first_seen", "last_seen",
      "occurrences");

  private final ChannelConfig.Webhook config;
  private final HttpTransport http;
  private final WebhookSigner signer;
  private final Clock clock;

  public WebhookChannel(ChannelConfig.Webhook config, HttpTransport http, Clock clock) {
    this.config = config;
    this.http = http;
    this.clock = clock;
    this.signer = config.secret().map(s -> new WebhookSigner(s.reveal())).orElse(null);
  }

  @Override
  public ChannelConfig config() {
    return config;
  }

  @Override
  public Future<DeliveryResult> send(OutboundMessage message) {
    Buffer body = Buffer.buffer(payload(message).encode());
    String id = message.deliveryId().toString();
    long timestamp = clock.instant().getEpochSecond();
    MultiMap headers = MultiMap.caseInsensitiveMultiMap();
    config.headers().forEach((k, v) -> headers.set(k, v.reveal()));
    headers.set("content-type", "application/json");
    headers.set("user-agent", "Vigil");
    headers.set("webhook-id", id);
    headers.set("webhook-timestamp", Long.toString(timestamp));
    if (signer != null) {
      headers.set("webhook-signature", signer.sign(id, timestamp, body.getBytes()));
    }
    return http.send(HttpMethod.valueOf(config.method()), config.url().reveal(), headers, body);
  }

  static JsonObject payload(OutboundMessage message) {
    if (message.isBatch()) {
      return batchPayload(message);
    }
    JsonObject alert = new JsonObject();
    for (String f : ALERT_FIELDS) {
      alert.put(f, message.alert().getValue(f));
    }
    // The link exists only when http.public_url is set.
    String url = message.alert().getString("url");
    if (url != null) {
      alert.put("url", url);
    }
    return new JsonObject().put("type", message.event()).put("alert", alert).put("message", message.text());
  }

  /**
   * A message about several alerts: {@code {"type":"alerts.digest","tenant","count",
   * "period_start","period_end","alerts":[{...}],"message"}} with each alert as in {@code
   * alert.raised}, or {@code {"type":"alerts.held_back","tenant","count","limit","rule",
   * "hour_start","hour_end","message"}} ({@code rule} null for a channel's own limit).
   */
  static JsonObject batchPayload(OutboundMessage message) {
    JsonObject b = message.batch();
    JsonObject out = new JsonObject().put("type", message.event()).put("tenant", b.getString("tenant"))
        .put("count", b.getInteger("count"));
    if (message.event().equals(OutboundMessage.DIGEST)) {
      JsonArray alerts = new JsonArray();
      for (Object a : b.getJsonArray("alerts", new JsonArray())) {
        JsonObject view = (JsonObject) a;
        JsonObject alert = new JsonObject();
        for (String f : ALERT_FIELDS) {
          alert.put(f, view.getValue(f));
        }
        if (view.getString("url") != null) {
          alert.put("url", view.getString("url"));
        }
        alerts.add(alert);
      }
      out.put("period_start", b.getString("period_start")).put("period_end", b.getString("period_end"))
          .put("alerts", alerts);
    } else {
      out.put("limit", b.getString("limit")).put("rule", b.getString("rule"))
          .put("hour_start", b.getString("hour_start")).put("hour_end", b.getString("hour_end"));
    }
    return out.put("message", message.text());
  }
}
