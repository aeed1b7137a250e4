package io.vigil.alert.silence;

import java.util.List;
import java.util.Map;

/**
 * The parts of an alert a silence is matched against: its rule, key, severity and tags,
 * and its evidence events in their stored JSON form ({@code id, type, source, severity,
 * user, ip, host, attributes}), the same at write time and when a silence ends.
 */
public record AlertFields(
    String rule, String key, String severity, List<String> tags, List<Map<String, Object>> events) {
  public AlertFields {
    tags = tags == null ? List.of() : List.copyOf(tags);
    events = events == null ? List.of() : events;
  }
}
