package io.vigil.ingest;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vigil.api.ApiError;
import io.vigil.api.ErrorCode;
import io.vigil.ingest.EventParser.Format;
import io.vigil.rules.Event;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.Test;

/**
 * Each event is checked against the event contract; one bad event rejects the whole batch and
 * every problem is named by index and field, so a client can fix them all at once.
 */
class EventValidatorTest {
  private static final long NOW = Instant.parse("2026-11-22T10:00:00Z").toEpochMilli();

  private final EventParser parser = new EventParser(64, 65_536, 1000);
  private final EventValidator validator =
      new EventValidator(new ObjectMapper(), Duration.ofHours(1), Duration.ofMinutes(5));

  private List<Event> events(String json) {
    return validator.validate(parser.parse(json, Format.JSON), false, "acme", NOW);
  }

  private Event event(String json) {
    List<Event> out = events(json);
    assertEquals(1, out.size());
    return out.get(0);
  }

  private List<Event> cloudEvents(String json, Format format) {
    return validator.validate(parser.parse(json, format), true, "acme", NOW);
  }

  private ApiError invalid(String json) {
    List<ObjectNode> nodes = parser.parse(json, Format.JSON);
    ApiError e = assertThrows(ApiError.class, () -> validator.validate(nodes, false, "acme", NOW));
    assertEquals(ErrorCode.INVALID_EVENT, e.code(), e.getMessage());
    return e;
  }

  private static List<String> indexAndField(ApiError e) {
    JsonArray details = e.body(null).getJsonObject("error").getJsonArray("details");
    List<String> out = new ArrayList<>();
    for (int i = 0; i < details.size(); i++) {
      JsonObject d = details.getJsonObject(i);
      out.add(d.getInteger("index") + ":" + d.getString("field"));
    }
    return out;
  }

  @Test
  void builds_an_event_from_the_typed_fields() {
    Event e =
        event(
            """
            {"type":"auth.login_failed","id":"evt-1","time":"2026-11-22T09:59:00Z","source":"idp",
             "severity":"high","user":"alice","ip":"203.0.113.7","host":"web-1","attributes":{"attempt":3}}
            """);

    assertAll(
        () -> assertEquals("acme", e.getTenant()),
        () -> assertEquals("auth.login_failed", e.getType()),
        () -> assertEquals("evt-1", e.getId()),
        () -> assertEquals(Instant.parse("2026-11-22T09:59:00Z").toEpochMilli(), e.getTime()),
        () -> assertEquals(NOW, e.getReceivedAt()),
        () -> assertEquals("idp", e.getSource()),
        () -> assertEquals("high", e.getSeverity()),
        () -> assertEquals("alice", e.getUser()),
        () -> assertEquals("203.0.113.7", e.getIp()),
        () -> assertEquals("web-1", e.getHost()),
        () -> assertEquals(Map.of("attempt", 3), e.getAttributes()));
  }

  @Test
  void accepts_a_time_with_an_offset() {
    Event e = event("{\"type\":\"a\",\"time\":\"2026-11-22T11:00:00+01:00\"}");

    assertEquals(NOW, e.getTime());
  }

  @Test
  void uses_the_receive_time_when_the_event_has_none() {
    assertEquals(NOW, event("{\"type\":\"a\"}").getTime());
  }

  @Test
  void generates_a_distinct_id_when_the_event_has_none() {
    List<Event> out = events("[{\"type\":\"a\"},{\"type\":\"a\"}]");

    assertNotNull(out.get(0).getId());
    UUID.fromString(out.get(0).getId());
    assertNotEquals(out.get(0).getId(), out.get(1).getId());
  }

  @Test
  void normalizes_severity_to_lower_case() {
    assertEquals("critical", event("{\"type\":\"a\",\"severity\":\"CRITICAL\"}").getSeverity());
    assertEquals("medium", event("{\"type\":\"a\",\"severity\":\" Medium \"}").getSeverity());
  }

