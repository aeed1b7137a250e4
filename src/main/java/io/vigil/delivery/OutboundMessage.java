package io.vigil.delivery;

import io.vertx.core.json.JsonObject;
import java.util.UUID;

/**
 * One message to send: the delivery id (stable across retries, the receiver's idempotency
 * key where it has one), the attempt number, what happened ({@code alert.raised}), the
 * alert view and the text rendered from the channel's template.
 */
public record OutboundMessage(UUID deliveryId, int attempt, String event, JsonObject alert, String text) {}
