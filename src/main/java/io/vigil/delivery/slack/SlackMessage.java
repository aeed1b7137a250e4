package io.vigil.delivery.slack;

import static io.vigil.delivery.MessageText.cut;
import static io.vigil.delivery.MessageText.firstNonBlank;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vigil.delivery.OutboundMessage;
import io.vigil.rules.Severity;

/**
 * The Block Kit message Slack gets for one alert: the rendered text as the top-level
 * {@code text} (what notifications and screen readers show), and one attachment coloured by
 * severity, green once resolved, holding a header, the text, the alert's facts as fields
 * and a context line with its id and link. Every text taken from the alert or the template
 * is escaped for mrkdwn, so a value from an event (a user name, a host) can never mention
 * {@code @channel} or draw a link, and every text is cut to Slack's limits.
 */
final class SlackMessage {
  // Slack's Block Kit limits; a longer text makes Slack refuse the whole message.
  static final int HEADER_MAX = 150;
  static final int SECTION_TEXT_MAX = 3000;
  static final int FIELD_TEXT_MAX = 2000;
  static final int TEXT_MAX = 40_000;

  static final String RESOLVED_COLOUR = "#2EB67D";
  static final String RESOLVED_EMOJI = ":white_check_mark:";

  private SlackMessage() {}

  static JsonObject of(OutboundMessage message) {
    if (message.isBatch()) {
      return batch(message);
    }
    JsonObject alert = message.alert();
    boolean resolved = message.event().equals("alert.resolved");
    Severity severity = Severity.parse(alert.getString("severity")).orElse(Severity.INFO);
    String text = escape(firstNonBlank(message.text(), alert.getString("summary"), alert.getString("rule"), "Vigil alert"));

    JsonArray blocks = new JsonArray()
        .add(header(resolved ? RESOLVED_EMOJI : emoji(severity), headline(message.event(), alert.getString("rule"))))
        .add(new JsonObject().put("type", "section").put("text", mrkdwn(cut(text, SECTION_TEXT_MAX))))
        .add(new JsonObject().put("type", "section").put("fields", new JsonArray()
            .add(field("Key", alert.getValue("key")))
            .add(field("Severity", severity.label()))
            .add(field("Occurrences", alert.getValue("occurrences")))
            .add(field("First seen", alert.getValue("first_seen")))))
        .add(context(alert));
    JsonObject attachment = new JsonObject().put("color", resolved ? RESOLVED_COLOUR : colour(severity)).put("blocks", blocks);
    return new JsonObject().put("text", cut(text, TEXT_MAX)).put("attachments", new JsonArray().add(attachment));
  }

  /**
   * A digest or held-back notice: a header saying which, and the rendered text (which lists
   * the alerts of a digest), escaped and cut like an alert's; no facts, no colour.
   */
  static JsonObject batch(OutboundMessage message) {
    int count = message.batch().getInteger("count", 0);
    boolean digest = message.event().equals(OutboundMessage.DIGEST);
    String headline = digest
        ? ":inbox_tray: Digest: " + count + " alert" + (count == 1 ? "" : "s")
        : ":warning: " + count + " alerts were held back";
    String text = escape(firstNonBlank(message.text(), headline));
    JsonArray blocks = new JsonArray()
        .add(new JsonObject().put("type", "header").put("text", new JsonObject()
            .put("type", "plain_text").put("text", cut(headline, HEADER_MAX)).put("emoji", true)))
        .add(new JsonObject().put("type", "section").put("text", mrkdwn(cut(text, SECTION_TEXT_MAX))));
    return new JsonObject().put("text", cut(text, TEXT_MAX)).put("blocks", blocks);
  }

  static String emoji(Severity severity) {
    return switch (severity) {
      case EMERGENCY, CRITICAL -> ":rotating_light:";
      case HIGH -> ":red_circle:";
      case MEDIUM -> ":large_orange_circle:";
      case LOW -> ":large_yellow_circle:";
      case INFO -> ":information_source:";
    };
  }

  static String colour(Severity severity) {
    return switch (severity) {
      case EMERGENCY -> "#7A0010";
      case CRITICAL -> "#D0021B";
      case HIGH -> "#F0513C";
      case MEDIUM -> "#F5A623";
      case LOW -> "#F8E71C";
      case INFO -> "#439FE0";
    };
  }

  private static String headline(String event, String rule) {
    String name = rule == null || rule.isBlank() ? "Vigil alert" : rule;
    return switch (event) {
      case "alert.resolved" -> "Resolved: " + name;
      case "alert.acknowledged" -> "Acknowledged: " + name;
      case "alert.repeated" -> "Still active: " + name;
      case "test" -> "Test: " + name;
      default -> name;
    };
  }

  // A header is plain_text: Slack shows it literally, so it needs no escaping.
  private static JsonObject header(String emoji, String headline) {
    return new JsonObject().put("type", "header").put("text", new JsonObject()
        .put("type", "plain_text").put("text", cut(emoji + " " + headline, HEADER_MAX)).put("emoji", true));
  }

  private static JsonObject field(String label, Object value) {
    String shown = value == null || value.toString().isBlank() ? "-" : escape(value.toString());
    return mrkdwn(cut("*" + label + "*\n" + shown, FIELD_TEXT_MAX));
  }

  private static JsonObject context(JsonObject alert) {
    JsonArray elements = new JsonArray().add(mrkdwn("Alert `" + escape(String.valueOf(alert.getValue("id"))) + "`"));
    String url = alert.getString("url");
    if (url != null && (url.startsWith("https://") || url.startsWith("http://"))) {
      // In <url|label> a '|' would end the URL early.
      elements.add(mrkdwn("<" + escape(url).replace("|", "%7C") + "|Open in Vigil>"));
    }
    return new JsonObject().put("type", "context").put("elements", elements);
  }

  private static JsonObject mrkdwn(String text) {
    return new JsonObject().put("type", "mrkdwn").put("text", text);
  }

  /** Slack's mrkdwn escaping: with these three replaced, {@code <!channel>} and {@code <url|label>} are shown, not acted on. */
  static String escape(String text) {
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
  }
}