  @Test
  void attributes_hold_the_same_java_values_jackson_would_convert_them_to() throws Exception {
    String attrs = """
        {"i":3,"l":3000000000,"big":123456789012345678901234567890,"d":1.5,"e":-2e-3,"t":true,"f":false,
         "s":"x\u00e9","z":null,"a":[1,"two",[3.0],{"k":null}],"o":{"n":{"m":[]}},"empty":{}}""";
    Event e = event("{\"type\":\"a\",\"attributes\":" + attrs + ",\"extra\":[1,{\"q\":2.25}]}");
    ObjectMapper jackson = new ObjectMapper();
    Map<String, Object> expected = jackson.convertValue(parser.mapper().readTree(attrs),
        new com.fasterxml.jackson.core.type.TypeReference<Map<String, Object>>() {});
    expected.put("extra", jackson.convertValue(parser.mapper().readTree("[1,{\"q\":2.25}]"), Object.class));
    assertEquals(expected, e.getAttributes());
    for (String k : expected.keySet()) {
      Object want = expected.get(k);
      assertEquals(want == null ? null : want.getClass(), e.getAttributes().get(k) == null ? null
          : e.getAttributes().get(k).getClass(), "the Java type of " + k);
    }
    assertEquals(List.copyOf(expected.keySet()), List.copyOf(e.getAttributes().keySet()), "field order is kept");
  }

  @Test
  void unknown_top_level_fields_join_the_attributes() {
    Event e = event("{\"type\":\"a\",\"http\":{\"status\":503},\"path\":\"/login\",\"gone\":null}");

    assertEquals(Map.of("http", Map.of("status", 503), "path", "/login"), e.getAttributes());
  }

  @Test
  void an_explicit_attribute_wins_over_a_top_level_field_of_the_same_name() {
    Event e = event("{\"type\":\"a\",\"path\":\"/top\",\"attributes\":{\"path\":\"/explicit\"}}");
    Event reversed = event("{\"type\":\"a\",\"attributes\":{\"path\":\"/explicit\"},\"path\":\"/top\"}");

    assertEquals("/explicit", e.getAttributes().get("path"));
    assertEquals("/explicit", reversed.getAttributes().get("path"));
  }

  @Test
  void refuses_an_event_without_a_type() {
    ApiError e = invalid("{\"user\":\"alice\"}");

    assertEquals(List.of("0:type"), indexAndField(e));
    assertEquals("the event is invalid: type is required", e.getMessage());
  }

  @Test
  void rejects_a_batch_naming_every_bad_event_by_index_and_field() {
    String batch =
        """
        [
          {"user":"alice"},
          {"type":42},
          {"type":"a","time":1700000000},
          {"type":"a","attributes":"not an object"},
          {"type":"a","severity":"apocalyptic"},
          {"type":"a","time":"2026-11-22T08:59:59Z"},
          {"type":"a","time":"2026-11-22T10:05:01Z"},
          {"type":"fine"},
          {"type":"a","time":"yesterday"},
          {"type":"","user":7}
        ]
        """;

    ApiError e = invalid(batch);

    assertEquals(
        List.of("0:type", "1:type", "2:time", "3:attributes", "4:severity", "5:time", "6:time", "8:time", "9:type",
            "9:user"),
        indexAndField(e));
  }

  @Test
  void the_batch_message_counts_invalid_events_not_problems() {
    ApiError e = invalid("[{\"type\":\"\",\"user\":7},{\"type\":\"fine\"},{\"type\":\"a\",\"ip\":1,\"host\":2}]");

    assertEquals(4, indexAndField(e).size(), "four problems");
    assertEquals("2 of 3 events are invalid; nothing was stored", e.getMessage());
  }

  @Test
  void explains_each_problem_in_words() {
    ApiError e =
        invalid(
            """
            [{"type":42},{"type":"a","severity":"apocalyptic"},{"type":"a","time":"2026-11-22T08:00:00Z"},
             {"type":"a","time":"2026-11-22T11:00:00Z"}]
            """);

    JsonArray d = e.body(null).getJsonObject("error").getJsonArray("details");
    assertEquals("type must be a string, got a number", d.getJsonObject(0).getString("message"));
    assertEquals("severity 'apocalyptic' is not one of info, low, medium, high, critical, emergency",
        d.getJsonObject(1).getString("message"));
    assertEquals("time is more than 1h in the past (ingest.max_lateness)", d.getJsonObject(2).getString("message"));
    assertEquals("time is more than 5m in the future (ingest.max_skew)", d.getJsonObject(3).getString("message"));
  }

  @Test
  void accepts_times_exactly_at_the_lateness_and_skew_limits() {
    List<Event> out = events("[{\"type\":\"a\",\"time\":\"2026-11-22T09:00:00Z\"},"
        + "{\"type\":\"a\",\"time\":\"2026-11-22T10:05:00Z\"}]");

    assertEquals(NOW - Duration.ofHours(1).toMillis(), out.get(0).getTime());
    assertEquals(NOW + Duration.ofMinutes(5).toMillis(), out.get(1).getTime());
  }

