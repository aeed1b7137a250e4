package io.vigil.store;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vigil.rules.Event;
import java.io.IOException;
import java.io.StringWriter;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
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
    return toJson(List.of(e)).get(0);
  }

  /**
   * The JSON form of each event, in order: the same text as serializing {@link #toMap} with
   * Jackson, written with one generator for the whole list. An ObjectMapper call per event
   * makes a generator and a serializer provider each time, which cost more than the writing.
   */
  public static List<String> toJson(List<Event> events) {
    StringWriter out = new StringWriter(256);
    List<String> bodies = new ArrayList<>(events.size());
    try (JsonGenerator g = JSON.getFactory().createGenerator(out)) {
      // Each event is its own root value: no separator between them.
      g.setRootValueSeparator(null);
      for (Event e : events) {
        // toMap is the one definition of the form; writeValue writes its map without Jackson's
        // per-call setup.
        writeValue(g, toMap(e));
        g.flush();
        StringBuffer text = out.getBuffer();
        bodies.add(text.toString());
        text.setLength(0);
      }
    } catch (IOException ex) {
      throw new IllegalStateException("event is not serializable", ex);
    }
    return bodies;
  }

  /** The values ingest produces, written directly; anything else as Jackson would. */
  private static void writeValue(JsonGenerator g, Object v) throws IOException {
    if (v == null) {
      g.writeNull();
    } else if (v instanceof String s) {
      g.writeString(s);
    } else if (v instanceof Integer i) {
      g.writeNumber(i);
    } else if (v instanceof Long l) {
      g.writeNumber(l);
    } else if (v instanceof Double d) {
      g.writeNumber(d);
    } else if (v instanceof Boolean b) {
      g.writeBoolean(b);
    } else if (v instanceof Map<?, ?> m && stringKeys(m)) {
      g.writeStartObject();
      for (Map.Entry<?, ?> f : m.entrySet()) {
        g.writeFieldName((String) f.getKey());
        writeValue(g, f.getValue());
      }
      g.writeEndObject();
    } else if (v instanceof List<?> l) {
      g.writeStartArray();
      for (Object item : l) {
        writeValue(g, item);
      }
      g.writeEndArray();
    } else {
      JSON.writeValue(g, v);
    }
  }

  private static boolean stringKeys(Map<?, ?> m) {
    for (Object k : m.keySet()) {
      if (!(k instanceof String)) {
        return false;
      }
    }
    return true;
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
