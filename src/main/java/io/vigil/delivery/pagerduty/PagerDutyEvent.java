package io.vigil.delivery.pagerduty;

import static io.vigil.delivery.MessageText.cut;
import static io.vigil.delivery.MessageText.firstNonBlank;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vigil.delivery.OutboundMessage;
import io.vigil.rules.Severity;
import java.util.Optional;

/**
 * One PagerDuty Events API v2 event for an alert: {@code trigger} (for a raised alert and a
 * test) with the full payload, {@code acknowledge} or {@code resolve} with only the routing
 * and dedup keys. Every event of an alert carries the alert's fingerprint as {@code
 * dedup_key}: that is what makes PagerDuty acknowledge and resolve the incident the trigger
 * opened, and fold a repeated trigger into it.
 */
final class PagerDutyEvent {
  /** PagerDuty refuses a longer {@code payload.summary}. */
  static final int SUMMARY_MAX = 1024;

  private PagerDutyEvent() {}

  /** The event action for a Vigil event, or empty for one PagerDuty has no action for. */
  static Optional<String> action(String event) {
    return switch (event) {
      case "alert.raised", "test" -> Optional.of("trigger");
      case "alert.acknowledged" -> Optional.of("acknowledge");
      case "alert.resolved" -> Optional.of("resolve");
      default -> Optional.empty();
    };
  }

  static JsonObject of(String routingKey, String action, OutboundMessage message) {
    JsonObject alert = message.alert();
    JsonObject event = new JsonObject()
        .put("routing_key", routingKey)
        .put("event_action", action)
        .put("dedup_key", dedupKey(alert));
    if (!action.equals("trigger")) {
      return event;
    }
    String tenant = alert.getString("tenant");
    JsonObject payload = new JsonObject()
        .put("summary", cut(firstNonBlank(alert.getString("summary"), message.text(), alert.getString("rule"), "Vigil alert"), SUMMARY_MAX))
        .put("source", tenant == null || tenant.isBlank() ? "vigil" : "vigil/" + tenant)
        .put("severity", severity(alert.getString("severity")));
    putIfPresent(payload, "timestamp", alert.getString("first_seen"));
    putIfPresent(payload, "component", alert.getString("key"));
    putIfPresent(payload, "group", alert.getString("rule"));
    putIfPresent(payload, "class", alert.getString("rule"));
    payload.put("custom_details", new JsonObject()
        .put("rule", alert.getValue("rule"))
        .put("key", alert.getValue("key"))
        .put("occurrences", alert.getValue("occurrences"))
        .put("tags", alert.getValue("tags", new JsonArray()))
        .put("message", message.text())
        .put("alert_id", alert.getValue("id")));
    event.put("payload", payload);
    String url = alert.getString("url");
    if (url != null && !url.isBlank()) {
      event.put("links", new JsonArray().add(new JsonObject().put("href", url).put("text", "Vigil alert")));
    }
    return event;
  }

  /** The fingerprint; the alert id only if a view ever lacks one, so acknowledge and resolve still find the incident. */
  static String dedupKey(JsonObject alert) {
    String fingerprint = alert.getString("fingerprint");
    return fingerprint == null || fingerprint.isBlank() ? String.valueOf(alert.getValue("id")) : fingerprint;
  }

  /** Vigil's six severities onto PagerDuty's four. */
  static String severity(String vigilSeverity) {
    return switch (Severity.parse(vigilSeverity).orElse(Severity.INFO)) {
      case EMERGENCY, CRITICAL -> "critical";
      case HIGH -> "error";
      case MEDIUM -> "warning";
      case LOW, INFO -> "info";
    };
  }

  private static void putIfPresent(JsonObject o, String name, String value) {
    if (value != null && !value.isBlank()) {
      o.put(name, value);
    }
  }
}
