package io.vigil.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vigil.rules.Event;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one JSON form of an event: what the journal stores, what evidence and the API show.
 * {@code time} is ISO-8601; null fields are left out.
 */
public final class EventCodec {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final TypeReference<Map<String, Object>> MAP = new TypeReference<>() {};

  private EventCodec() {}

  public static Map<String, Object> toMap(Event e) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("id", e.getId());
    m.put("type", e.getType());
    m.put("time", Instant.ofEpochMilli(e.getTime()).toString());
    putIfPresent(m, "source", e.getSource());
    putIfPresent(m, "severity", e.getSeverity());
    putIfPresent(m, "user", e.getUser());
    putIfPresent(m, "ip", e.getIp());
    putIfPresent(m, "host", e.getHost());
    m.put("attributes", e.getAttributes());
    return m;
  }

  public static String toJson(Event e) {
    try {
      return JSON.writeValueAsString(toMap(e));
    } catch (JsonProcessingException ex) {
      throw new IllegalStateException("event is not serializable", ex);
    }
  }

  @SuppressWarnings("unchecked")
  public static Event fromJson(long seq, String tenant, long receivedAt, String json) {
    Map<String, Object> m;
    try {
      m = JSON.readValue(json, MAP);
    } catch (JsonProcessingException ex) {
      throw new IllegalStateException("journal row " + seq + " is not valid JSON", ex);
    }
    Object attrs = m.get("attributes");
    return new Event(
        seq,
        tenant,
        (String) m.get("id"),
        (String) m.get("type"),
        Instant.parse((String) m.get("time")).toEpochMilli(),
        receivedAt,
        (String) m.get("source"),
        (String) m.get("severity"),
        (String) m.get("user"),
        (String) m.get("ip"),
        (String) m.get("host"),
        attrs instanceof Map ? (Map<String, Object>) attrs : Map.of());
  }

  private static void putIfPresent(Map<String, Object> m, String k, Object v) {
    if (v != null) {
      m.put(k, v);
    }
  }
}
