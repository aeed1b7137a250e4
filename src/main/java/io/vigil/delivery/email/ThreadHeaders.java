package io.vigil.delivery.email;

import java.util.Optional;
import java.util.UUID;

/**
 * The headers that put every mail about one alert on one channel into one thread. The
 * notice of {@code alert.raised} is the thread's root, {@code <alert id.channel@vigil>};
 * later notices ({@code alert.resolved}, {@code alert.acknowledged}) get {@code <alert
 * id.channel.resolved@vigil>} and so on, and reply to the root with {@code In-Reply-To}
 * and {@code References}. The ids depend only on the alert, the channel and the event, so
 * a retried attempt carries the same Message-ID and a receiving server can drop the copy.
 * A {@code test} message stands alone: its id also carries the delivery id, because mail
 * clients hide a second message whose Message-ID they have already seen. For the same
 * reason each {@code alert.repeated} reminder's id carries its delivery id, and so do a digest
 * and a held-back notice ({@code alerts.*}): {@code <delivery id.channel.digest@vigil>},
 * {@code <delivery id.channel.held_back@vigil>}.
 */
record ThreadHeaders(String messageId, Optional<String> inReplyTo) {
  private static final String DOMAIN = "vigil";

  static ThreadHeaders of(String alertId, String channel, String event, UUID deliveryId) {
    if (event.startsWith("alerts.")) {
      // A digest or held-back notice is about several alerts: its own message, in no alert's thread.
      return new ThreadHeaders(id(sanitize(deliveryId.toString()) + "." + sanitize(channel) + "."
          + sanitize(event.substring("alerts.".length()))), Optional.empty());
    }
    String root = sanitize(alertId == null ? deliveryId.toString() : alertId) + "." + sanitize(channel);
    if (event.equals("alert.raised")) {
      return new ThreadHeaders(id(root), Optional.empty());
    }
    if (event.equals("test")) {
      return new ThreadHeaders(id(root + ".test." + deliveryId), Optional.empty());
    }
    String suffix = sanitize(event.startsWith("alert.") ? event.substring("alert.".length()) : event);
    if (event.equals("alert.repeated")) {
      suffix += "." + deliveryId;
    }
    return new ThreadHeaders(id(root + "." + suffix), Optional.of(id(root)));
  }

  private static String id(String left) {
    return "<" + left + "@" + DOMAIN + ">";
  }

  /**
   * Keeps a part of a Message-ID within what RFC 5322 allows in a dot-atom: letters,
   * digits, '-' and '_'; anything else (spaces, '@', '<', dots) becomes '_'.
   */
  static String sanitize(String part) {
    String s = part.replaceAll("[^A-Za-z0-9_-]", "_");
    return s.isEmpty() ? "_" : s;
  }
}
