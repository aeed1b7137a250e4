package io.vigil.delivery.pagerduty;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vigil.config.ChannelConfig;
import io.vigil.config.Secret;
import io.vigil.delivery.Channel;
import io.vigil.delivery.DeliveryResult;
import io.vigil.delivery.HttpTransport;
import io.vigil.delivery.OutboundMessage;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * PagerDuty Events API v2: mirrors an alert's state into one incident, triggered when the
 * alert is raised, acknowledged and resolved with it (one dedup key, the fingerprint; see
 * {@link PagerDutyEvent}). PagerDuty answers 202; 429 and 5xx are retried, a 400 fails for
 * good with PagerDuty's {@code message} and {@code errors} kept. The routing key is the
 * credential: it never appears in a result, even when PagerDuty quotes it back.
 */
public final class PagerDutyChannel implements Channel {
  private final ChannelConfig.PagerDuty config;
  private final HttpTransport http;

  public PagerDutyChannel(ChannelConfig.PagerDuty config, HttpTransport http) {
    this.config = config;
    this.http = http;
  }

  @Override
  public ChannelConfig config() {
    return config;
  }

  /** Every state change, whatever {@code send_resolved} says: an incident left open in PagerDuty keeps paging. */
  @Override
  public boolean wants(String event) {
    return PagerDutyEvent.action(event).isPresent();
  }

  @Override
  public Future<DeliveryResult> send(OutboundMessage message) {
    Optional<String> action = PagerDutyEvent.action(message.event());
    if (action.isEmpty()) {
      return Future.succeededFuture(DeliveryResult.failed("pagerduty has no event action for " + message.event()));
    }
    Buffer body = Buffer.buffer(PagerDutyEvent.of(config.routingKey().reveal(), action.get(), message).encode());
    MultiMap headers = MultiMap.caseInsensitiveMultiMap()
        .set("content-type", "application/json")
        .set("user-agent", "Vigil");
    return http.send(HttpMethod.POST, config.url(), headers, body).map(this::readable);
  }

  private DeliveryResult readable(DeliveryResult result) {
    if (result instanceof DeliveryResult.Retry r) {
      return new DeliveryResult.Retry(redact(errorText(r.error())), r.statusCode(), r.retryAfter());
    }
    if (result instanceof DeliveryResult.Failed f) {
      return new DeliveryResult.Failed(redact(errorText(f.error())), f.statusCode());
    }
    return result;
  }

  /**
   * {@code HTTP 400: {"status":"invalid event","message":"Event object is invalid","errors":[...]}}
   * becomes {@code HTTP 400: Event object is invalid: <errors joined by "; ">}. Any other text
   * (not JSON, or cut short by the transport's excerpt) is kept as it is.
   */
  static String errorText(String error) {
    int colon = error.indexOf(": ");
    if (!error.startsWith("HTTP ") || colon < 0 || !error.startsWith("{", colon + 2)) {
      return error;
    }
    JsonObject answer;
    try {
      answer = new JsonObject(error.substring(colon + 2));
    } catch (DecodeException e) {
      return error;
    }
    List<String> parts = new ArrayList<>();
    Object message = answer.getValue("message");
    if (message != null) {
      parts.add(message.toString());
    }
    Object errors = answer.getValue("errors");
    if (errors instanceof JsonArray list && !list.isEmpty()) {
      List<String> each = new ArrayList<>();
      list.forEach(e -> each.add(String.valueOf(e)));
      parts.add(String.join("; ", each));
    } else if (errors != null) {
      parts.add(errors.toString());
    }
    return parts.isEmpty() ? error : error.substring(0, colon + 2) + String.join(": ", parts);
  }

  private String redact(String error) {
    String key = config.routingKey().reveal();
    return key.isEmpty() ? error : redact(error, key);
  }

  /** Masks the key, and also its beginning where the transport's excerpt ({@code "..."}) cut it short. */
  static String redact(String error, String key) {
    String out = error.replace(key, Secret.MASK);
    if (out.endsWith("...")) {
      String head = out.substring(0, out.length() - 3);
      for (int n = Math.min(key.length() - 1, head.length()); n >= 4; n--) {
        if (head.endsWith(key.substring(0, n))) {
          return head.substring(0, head.length() - n) + Secret.MASK + "...";
        }
      }
    }
    return out;
  }
}
