package io.vigil.template;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * What a template sees, and all it sees: plain data, never internal objects, with sensitive
 * values masked (see {@link Masking}).
 *
 * <ul>
 *   <li>{@code alert}: {@code id, tenant, rule, key, fingerprint, severity, status, summary,
 *       tags, first_seen, last_seen, occurrences, evidence} (evidence is a list of events:
 *       {@code id, type, time, source, severity, user, ip, host, attributes}), and {@code
 *       url} when {@code http.public_url} is set;
 *   <li>{@code event}: what happened: {@code alert.raised}, {@code alert.acknowledged},
 *       {@code alert.resolved}, {@code alert.repeated} or {@code test};
 *   <li>{@code channel}: {@code name, type}.
 * </ul>
 *
 * <p>Digests and held-back notices see their own models: {@link #digest}, {@link #heldBack}.
 */
public final class MessageModel {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};

  /** The alert fields a template sees; an alert view with more (deliveries, acknowledgement) is cut to these. */
  public static final List<String> ALERT_FIELDS = List.of("id", "tenant", "rule", "key", "fingerprint", "severity",
      "status", "summary", "tags", "first_seen", "last_seen", "occurrences", "evidence");

  private MessageModel() {}

  /** Only the {@link #ALERT_FIELDS} of an alert view, such as the alerts API's. */
  public static JsonObject alertFields(JsonObject view) {
    JsonObject out = new JsonObject();
    for (String f : ALERT_FIELDS) {
      if (view.containsKey(f)) {
        out.put(f, view.getValue(f));
      }
    }
    return out;
  }

  /**
   * A made-up alert of the tenant, as the shipped brute-force rule raises it, with two
   * evidence events: what a template preview renders when no stored alert is named.
   */
  public static JsonObject sampleAlert(String tenant, Instant now) {
    Instant last = now.truncatedTo(ChronoUnit.SECONDS);
    Instant first = last.minusSeconds(40);
    JsonArray evidence = new JsonArray();
    for (int i = 0; i < 2; i++) {
      evidence.add(new JsonObject()
          .put("id", "sample-event-" + (i + 1))
          .put("type", "auth.login_failed")
          .put("time", first.plusSeconds(30L * i).toString())
          .put("source", "sso")
          .put("user", i == 0 ? "alice" : "admin")
          .put("ip", "203.0.113.7")
          .put("attributes", new JsonObject().put("reason", "bad_password").put("user_agent", "curl/8.5.0")));
    }
    return new JsonObject()
        .put("id", "00000000-0000-4000-8000-000000000001")
        .put("tenant", tenant)
        .put("rule", "Brute force login")
        .put("key", "203.0.113.7")
        .put("fingerprint", "0".repeat(64))
        .put("severity", "high")
        .put("status", "active")
        .put("summary", "Brute force: 5 failed logins from 203.0.113.7 within 1 minute")
        .put("tags", new JsonArray().add("auth").add("brute-force"))
        .put("first_seen", first.toString())
        .put("last_seen", last.toString())
        .put("occurrences", 2)
        .put("evidence", evidence);
  }

  @SuppressWarnings("unchecked")
  public static Map<String, Object> of(
      JsonObject alert, String event, String channelName, String channelType, Optional<String> publicUrl,
      Masking masking) {
    Map<String, Object> model = new LinkedHashMap<>();
    model.put("alert", alertView(alert, publicUrl, masking));
    model.put("event", event);
    model.put("channel", Map.of("name", channelName, "type", channelType));
    return model;
  }

  /**
   * The alert as it leaves Vigil: a deep copy into plain maps and lists (the sandboxed
   * wrapper exposes nothing else), null fields dropped, sensitive values masked, with its
   * {@code url} when a public URL is configured. Identifiers are never masked: a fingerprint
   * that happens to look like a card number is still PagerDuty's dedup key.
   */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> alertView(JsonObject alert, Optional<String> publicUrl, Masking masking) {
    Map<String, Object> a;
    try {
      a = JSON.readValue(alert.encode(), MAP);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    a.values().removeIf(v -> v == null);
    Map<String, Object> out = new LinkedHashMap<>((Map<String, Object>) masking.apply(a));
    for (String id : List.of("id", "fingerprint", "tenant")) {
      if (a.containsKey(id)) {
        out.put(id, a.get(id));
      }
    }
    publicUrl.ifPresent(u -> out.put("url", u.replaceAll("/+$", "") + "/api/v1/alerts/" + alert.getString("id")));
    return out;
  }

  /**
   * What a digest template sees: {@code event} ({@code alerts.digest}), {@code channel},
   * {@code tenant}, {@code count} (every alert in the period), {@code alerts} (the alerts
   * listed, oldest first, each as {@code alert} is in the single-alert model, masked alike;
   * at most a cap, so {@code count} may be larger), {@code period_start}, {@code period_end}.
   */
  public static Map<String, Object> digest(
      String tenant, List<JsonObject> alerts, int count, Instant periodStart, Instant periodEnd, String channelName,
      String channelType, Optional<String> publicUrl, Masking masking) {
    Map<String, Object> model = new LinkedHashMap<>();
    model.put("event", "alerts.digest");
    model.put("channel", Map.of("name", channelName, "type", channelType));
    model.put("tenant", tenant);
    model.put("count", count);
    model.put("alerts", alerts.stream().map(a -> alertView(a, publicUrl, masking)).toList());
    model.put("period_start", periodStart.toString());
    model.put("period_end", periodEnd.toString());
    return model;
  }

  /**
   * What a held-back notice template sees: {@code event} ({@code alerts.held_back}), {@code
   * channel}, {@code tenant}, {@code count}, {@code limit} ({@code rule} when a rule's
   * {@code @max_alerts_per_hour} held them, {@code channel} for the channel's {@code
   * max_per_hour}), {@code rule} (only with a rule's limit), {@code hour_start}, {@code hour_end}.
   */
  public static Map<String, Object> heldBack(
      String tenant, int count, Optional<String> rule, Instant hourStart, Instant hourEnd, String channelName,
      String channelType) {
    Map<String, Object> model = new LinkedHashMap<>();
    model.put("event", "alerts.held_back");
    model.put("channel", Map.of("name", channelName, "type", channelType));
    model.put("tenant", tenant);
    model.put("count", count);
    model.put("limit", rule.isPresent() ? "rule" : "channel");
    rule.ifPresent(r -> model.put("rule", r));
    model.put("hour_start", hourStart.toString());
    model.put("hour_end", hourEnd.toString());
    return model;
  }

  /** Three made-up alerts of the tenant in one digest period, for previews and tests. */
  public static Map<String, Object> sampleDigest(
      String tenant, Instant now, String channelName, String channelType, Optional<String> publicUrl, Masking masking) {
    Instant end = now.truncatedTo(ChronoUnit.SECONDS);
    List<JsonObject> alerts = new java.util.ArrayList<>();
    for (int i = 0; i < 3; i++) {
      JsonObject a = sampleAlert(tenant, end.minusSeconds(60L - 20 * i));
      a.put("id", "00000000-0000-4000-8000-00000000000" + (i + 1)).put("key", "203.0.113." + (7 + i))
          .put("summary", "Brute force: 5 failed logins from 203.0.113." + (7 + i) + " within 1 minute");
      alerts.add(a);
    }
    return digest(tenant, alerts, 3, end.minusSeconds(300), end, channelName, channelType, publicUrl, masking);
  }

  /** The model without masking, as in tests of the templates themselves. */
  public static Map<String, Object> of(JsonObject alert, String channelName, String channelType, Optional<String> publicUrl) {
    return of(alert, "alert.raised", channelName, channelType, publicUrl, new Masking(false, java.util.List.of()));
  }
}
