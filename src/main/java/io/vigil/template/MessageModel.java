package io.vigil.template;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.json.JsonObject;
import java.util.LinkedHashMap;
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
 *       {@code alert.resolved} or {@code test};
 *   <li>{@code channel}: {@code name, type}.
 * </ul>
 */
public final class MessageModel {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};

  private MessageModel() {}

  @SuppressWarnings("unchecked")
  public static Map<String, Object> of(
      JsonObject alert, String event, String channelName, String channelType, Optional<String> publicUrl,
      Masking masking) {
    Map<String, Object> a;
    try {
      // A deep copy into plain maps and lists: the sandboxed wrapper exposes nothing else.
      a = JSON.readValue(alert.encode(), MAP);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    a.values().removeIf(v -> v == null);
    a = (Map<String, Object>) masking.apply(a);
    Map<String, Object> withUrl = new LinkedHashMap<>(a);
    publicUrl.ifPresent(u -> withUrl.put("url", u.replaceAll("/+$", "") + "/api/v1/alerts/" + alert.getString("id")));
    Map<String, Object> model = new LinkedHashMap<>();
    model.put("alert", withUrl);
    model.put("event", event);
    model.put("channel", Map.of("name", channelName, "type", channelType));
    return model;
  }

  /** The model without masking, as in tests of the templates themselves. */
  public static Map<String, Object> of(JsonObject alert, String channelName, String channelType, Optional<String> publicUrl) {
    return of(alert, "alert.raised", channelName, channelType, publicUrl, new Masking(false, java.util.List.of()));
  }
}
