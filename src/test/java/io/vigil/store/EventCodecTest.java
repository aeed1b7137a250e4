package io.vigil.store;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.vigil.rules.Event;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The journal's JSON form of an event is exactly Jackson's serialization of {@link EventCodec#toMap}. */
class EventCodecTest {
  private static final ObjectMapper JACKSON = new ObjectMapper();

  private static Event event(String id, Map<String, Object> attributes, String user) {
    return new Event(0, "acme", id, "auth.login", 1_795_000_000_123L, 1_795_000_000_456L, "src", "high", user,
        "203.0.113.7", null, attributes);
  }

  @Test
  void writes_each_event_as_jackson_writes_its_map() throws Exception {
    Map<String, Object> nested = new LinkedHashMap<>();
    nested.put("n", null);
    nested.put("list", new ArrayList<>(Arrays.asList(1, "two", 3.5, null, List.of(), Map.of())));
    Map<String, Object> attrs = new LinkedHashMap<>();
    attrs.put("int", 3);
    attrs.put("long", 3_000_000_000L);
    attrs.put("double", -0.002);
    attrs.put("big", new BigInteger("123456789012345678901234567890"));
    attrs.put("decimal", new BigDecimal("1.50"));
    attrs.put("bool", true);
    attrs.put("text", "quote \" backslash \\ tab \t é \u2028 \u0001");
    attrs.put("nested", nested);
    attrs.put("numberKeys", Map.of(1, "one"));
    attrs.put("char", 'c');
    List<Event> events = List.of(event("e-1", attrs, "alice"), event("e-2", Map.of(), null),
        event("e-3 \"quoted\"", Map.of("k", List.of(Map.of("x", 1L))), "bob"));

    List<String> bodies = EventCodec.toJson(events);

    assertEquals(events.size(), bodies.size());
    for (int i = 0; i < events.size(); i++) {
      assertEquals(JACKSON.writeValueAsString(EventCodec.toMap(events.get(i))), bodies.get(i));
      assertEquals(bodies.get(i), EventCodec.toJson(events.get(i)));
    }
  }

  @Test
  void reads_back_what_it_wrote() {
    Map<String, Object> attrs = new LinkedHashMap<>();
    attrs.put("n", 5);
    attrs.put("tags", List.of("a", "b"));
    Event e = event("e-1", attrs, "alice");
    Event back = EventCodec.fromJson(7, "acme", e.getReceivedAt(), EventCodec.toJson(e));
    assertEquals(EventCodec.toMap(e), EventCodec.toMap(back));
    assertEquals(7, back.getSeq());
  }
}
