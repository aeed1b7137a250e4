package io.vigil.delivery;

import io.vertx.core.json.Json;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;

/**
 * One message to send: the delivery id (stable across retries, the receiver's idempotency
 * key where it has one), the attempt number, what happened ({@code alert.raised}, {@code
 * alert.acknowledged}, {@code alert.resolved}, {@code test}, or one of the two messages
 * about several alerts, {@link #DIGEST} and {@link #HELD_BACK}), the alert view, and the
 * texts rendered from the channel's templates, one per part the channel asked for.
 *
 * <p>A digest or held-back notice has no single alert: {@code alert} is empty and {@code
 * batch} says what the message covers: for {@link #DIGEST} {@code tenant, count, alerts}
 * (alert views, masked), {@code period_start, period_end}; for {@link #HELD_BACK} {@code
 * tenant, count, limit} ({@code rule} or {@code channel}), {@code rule} (when a rule's cap
 * held them), {@code hour_start, hour_end}. {@code batch} is null for single alerts.
 */
public record OutboundMessage(
    UUID deliveryId, int attempt, String event, JsonObject alert, Map<String, String> texts, JsonObject batch) {
  /** The alerts of one digest period of a channel, as one message. */
  public static final String DIGEST = "alerts.digest";
  /** "N alerts were held back" by a rate limit in an hour that has ended. */
  public static final String HELD_BACK = "alerts.held_back";

  public OutboundMessage(UUID deliveryId, int attempt, String event, JsonObject alert, Map<String, String> texts) {
    this(deliveryId, attempt, event, alert, texts, null);
  }

  /**
   * A digest or held-back notice built from the model its templates saw ({@link
   * io.vigil.template.MessageModel#digest}, {@link io.vigil.template.MessageModel#heldBack}):
   * {@code batch} is that model without what the channel knows already (event, channel).
   */
  public static OutboundMessage ofBatch(
      UUID deliveryId, int attempt, String event, Map<String, Object> model, Map<String, String> texts) {
    Map<String, Object> batch = new LinkedHashMap<>(model);
    batch.remove("event");
    batch.remove("channel");
    return new OutboundMessage(deliveryId, attempt, event, new JsonObject(), texts, new JsonObject(Json.encode(batch)));
  }

  /** Whether this message is about several alerts (a digest or a held-back notice), not one. */
  public boolean isBatch() {
    return batch != null;
  }

  /** The main text: the part named "" (the channel type's default template). */
  public String text() {
    return texts.getOrDefault("", "");
  }

  public String text(String part) {
    return texts.getOrDefault(part, "");
  }
}
