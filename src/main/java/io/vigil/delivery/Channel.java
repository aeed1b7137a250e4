package io.vigil.delivery;

import io.vertx.core.Future;

/**
 * A place alerts are delivered to: the one plug-in point of delivery. A channel turns a
 * rendered message into one attempt and says what came of it; retries, backoff, leases
 * and bookkeeping are the worker's. Errors must never contain secrets (URLs, keys).
 */
public interface Channel {
  String name();

  String type();

  Future<DeliveryResult> send(OutboundMessage message);
}
