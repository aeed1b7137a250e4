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

  /** The model without masking, as in tests of the templates themselves. */
  public static Map<String, Object> of(JsonObject alert, String channelName, String channelType, Optional<String> publicUrl) {
    return of(alert, "alert.raised", channelName, channelType, publicUrl, new Masking(false, java.util.List.of()));
  }
}
