package io.vigil.delivery;

import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.UUID;

/**
 * One message to send: the delivery id (stable across retries, the receiver's idempotency
 * key where it has one), the attempt number, what happened ({@code alert.raised}, {@code
 * alert.acknowledged}, {@code alert.resolved}, or {@code test}), the alert view, and the
 * texts rendered from the channel's templates, one per part the channel asked for.
 */
public record OutboundMessage(UUID deliveryId, int attempt, String event, JsonObject alert, Map<String, String> texts) {
  /** The main text: the part named "" (the channel type's default template). */
  public String text() {
    return texts.getOrDefault("", "");
  }

  public String text(String part) {
    return texts.getOrDefault(part, "");
  }
}
