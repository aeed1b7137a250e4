package io.vigil.config;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A channel's configuration as JSON, the same keys {@link ChannelParser} reads: with
 * secrets shown as {@code <secret>} for API responses, or revealed for encrypted storage.
 */
public final class ChannelJson {
  /** Keys whose values are secrets, per type (webhook header values are secrets too). */
  public static final Map<String, Set<String>> SECRET_KEYS = Map.of(
      "webhook", Set.of("url", "secret"),
      "slack", Set.of("url"),
      "pagerduty", Set.of("routing_key"),
      "email", Set.of("password"));

  private ChannelJson() {}

  public static JsonObject of(ChannelConfig c, boolean reveal) {
    JsonObject o = new JsonObject().put("name", c.name()).put("type", c.type());
    ChannelConfig.Options opt = c.options();
    o.put("send_resolved", opt.sendResolved());
    opt.minSeverity().ifPresent(s -> o.put("min_severity", s.label()));
    o.put("rate_per_second", opt.ratePerSecond());
    opt.digest().ifPresent(d -> o.put("digest", Durations.format(d)));
    if (opt.maxPerHour() > 0) {
      o.put("max_per_hour", opt.maxPerHour());
    }
    if (c instanceof ChannelConfig.Webhook w) {
      o.put("url", secret(w.url(), reveal)).put("method", w.method());
      w.secret().ifPresent(s -> o.put("secret", secret(s, reveal)));
      if (!w.headers().isEmpty()) {
        JsonObject h = new JsonObject();
        w.headers().forEach((k, v) -> h.put(k, secret(v, reveal)));
        o.put("headers", h);
      }
    } else if (c instanceof ChannelConfig.Email e) {
      o.put("host", e.host()).put("port", e.port()).put("tls", e.tls()).put("from", e.from())
          .put("to", new JsonArray(e.to()));
      e.username().ifPresent(u -> o.put("username", u));
      e.password().ifPresent(p -> o.put("password", secret(p, reveal)));
    } else if (c instanceof ChannelConfig.Slack s) {
      o.put("url", secret(s.url(), reveal));
    } else if (c instanceof ChannelConfig.PagerDuty p) {
      o.put("routing_key", secret(p.routingKey(), reveal)).put("url", p.url());
    } else if (c instanceof ChannelConfig.Syslog s) {
      o.put("host", s.host()).put("port", s.port()).put("protocol", s.protocol()).put("facility", s.facility());
    }
    return o;
  }

  /**
   * Fills secret values sent back as {@code <secret>} (as GET shows them) from the stored
   * configuration, so a client can edit a channel without knowing its secrets.
   */
  public static JsonObject keepSecrets(JsonObject sent, Optional<JsonObject> stored) {
    if (stored.isEmpty()) {
      return sent;
    }
    JsonObject out = sent.copy();
    for (String key : SECRET_KEYS.getOrDefault(out.getString("type", ""), Set.of())) {
      if (Secret.MASK.equals(out.getValue(key)) && stored.get().containsKey(key)) {
        out.put(key, stored.get().getValue(key));
      }
    }
    JsonObject headers = out.getValue("headers") instanceof JsonObject h ? h : null;
    JsonObject storedHeaders = stored.get().getValue("headers") instanceof JsonObject h ? h : null;
    if (headers != null && storedHeaders != null) {
      for (String k : headers.fieldNames()) {
        if (Secret.MASK.equals(headers.getValue(k)) && storedHeaders.containsKey(k)) {
          headers.put(k, storedHeaders.getValue(k));
        }
      }
    }
    return out;
  }

  private static String secret(Secret s, boolean reveal) {
    return reveal ? s.reveal() : Secret.MASK;
  }
}
