package io.vigil.ingest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vigil.api.ApiError;
import io.vigil.api.ErrorCode;
import io.vigil.rules.Event;
import io.vigil.rules.Severity;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;

/**
 * Checks each event against the event contract and builds the {@link Event} rules see. All
 * problems of a batch are reported together, by index and field, and one bad event rejects
 * the whole batch: a client never has to work out which half was stored.
 *
 * <p>{@code type} is required; {@code id}, {@code time} (ISO-8601), {@code source}, {@code
 * severity}, {@code user}, {@code ip}, {@code host} are optional strings and {@code
 * attributes} an optional object; any other top-level field joins the attributes.
 * CloudEvents map {@code type}, {@code id}, {@code time}, {@code source} onto the event
 * and {@code data} becomes its attributes.
 */
public final class EventValidator {
  static final int MAX_ID = 256;
  static final int MAX_TYPE = 256;
  private static final Set<String> TYPED = Set.of("id", "type", "time", "source", "severity", "user", "ip", "host");
  private static final Set<String> CE_MAPPED = Set.of("specversion", "id", "type", "time", "source", "data");

  private final ObjectMapper mapper;
  private final Duration maxLateness;
  private final Duration maxSkew;

  public EventValidator(ObjectMapper mapper, Duration maxLateness, Duration maxSkew) {
    this.mapper = mapper;
    this.maxLateness = maxLateness;
    this.maxSkew = maxSkew;
  }

  public List<Event> validate(List<ObjectNode> nodes, boolean cloudEvents, String tenant, long receivedAt) {
    List<Event> out = new ArrayList<>(nodes.size());
    JsonArray problems = new JsonArray();
    int invalid = 0;
    for (int i = 0; i < nodes.size(); i++) {
      Problems p = new Problems(i, problems);
      Event e = cloudEvents ? fromCloudEvent(nodes.get(i), tenant, receivedAt, p) : fromEvent(nodes.get(i), tenant, receivedAt, p);
      if (e != null) {
        out.add(e);
      } else {
        invalid++;
      }
    }
    if (!problems.isEmpty()) {
      String message = nodes.size() == 1
          ? "the event is invalid: " + problems.getJsonObject(0).getString("message")
          : invalid + " of " + nodes.size() + " events are invalid; nothing was stored";
      throw new ApiError(ErrorCode.INVALID_EVENT, message, problems);
    }
    return out;
  }

  /**
   * Values PostgreSQL cannot store would fail the journal write of every event committed
   * with them: NUL characters (in text or field names) and numbers too large for a double.
   */
  private static void storable(JsonNode n, String path, Problems p) {
    if (n.isTextual()) {
      if (n.textValue().indexOf('\u0000') >= 0) {
        p.add(path, "must not contain NUL characters");
      }
    } else if (n.isDouble() || n.isFloat()) {
      if (!Double.isFinite(n.doubleValue())) {
        p.add(path, "is a number too large to store");
      }
    } else if (n.isContainerNode()) {
      int i = 0;
      java.util.Iterator<Map.Entry<String, JsonNode>> fields = n.isObject() ? n.fields() : null;
      if (fields != null) {
        while (fields.hasNext() && !p.any()) {
          Map.Entry<String, JsonNode> f = fields.next();
          if (f.getKey().indexOf('\u0000') >= 0) {
            p.add(path, "has a field name with a NUL character");
          }
          storable(f.getValue(), path.isEmpty() ? f.getKey() : path + "." + f.getKey(), p);
        }
      } else {
        for (JsonNode item : n) {
          storable(item, path + "." + i++, p);
        }
      }
    }
  }

