package io.vigil.delivery;

import io.vertx.core.Future;
import io.vigil.config.ChannelConfig;
import java.util.List;

/**
 * A place alerts are delivered to: the one plug-in point of delivery. A channel turns a
 * rendered message into one attempt and says what came of it; retries, backoff, leases
 * and bookkeeping are the worker's. Errors must never contain secrets (URLs, keys).
 */
public interface Channel {
  /** What the channel was made from; its name, type and common options come from it. */
  ChannelConfig config();

  default String name() {
    return config().name();
  }

  default String type() {
    return config().type();
  }

  /**
   * The template parts this channel sends: "" for the single message most channels have,
   * or named parts such as email's subject, html and txt.
   */
  default List<String> parts() {
    return List.of("");
  }

  /** Keys every channel has: send_resolved, min_severity, rate_per_second, digest, max_per_hour. */
  default ChannelConfig.Options options() {
    return config().options();
  }

  /**
   * Whether this channel sends a message for an event: always for {@code alert.raised},
   * {@code alert.repeated} (the reminder of an alert still active, per {@code @repeat}) and
   * {@code test}, for {@code alert.resolved} when {@code send_resolved} is set, and for the
   * messages about several alerts, {@link OutboundMessage#DIGEST} and {@link
   * OutboundMessage#HELD_BACK}. Channels that mirror the alert's state (PagerDuty) take
   * {@code alert.acknowledged} instead of reminders, and take no batches.
   */
  default boolean wants(String event) {
    return event.equals("alert.raised") || event.equals("alert.repeated") || event.equals("test")
        || (event.equals("alert.resolved") && options().sendResolved())
        || event.equals(OutboundMessage.DIGEST) || event.equals(OutboundMessage.HELD_BACK);
  }

  Future<DeliveryResult> send(OutboundMessage message);

  /** Releases connections the channel keeps (mail, syslog); most keep none. */
  default Future<Void> close() {
    return Future.succeededFuture();
  }
}