  @Test
  void refuses_control_characters_in_type_and_id() {
    ApiError e = invalid("[{\"type\":\"a\\u0000b\"},{\"type\":\"a\",\"id\":\"x\\ny\"}]");

    assertEquals(List.of("0:type", "1:id"), indexAndField(e));
  }

  @Test
  void maps_a_cloudevent_onto_the_event_and_its_data_onto_the_attributes() {
    Event e =
        cloudEvents(
                """
                {"specversion":"1.0","type":"com.example.login.failed","id":"ce-42","source":"/idp/eu",
                 "time":"2026-11-22T09:58:00Z","subject":"alice",
                 "data":{"user":"alice","geo":{"country":"NL"}}}
                """,
                Format.CLOUDEVENT)
            .get(0);

    assertAll(
        () -> assertEquals("com.example.login.failed", e.getType()),
        () -> assertEquals("ce-42", e.getId()),
        () -> assertEquals("/idp/eu", e.getSource()),
        () -> assertEquals(Instant.parse("2026-11-22T09:58:00Z").toEpochMilli(), e.getTime()),
        () -> assertEquals("acme", e.getTenant()),
        () -> assertEquals("alice", e.field("user")),
        () -> assertEquals("NL", e.field("geo.country")),
        () -> assertEquals("alice", e.field("subject"), "extension attributes are kept"),
        () -> assertNull(e.field("specversion")),
        () -> assertNull(e.field("data")));
  }

  @Test
  void maps_every_cloudevent_of_a_batch() {
    List<Event> out =
        cloudEvents(
            """
            [{"specversion":"1.0","type":"a","id":"1","source":"/s","data":{"n":1}},
             {"specversion":"1.0","type":"b","id":"2","source":"/t","data":[1,2]}]
            """,
            Format.CLOUDEVENTS_BATCH);

    assertEquals(List.of("a", "b"), out.stream().map(Event::getType).toList());
    assertEquals(List.of("1", "2"), out.stream().map(Event::getId).toList());
    assertEquals(List.of("/s", "/t"), out.stream().map(Event::getSource).toList());
    assertEquals(1, out.get(0).field("n"));
    assertEquals(List.of(1, 2), out.get(1).field("data"), "data that is not an object is kept whole");
  }

  @Test
  void refuses_cloudevents_missing_their_required_attributes() {
    List<ObjectNode> nodes =
        parser.parse("[{\"type\":\"a\",\"id\":\"1\",\"source\":\"/s\"},{\"specversion\":\"1.0\"}]",
            Format.CLOUDEVENTS_BATCH);

    ApiError e = assertThrows(ApiError.class, () -> validator.validate(nodes, true, "acme", NOW));

    assertEquals(ErrorCode.INVALID_EVENT, e.code());
    assertEquals(List.of("0:specversion", "1:type", "1:id", "1:source"), indexAndField(e));
  }

  @Test
  void field_reads_nested_attributes_by_dot_path() {
    Event e = event("{\"type\":\"a\",\"a\":{\"b\":{\"c\":\"deep\"}},\"http\":{\"status\":503}}");

    assertEquals("deep", e.field("a.b.c"));
    assertEquals(Map.of("c", "deep"), e.field("a.b"));
    assertEquals(503, e.field("http.status"));
  }

  @Test
  void field_reads_list_elements_by_index() {
    Event e = event("{\"type\":\"a\",\"items\":[{\"name\":\"first\"},{\"name\":\"second\"}]}");

    assertEquals("first", e.field("items.0.name"));
    assertEquals("second", e.field("items.1.name"));
  }

  @Test
  void field_is_null_when_any_part_of_the_path_is_absent() {
    Event e = event("{\"type\":\"a\",\"a\":{\"b\":\"leaf\"},\"items\":[{\"name\":\"first\"}]}");

    assertAll(
        () -> assertNull(e.field("missing")),
        () -> assertNull(e.field("a.missing")),
        () -> assertNull(e.field("a.b.c"), "a string has no fields"),
        () -> assertNull(e.field("items.1.name"), "index past the end"),
        () -> assertNull(e.field("items.-1.name"), "negative index"),
        () -> assertNull(e.field("items.first.name"), "not an index"),
        () -> assertNull(e.field("type"), "typed fields are not attributes"));
  }
}
