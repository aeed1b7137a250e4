package io.vigil.ingest;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vigil.api.ApiError;
import io.vigil.api.ErrorCode;
import io.vigil.ingest.EventParser.Format;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/**
 * A request body becomes one JSON object per event, whatever its format, and a hostile body
 * (too deep, too long, too many events) is refused quickly with a stable error code.
 */
class EventParserTest {
  private static final int MAX_DEPTH = 64;
  private static final int MAX_STRING = 100;
  private static final int MAX_EVENTS = 5;

  private final EventParser parser = new EventParser(MAX_DEPTH, MAX_STRING, MAX_EVENTS);

  private static ApiError fails(ErrorCode code, Executable parse) {
    ApiError e = assertThrows(ApiError.class, parse);
    assertEquals(code, e.code(), e.getMessage());
    return e;
  }

  private static JsonArray details(ApiError e) {
    return e.body(null).getJsonObject("error").getJsonArray("details");
  }

  private static List<String> types(List<ObjectNode> events) {
    return events.stream().map(n -> n.get("type").asText()).toList();
  }

  /** {"type":"x","v":[[...]]}: the object is one level, plus {@code arrays} nested arrays. */
  private static String eventNestedTo(int depth) {
    int arrays = depth - 1;
    return "{\"type\":\"x\",\"v\":" + "[".repeat(arrays) + "]".repeat(arrays) + "}";
  }

  @Test
  void parses_a_single_object_as_one_event() {
    List<ObjectNode> events = parser.parse("{\"type\":\"auth.login_failed\",\"user\":\"alice\"}", Format.JSON);

    assertEquals(1, events.size());
    assertEquals("auth.login_failed", events.get(0).get("type").asText());
    assertEquals("alice", events.get(0).get("user").asText());
  }

  @Test
  void parses_an_array_as_one_event_per_element_in_order() {
    List<ObjectNode> events = parser.parse("[{\"type\":\"a\"},{\"type\":\"b\"},{\"type\":\"c\"}]", Format.JSON);

    assertEquals(List.of("a", "b", "c"), types(events));
  }

  @Test
  void parses_ndjson_one_event_per_line_skipping_blank_lines() {
    String body = "{\"type\":\"a\"}\n\n{\"type\":\"b\"}\r\n   \n{\"type\":\"c\"}\n";

    assertEquals(List.of("a", "b", "c"), types(parser.parse(body, Format.NDJSON)));
  }

  @Test
  void reports_every_bad_ndjson_line_by_index_and_line_number() {
    String body = "{\"type\":\"a\"}\n{not json\n\n[1,2]\n";

    ApiError e = fails(ErrorCode.INVALID_JSON, () -> parser.parse(body, Format.NDJSON));

    JsonArray d = details(e);
    assertEquals(2, d.size(), d.encode());
    assertEquals(1, d.getJsonObject(0).getInteger("index"));
    assertEquals(2, d.getJsonObject(0).getInteger("line"));
    assertEquals(2, d.getJsonObject(1).getInteger("index"));
    assertEquals(4, d.getJsonObject(1).getInteger("line"));
    assertEquals("each line must be one JSON object", d.getJsonObject(1).getString("message"));
  }

  @Test
  void parses_a_single_cloudevent() {
    String body =
        """
        {"specversion":"1.0","type":"com.example.login","id":"ce-1","source":"/idp","time":"2026-11-22T10:00:00Z",
         "data":{"user":"alice"}}
        """;

    List<ObjectNode> events = parser.parse(body, Format.CLOUDEVENT);

    assertEquals(1, events.size());
    assertEquals("ce-1", events.get(0).get("id").asText());
    assertEquals("alice", events.get(0).get("data").get("user").asText());
  }

  @Test
  void parses_a_cloudevents_batch() {
    String body =
        """
        [{"specversion":"1.0","type":"a","id":"1","source":"/s"},
         {"specversion":"1.0","type":"b","id":"2","source":"/s"}]
        """;

    assertEquals(List.of("a", "b"), types(parser.parse(body, Format.CLOUDEVENTS_BATCH)));
  }

  @Test
  void refuses_a_cloudevent_that_is_not_an_object_and_a_batch_that_is_not_an_array() {
    fails(ErrorCode.INVALID_EVENT, () -> parser.parse("[{\"type\":\"a\"}]", Format.CLOUDEVENT));
    fails(ErrorCode.INVALID_EVENT, () -> parser.parse("{\"type\":\"a\"}", Format.CLOUDEVENTS_BATCH));
  }

  @Test
  void refuses_malformed_json_with_its_position() {
    ApiError e = fails(ErrorCode.INVALID_JSON, () -> parser.parse("{\"type\": \"a\",", Format.JSON));

    assertTrue(e.getMessage().startsWith("malformed JSON at line 1"), e.getMessage());
  }

  @Test
  void refuses_trailing_content_duplicate_keys_and_an_empty_body_as_invalid_json() {
    assertAll(
        () -> fails(ErrorCode.INVALID_JSON, () -> parser.parse("{\"type\":\"a\"} {\"type\":\"b\"}", Format.JSON)),
        () -> fails(ErrorCode.INVALID_JSON, () -> parser.parse("{\"type\":\"a\",\"type\":\"b\"}", Format.JSON)),
        () -> fails(ErrorCode.INVALID_JSON, () -> parser.parse("", Format.JSON)),
        () -> fails(ErrorCode.INVALID_JSON, () -> parser.parse("   ", Format.JSON)));
  }

