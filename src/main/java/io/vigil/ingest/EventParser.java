package io.vigil.ingest;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vigil.api.ApiError;
import io.vigil.api.ErrorCode;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Turns a request body into JSON objects, one per event: a single object, a JSON array,
 * NDJSON, or CloudEvents in structured mode (single or batch). Nesting depth and string
 * length are bounded while parsing, so a hostile body fails fast instead of exhausting the
 * server.
 */
public final class EventParser {
  public enum Format {
    JSON,
    NDJSON,
    CLOUDEVENT,
    CLOUDEVENTS_BATCH
  }

  private final ObjectMapper mapper;
  private final int maxEvents;

  public EventParser(int maxDepth, int maxStringLength, int maxEvents) {
    JsonFactory factory = JsonFactory.builder()
        .streamReadConstraints(StreamReadConstraints.builder()
            .maxNestingDepth(maxDepth)
            .maxStringLength(maxStringLength)
            .maxNameLength(Math.min(maxStringLength, 50_000))
            .build())
        .build();
    this.mapper = new ObjectMapper(factory)
        .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
        .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    this.maxEvents = maxEvents;
  }

  /** The format for a Content-Type, or null when it is not one Vigil accepts. */
  public static Format formatOf(String contentType) {
    if (contentType == null || contentType.isBlank()) {
      return Format.JSON;
    }
    String type = contentType.split(";", 2)[0].trim().toLowerCase(Locale.ROOT);
    return switch (type) {
      case "application/json", "text/json" -> Format.JSON;
      case "application/x-ndjson", "application/ndjson", "application/jsonl", "application/x-jsonlines" ->
          Format.NDJSON;
      case "application/cloudevents+json" -> Format.CLOUDEVENT;
      case "application/cloudevents-batch+json" -> Format.CLOUDEVENTS_BATCH;
      default -> null;
    };
  }

  public List<ObjectNode> parse(String body, Format format) {
    List<ObjectNode> events = switch (format) {
      case JSON -> objects(read(body, -1));
      case NDJSON -> ndjson(body);
      case CLOUDEVENT -> {
        JsonNode n = read(body, -1);
        if (!n.isObject()) {
          throw new ApiError(ErrorCode.INVALID_EVENT, "a CloudEvent must be a JSON object");
        }
        yield List.of((ObjectNode) n);
      }
      case CLOUDEVENTS_BATCH -> {
        JsonNode n = read(body, -1);
        if (!n.isArray()) {
          throw new ApiError(ErrorCode.INVALID_EVENT, "a CloudEvents batch must be a JSON array");
        }
        yield objects(n);
      }
    };
    if (events.isEmpty()) {
      throw new ApiError(ErrorCode.INVALID_REQUEST, "the request holds no events");
    }
    if (events.size() > maxEvents) {
      throw new ApiError(ErrorCode.BODY_TOO_LARGE,
          "a request may hold at most " + maxEvents + " events; this one holds " + events.size());
    }
    return events;
  }

  private JsonNode read(String text, int line) {
    try {
      JsonNode n = mapper.readTree(text);
      if (n == null || n.isMissingNode()) {
        throw new ApiError(ErrorCode.INVALID_JSON, "the body is empty");
      }
      return n;
    } catch (StreamConstraintsException e) {
      throw new ApiError(ErrorCode.INVALID_JSON, limitMessage(e) + where(line));
    } catch (JsonProcessingException e) {
      String position = e.getLocation() == null
          ? ""
          : " at line " + (line > 0 ? line : e.getLocation().getLineNr()) + ", column " + e.getLocation().getColumnNr();
      throw new ApiError(ErrorCode.INVALID_JSON, "malformed JSON" + position + ": " + e.getOriginalMessage());
    } catch (IOException e) {
      throw new ApiError(ErrorCode.INVALID_JSON, "unreadable body");
    }
  }

  private static String where(int line) {
    return line > 0 ? " (line " + line + ")" : "";
  }

  private static String limitMessage(StreamConstraintsException e) {
    String m = e.getOriginalMessage() == null ? "" : e.getOriginalMessage();
    if (m.contains("nesting depth")) {
      return "JSON nesting is too deep: " + m.replaceAll("\\s*\\(by .*\\)\\s*$", "");
    }
    if (m.contains("String value length") || m.contains("Name length")) {
      return "a JSON string is too long: " + m.replaceAll("\\s*\\(by .*\\)\\s*$", "");
    }
    return "the JSON exceeds a limit: " + m;
  }

  private static List<ObjectNode> objects(JsonNode n) {
    if (n.isObject()) {
      return List.of((ObjectNode) n);
    }
    if (!n.isArray()) {
      throw new ApiError(ErrorCode.INVALID_EVENT, "the body must be a JSON object (one event) or an array of events");
    }
    List<ObjectNode> out = new ArrayList<>(n.size());
    JsonArray problems = new JsonArray();
    for (int i = 0; i < n.size(); i++) {
      if (n.get(i).isObject()) {
        out.add((ObjectNode) n.get(i));
      } else {
        problems.add(new JsonObject().put("index", i).put("field", "").put("message", "an event must be a JSON object"));
      }
    }
    if (!problems.isEmpty()) {
      throw new ApiError(ErrorCode.INVALID_EVENT, "the batch holds entries that are not events; nothing was stored",
          problems);
    }
    return out;
  }

  private List<ObjectNode> ndjson(String body) {
    List<ObjectNode> out = new ArrayList<>();
    String[] lines = body.split("\r?\n", -1);
    JsonArray problems = new JsonArray();
    for (int i = 0; i < lines.length; i++) {
      if (lines[i].isBlank()) {
        continue;
      }
      if (out.size() + problems.size() >= maxEvents + 1) {
        throw new ApiError(ErrorCode.BODY_TOO_LARGE, "a request may hold at most " + maxEvents + " events");
      }
      JsonNode n;
      try {
        n = read(lines[i], i + 1);
      } catch (ApiError e) {
        problems.add(new JsonObject().put("index", out.size() + problems.size()).put("line", i + 1)
            .put("field", "").put("message", e.getMessage()));
        continue;
      }
      if (n.isObject()) {
        out.add((ObjectNode) n);
      } else {
        problems.add(new JsonObject().put("index", out.size() + problems.size()).put("line", i + 1)
            .put("field", "").put("message", "each line must be one JSON object"));
      }
    }
    if (!problems.isEmpty()) {
      throw new ApiError(ErrorCode.INVALID_JSON, "some NDJSON lines are not events; nothing was stored", problems);
    }
    return out;
  }

  ObjectMapper mapper() {
    return mapper;
  }
}