  private Event fromEvent(ObjectNode n, String tenant, long receivedAt, Problems p) {
    storable(n, "", p);
    String type = requiredString(n, "type", MAX_TYPE, p);
    String id = optionalString(n, "id", MAX_ID, p);
    Long time = time(n.get("time"), "time", receivedAt, p);
    String severity = severity(n.get("severity"), p);
    String source = optionalString(n, "source", Integer.MAX_VALUE, p);
    String user = optionalString(n, "user", Integer.MAX_VALUE, p);
    String ip = optionalString(n, "ip", Integer.MAX_VALUE, p);
    String host = optionalString(n, "host", Integer.MAX_VALUE, p);
    Map<String, Object> attributes = new LinkedHashMap<>();
    JsonNode attrs = n.get("attributes");
    if (attrs != null && !attrs.isNull()) {
      if (!attrs.isObject()) {
        p.add("attributes", "must be an object");
      } else {
        putFields(attrs, attributes);
      }
    }
    Iterator<Map.Entry<String, JsonNode>> it = n.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> f = it.next();
      if (!TYPED.contains(f.getKey()) && !f.getKey().equals("attributes") && !f.getValue().isNull()) {
        // Unknown top-level fields join the attributes; an explicit attribute of that name wins.
        attributes.putIfAbsent(f.getKey(), plain(f.getValue()));
      }
    }
    if (p.any()) {
      return null;
    }
    return new Event(0, tenant, id != null ? id : UUID.randomUUID().toString(), type,
        time != null ? time : receivedAt, receivedAt, source, severity, user, ip, host, attributes);
  }

  private Event fromCloudEvent(ObjectNode n, String tenant, long receivedAt, Problems p) {
    storable(n, "", p);
    JsonNode spec = n.get("specversion");
    if (spec == null || !spec.isTextual() || !spec.asText().startsWith("1.")) {
      p.add("specversion", "must be \"1.0\" (CloudEvents structured mode)");
    }
    String type = requiredString(n, "type", MAX_TYPE, p);
    String id = requiredString(n, "id", MAX_ID, p);
    String source = requiredString(n, "source", Integer.MAX_VALUE, p);
    Long time = time(n.get("time"), "time", receivedAt, p);
    Map<String, Object> attributes = new LinkedHashMap<>();
    JsonNode data = n.get("data");
    if (data != null && !data.isNull()) {
      if (data.isObject()) {
        putFields(data, attributes);
      } else {
        attributes.put("data", plain(data));
      }
    }
    Iterator<Map.Entry<String, JsonNode>> it = n.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> f = it.next();
      if (!CE_MAPPED.contains(f.getKey()) && !f.getValue().isNull()) {
        attributes.putIfAbsent(f.getKey(), plain(f.getValue()));
      }
    }
    if (p.any()) {
      return null;
    }
    return new Event(0, tenant, id, type, time != null ? time : receivedAt, receivedAt, source, null, null, null,
        null, attributes);
  }

  /**
   * The plain Java value of a parsed JSON value: what {@code ObjectMapper.convertValue(node,
   * Object.class)} gives (LinkedHashMap, ArrayList, String, the node's own Number, Boolean,
   * null), built by walking the tree. convertValue serializes the tree to a token buffer and
   * reads it back, with a serializer provider and a generator per call: per event, the
   * largest cost of ingest after the parse itself.
   */
  Object plain(JsonNode v) {
    return switch (v.getNodeType()) {
      case OBJECT -> {
        Map<String, Object> m = new LinkedHashMap<>();
        putFields(v, m);
        yield m;
      }
      case ARRAY -> {
        List<Object> l = new ArrayList<>(v.size());
        for (JsonNode item : v) {
          l.add(plain(item));
        }
        yield l;
      }
      case STRING -> v.textValue();
      case NUMBER -> v.numberValue();
      case BOOLEAN -> v.booleanValue();
      case NULL, MISSING -> null;
      // Not produced by parsing JSON text; keep Jackson's own conversion for them.
      case BINARY, POJO -> mapper.convertValue(v, Object.class);
    };
  }

  private void putFields(JsonNode object, Map<String, Object> into) {
    Iterator<Map.Entry<String, JsonNode>> fields = object.fields();
    while (fields.hasNext()) {
      Map.Entry<String, JsonNode> f = fields.next();
      into.put(f.getKey(), plain(f.getValue()));
    }
  }

  private static String requiredString(ObjectNode n, String field, int max, Problems p) {
    JsonNode v = n.get(field);
    if (v == null || v.isNull()) {
      p.add(field, "is required");
      return null;
    }
    return checkString(v, field, max, p);
  }

  private static String optionalString(ObjectNode n, String field, int max, Problems p) {
    JsonNode v = n.get(field);
    if (v == null || v.isNull()) {
      return null;
    }
    return checkString(v, field, max, p);
  }

  private static String checkString(JsonNode v, String field, int max, Problems p) {
    if (!v.isTextual()) {
      p.add(field, "must be a string, got " + kind(v));
      return null;
    }
    String s = v.asText();
    if (s.isEmpty()) {
      p.add(field, "must not be empty");
      return null;
    }
    if (s.length() > max) {
      p.add(field, "must be at most " + max + " characters");
      return null;
    }
    if ((field.equals("id") || field.equals("type")) && s.chars().anyMatch(Character::isISOControl)) {
      p.add(field, "must not contain control characters");
      return null;
    }
    return s;
  }

  private Long time(JsonNode v, String field, long receivedAt, Problems p) {
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isTextual()) {
      p.add(field, "must be an ISO-8601 time string, e.g. 2026-11-22T10:00:00Z; got " + kind(v));
      return null;
    }
    long t;
    try {
      t = OffsetDateTime.parse(v.asText()).toInstant().toEpochMilli();
    } catch (DateTimeParseException e) {
      try {
        t = Instant.parse(v.asText()).toEpochMilli();
      } catch (DateTimeParseException e2) {
        p.add(field, "'" + abbreviate(v.asText()) + "' is not an ISO-8601 time with a zone, e.g. 2026-11-22T10:00:00Z");
        return null;
      }
    }
    if (t < receivedAt - maxLateness.toMillis()) {
      p.add(field, "is more than " + io.vigil.config.Durations.format(maxLateness)
          + " in the past (ingest.max_lateness)");
      return null;
    }
    if (t > receivedAt + maxSkew.toMillis()) {
      p.add(field, "is more than " + io.vigil.config.Durations.format(maxSkew)
          + " in the future (ingest.max_skew)");
      return null;
    }
    return t;
  }

  private static String severity(JsonNode v, Problems p) {
    if (v == null || v.isNull()) {
      return null;
    }
    if (!v.isTextual()) {
      p.add("severity", "must be a string, got " + kind(v));
      return null;
    }
    return Severity.parse(v.asText()).map(Severity::label).orElseGet(() -> {
      p.add("severity", "'" + abbreviate(v.asText()) + "' is not one of " + Severity.labels());
      return null;
    });
  }

  private static String kind(JsonNode v) {
    return switch (v.getNodeType()) {
      case NUMBER -> "a number";
      case BOOLEAN -> "a boolean";
      case ARRAY -> "an array";
      case OBJECT -> "an object";
      default -> v.getNodeType().name().toLowerCase(java.util.Locale.ROOT);
    };
  }

  private static String abbreviate(String s) {
    return s.length() > 64 ? s.substring(0, 64) + "..." : s;
  }

  /** Problems of one event, added to the batch's details with its index. */
  private static final class Problems {
    private final int index;
    private final JsonArray all;
    private final java.util.Set<String> reported = new java.util.HashSet<>();
    private boolean any;

    Problems(int index, JsonArray all) {
      this.index = index;
      this.all = all;
    }

    void add(String field, String message) {
      any = true;
      if (!reported.add(field)) {
        return; // one problem per field is enough to fix it
      }
      if (all.size() < 100) {
        all.add(new JsonObject().put("index", index).put("field", field).put("message", field + " " + message));
      }
    }

    boolean any() {
      return any;
    }
  }
}
