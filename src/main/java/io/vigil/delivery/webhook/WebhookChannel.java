package io.vigil.delivery.webhook;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
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
 * "message":"..."}}, signed the Standard Webhooks way. {@code webhook-id} is the delivery
 * id, identical on every retry, so a receiver can drop duplicates.
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
}
