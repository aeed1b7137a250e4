package io.vigil.testing;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vigil.delivery.OutboundMessage;
import io.vigil.template.Masking;
import io.vigil.template.MessageModel;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * Digests and held-back notices as the delivery worker builds them (the model the templates
 * see, then {@link OutboundMessage#ofBatch}), for channel tests: a digest of a critical alert
 * whose summary holds a card number and a low one, and a notice of 7 alerts held back.
 */
public final class SampleBatches {
  public static final UUID DELIVERY_ID = UUID.fromString("0d1e2f30-0000-4000-8000-00000000d1d1");
  public static final Instant PERIOD_START = Instant.parse("2026-11-22T10:00:00Z");
  public static final Instant PERIOD_END = Instant.parse("2026-11-22T10:05:00Z");
  public static final Instant HOUR_START = Instant.parse("2026-11-22T09:00:00Z");
  public static final Instant HOUR_END = Instant.parse("2026-11-22T10:00:00Z");
  public static final String CARD = "4111 1111 1111 1111";

  private SampleBatches() {}

  public static JsonObject alert(String id, String severity, String key, String summary) {
    return new JsonObject().put("id", id).put("tenant", "acme").put("rule", "Card fraud").put("key", key)
        .put("fingerprint", "fp-" + id).put("severity", severity).put("status", "active").put("summary", summary)
        .put("tags", new JsonArray().add("payments")).put("first_seen", "2026-11-22T10:01:00Z")
        .put("last_seen", "2026-11-22T10:02:00Z").put("occurrences", 2)
        .put("evidence", new JsonArray().add(new JsonObject().put("type", "payment.declined")));
  }

  /** The digest model a channel's templates see. */
  public static Map<String, Object> digestModel(String channel, String type) {
    return MessageModel.digest("acme", List.of(
            alert("a1", "critical", "203.0.113.7", "Card " + CARD + " declined 3 times"),
            alert("a2", "low", "203.0.113.8", "One declined payment <!channel>")),
        2, PERIOD_START, PERIOD_END, channel, type, Optional.of("https://vigil.example.org"), Masking.DEFAULT);
  }

  public static OutboundMessage digest(String channel, String type, Map<String, String> texts) {
    return OutboundMessage.ofBatch(DELIVERY_ID, 1, OutboundMessage.DIGEST, digestModel(channel, type), texts);
  }

  /** The held-back model; {@code rule} empty for a channel's own limit. */
  public static Map<String, Object> heldBackModel(Optional<String> rule, String channel, String type) {
    return MessageModel.heldBack("acme", 7, rule, HOUR_START, HOUR_END, channel, type);
  }

  public static OutboundMessage heldBack(Optional<String> rule, String channel, String type, Map<String, String> texts) {
    return OutboundMessage.ofBatch(DELIVERY_ID, 1, OutboundMessage.HELD_BACK, heldBackModel(rule, channel, type), texts);
  }
}