  @Test
  void accepts_nesting_up_to_the_maximum_depth() {
    assertEquals(1, parser.parse(eventNestedTo(MAX_DEPTH), Format.JSON).size());
  }

  @Test
  void refuses_nesting_one_level_deeper_than_the_maximum() {
    ApiError e = fails(ErrorCode.INVALID_JSON, () -> parser.parse(eventNestedTo(MAX_DEPTH + 1), Format.JSON));

    assertTrue(e.getMessage().startsWith("JSON nesting is too deep"), e.getMessage());
  }

  @Test
  void refuses_absurdly_deep_nesting_fast() {
    String body = "[".repeat(100_000) + "]".repeat(100_000);

    ApiError e =
        assertTimeoutPreemptively(
            Duration.ofSeconds(5), () -> assertThrows(ApiError.class, () -> parser.parse(body, Format.JSON)));

    assertEquals(ErrorCode.INVALID_JSON, e.code());
  }

  @Test
  void accepts_a_string_of_the_maximum_length_and_refuses_a_longer_one() {
    String ok = "{\"type\":\"x\",\"note\":\"" + "a".repeat(MAX_STRING) + "\"}";
    String tooLong = "{\"type\":\"x\",\"note\":\"" + "a".repeat(MAX_STRING + 1) + "\"}";

    assertEquals(1, parser.parse(ok, Format.JSON).size());
    ApiError e = fails(ErrorCode.INVALID_JSON, () -> parser.parse(tooLong, Format.JSON));
    assertTrue(e.getMessage().startsWith("a JSON string is too long"), e.getMessage());
  }

  @Test
  void refuses_a_field_name_longer_than_the_maximum() {
    String body = "{\"type\":\"x\",\"" + "k".repeat(MAX_STRING + 1) + "\":1}";

    fails(ErrorCode.INVALID_JSON, () -> parser.parse(body, Format.JSON));
  }

  @Test
  void refuses_a_request_without_events() {
    assertAll(
        () -> fails(ErrorCode.INVALID_REQUEST, () -> parser.parse("[]", Format.JSON)),
        () -> fails(ErrorCode.INVALID_REQUEST, () -> parser.parse("[]", Format.CLOUDEVENTS_BATCH)),
        () -> fails(ErrorCode.INVALID_REQUEST, () -> parser.parse("\n\n", Format.NDJSON)));
  }

  @Test
  void accepts_the_maximum_number_of_events() {
    assertEquals(MAX_EVENTS, parser.parse(array(MAX_EVENTS), Format.JSON).size());
  }

  @Test
  void refuses_more_events_than_the_maximum_in_every_format() {
    String ndjson = "{\"type\":\"x\"}\n".repeat(MAX_EVENTS + 1);
    String ndjsonFar = "{\"type\":\"x\"}\n".repeat(MAX_EVENTS * 10);

    assertAll(
        () -> fails(ErrorCode.BODY_TOO_LARGE, () -> parser.parse(array(MAX_EVENTS + 1), Format.JSON)),
        () -> fails(ErrorCode.BODY_TOO_LARGE, () -> parser.parse(ndjson, Format.NDJSON)),
        () -> fails(ErrorCode.BODY_TOO_LARGE, () -> parser.parse(ndjsonFar, Format.NDJSON)));
  }

  @Test
  void reports_every_array_entry_that_is_not_an_object() {
    ApiError e = fails(ErrorCode.INVALID_EVENT, () -> parser.parse("[{\"type\":\"a\"}, 1, \"x\"]", Format.JSON));

    JsonArray d = details(e);
    assertEquals(2, d.size());
    assertEquals(new JsonObject().put("index", 1).put("field", "").put("message", "an event must be a JSON object"),
        d.getJsonObject(0));
    assertEquals(2, d.getJsonObject(1).getInteger("index"));
  }

  @Test
  void refuses_a_top_level_value_that_is_neither_object_nor_array() {
    fails(ErrorCode.INVALID_EVENT, () -> parser.parse("42", Format.JSON));
  }

  @Test
  void maps_content_types_to_formats() {
    assertAll(
        () -> assertEquals(Format.JSON, EventParser.formatOf(null)),
        () -> assertEquals(Format.JSON, EventParser.formatOf("application/json; charset=utf-8")),
        () -> assertEquals(Format.NDJSON, EventParser.formatOf("application/x-ndjson")),
        () -> assertEquals(Format.CLOUDEVENT, EventParser.formatOf("Application/CloudEvents+JSON")),
        () -> assertEquals(Format.CLOUDEVENTS_BATCH, EventParser.formatOf("application/cloudevents-batch+json")),
        () -> assertNull(EventParser.formatOf("text/plain")));
  }

  private static String array(int n) {
    StringBuilder b = new StringBuilder("[");
    for (int i = 0; i < n; i++) {
      b.append(i == 0 ? "" : ",").append("{\"type\":\"e").append(i).append("\"}");
    }
    return b.append("]").toString();
  }
}
