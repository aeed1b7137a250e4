package io.vigil.delivery;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vigil.template.MessageModel;
import io.vigil.template.Templates;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Renders every part a channel sends from its templates, on a worker thread. A part whose
 * template fails is replaced by the built-in text and a warning is logged: an alert is
 * never lost to a template bug.
 */
public final class MessageRenderer {
  private static final Logger log = LoggerFactory.getLogger(MessageRenderer.class);

  private final Vertx vertx;
  private final Templates templates;
  private final Optional<String> publicUrl;

  public MessageRenderer(Vertx vertx, Templates templates, Optional<String> publicUrl) {
    this.vertx = vertx;
    this.templates = templates;
    this.publicUrl = publicUrl;
  }

  public Templates templates() {
    return templates;
  }

  /** The alert every channel sends: masked as the rendered texts are, with its link. */
  public JsonObject view(JsonObject alert) {
    return new JsonObject(MessageModel.alertView(alert, publicUrl, templates.masking()));
  }

  /** The digest model for a channel (see {@link MessageModel#digest}), alerts masked and linked as single alerts are. */
  public Map<String, Object> digestModel(
      Channel ch, String tenant, List<JsonObject> alerts, int count, Instant periodStart, Instant periodEnd) {
    return MessageModel.digest(tenant, alerts, count, periodStart, periodEnd, ch.name(), ch.type(), publicUrl,
        templates.masking());
  }

  /**
   * Renders every part of a message about several alerts from the channel's {@code name}
   * template ({@code digest} or {@code held_back}); a part that fails gets the built-in text.
   */
  public Future<Map<String, String>> renderBatch(Channel ch, String name, Map<String, Object> model) {
    return vertx.executeBlocking(() -> {
      Map<String, String> texts = new LinkedHashMap<>();
      for (String part : ch.parts()) {
        try {
          texts.put(part, templates.render(templates.resolveBatch(ch.type(), name, part), model));
        } catch (Exception e) {
          log.warn("{} template for channel={} part={} failed, sending the built-in text instead: {}", name, ch.name(),
              part.isEmpty() ? "message" : part, e.getMessage());
          texts.put(part, templates.renderBuiltInBatch(name, part, model));
        }
      }
      return texts;
    }, false);
  }

  public Future<Map<String, String>> render(Channel ch, JsonObject alert, String event, Optional<String> template) {
    Map<String, Object> model = MessageModel.of(alert, event, ch.name(), ch.type(), publicUrl, templates.masking());
    return vertx.executeBlocking(() -> {
      Map<String, String> texts = new LinkedHashMap<>();
      for (String part : ch.parts()) {
        try {
          texts.put(part, templates.render(templates.resolve(ch.type(), template, part), model));
        } catch (Exception e) {
          log.warn("template for channel={} part={} failed, sending the built-in text instead: {}", ch.name(),
              part.isEmpty() ? "message" : part, e.getMessage());
          texts.put(part, templates.renderBuiltIn(part, model));
        }
      }
      return texts;
    }, false);
  }
}
