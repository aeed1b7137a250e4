package io.vigil.delivery;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vigil.store.Outbox;
import io.vigil.template.MessageModel;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * Builds the message for a claimed delivery: one alert rendered with its rule's template,
 * or a message about several alerts (a {@code digest} with the alerts it carries, a {@code
 * notice} that alerts were held back) rendered from the channel's digest or held_back
 * template.
 */
final class OutboundMessages {
  /** Alerts listed in one digest message; the count says how many the period held. */
  static final int DIGEST_MAX_LISTED = 100;

  private final Outbox outbox;
  private final MessageRenderer renderer;

  OutboundMessages(Outbox outbox, MessageRenderer renderer) {
    this.outbox = outbox;
    this.renderer = renderer;
  }

  /** What a delivery of this kind tells its channel: {@code alert.<kind>}, or a batch event. */
  static String event(String kind) {
    return switch (kind) {
      case "digest" -> OutboundMessage.DIGEST;
      case "notice" -> OutboundMessage.HELD_BACK;
      default -> "alert." + kind;
    };
  }

  Future<OutboundMessage> of(Channel ch, Outbox.Claimed d) {
    String event = event(d.kind());
    if (event.equals(OutboundMessage.DIGEST)) {
      return digest(ch, d);
    }
    if (event.equals(OutboundMessage.HELD_BACK)) {
      return heldBack(ch, d);
    }
    return renderer.render(ch, d.alert(), event, Optional.ofNullable(d.template()))
        .map(texts -> new OutboundMessage(d.id(), d.attempt(), event, renderer.view(d.alert()), texts));
  }

  private Future<OutboundMessage> digest(Channel ch, Outbox.Claimed d) {
    JsonObject p = d.payload();
    return outbox.digestAlerts(d.id(), DIGEST_MAX_LISTED).compose(alerts -> {
      Map<String, Object> model = renderer.digestModel(ch, d.tenant(), alerts, p.getInteger("count", alerts.size()),
          Instant.parse(p.getString("period_start")), Instant.parse(p.getString("period_end")));
      return renderer.renderBatch(ch, "digest", model)
          .map(texts -> OutboundMessage.ofBatch(d.id(), d.attempt(), OutboundMessage.DIGEST, model, texts));
    });
  }

  private Future<OutboundMessage> heldBack(Channel ch, Outbox.Claimed d) {
    JsonObject p = d.payload();
    Map<String, Object> model = MessageModel.heldBack(d.tenant(), p.getInteger("count"),
        Optional.ofNullable(p.getString("rule")), Instant.parse(p.getString("hour_start")),
        Instant.parse(p.getString("hour_end")), ch.name(), ch.type());
    return renderer.renderBatch(ch, "held_back", model)
        .map(texts -> OutboundMessage.ofBatch(d.id(), d.attempt(), OutboundMessage.HELD_BACK, model, texts));
  }
}
