package io.vigil.ruletest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vigil.config.Durations;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Reads a {@link TestCase} from JSON or YAML (as a Jackson tree), listing every problem. */
public final class TestCaseParser {
  private static final Set<String> KEYS = Set.of("name", "rules", "start", "events", "advance", "expect", "expect_none");
  private static final int MAX_EVENTS = 10_000;

  private TestCaseParser() {}

  /** Thrown with every problem found, each prefixed by where it is. */
  public static final class Invalid extends RuntimeException {
    private final List<String> problems;

    Invalid(List<String> problems) {
      super(String.join("; ", problems));
      this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
      return problems;
    }
  }

  public static TestCase parse(JsonNode root, String defaultName, Clock clock) {
    List<String> problems = new ArrayList<>();
    if (root == null || !root.isObject()) {
      throw new Invalid(List.of("a test case must be an object with events"));
    }
    Iterator<String> names = root.fieldNames();
    while (names.hasNext()) {
      String k = names.next();
      if (!KEYS.contains(k)) {
        problems.add(k + ": unknown key (known: " + String.join(", ", KEYS) + ")");
      }
    }
    String name = root.hasNonNull("name") ? root.get("name").asText() : defaultName;
    Optional<Map<String, String>> rules = Optional.empty();
    JsonNode r = root.get("rules");
    if (r != null && !r.isNull()) {
      if (!r.isObject() || r.isEmpty()) {
        problems.add("rules: must map file names to DRL text");
      } else {
        Map<String, String> files = new LinkedHashMap<>();
        r.fields().forEachRemaining(e -> {
          if (!e.getValue().isTextual()) {
            problems.add("rules." + e.getKey() + ": must be DRL text");
          } else {
            files.put(e.getKey(), e.getValue().asText());
          }
        });
        rules = Optional.of(files);
      }
    }
    Instant start = clock.instant();
    if (root.hasNonNull("start")) {
      try {
        start = OffsetDateTime.parse(root.get("start").asText()).toInstant();
      } catch (DateTimeParseException e) {
        problems.add("start: must be an ISO-8601 time, e.g. 2026-11-22T10:00:00Z");
      }
    }
    List<TestCase.TimedEvent> events = new ArrayList<>();
    JsonNode ev = root.get("events");
    if (ev == null || !ev.isArray()) {
      problems.add("events: a list of {at, event} is required");
    } else if (ev.size() > MAX_EVENTS) {
      problems.add("events: at most " + MAX_EVENTS);
    } else {
      for (int i = 0; i < ev.size(); i++) {
        JsonNode item = ev.get(i);
        JsonNode body = item.get("event");
        if (!item.isObject() || body == null || !body.isObject()) {
          problems.add("events[" + i + "]: must be {\"at\": \"+10s\", \"event\": {...}}");
          continue;
        }
        Duration at = offset(item.get("at"), "events[" + i + "].at", problems);
        events.add(new TestCase.TimedEvent(at == null ? Duration.ZERO : at, (ObjectNode) body));
      }
    }
    Duration advance = root.hasNonNull("advance") ? offset(root.get("advance"), "advance", problems) : Duration.ZERO;
    List<TestCase.Expectation> expect = expectations(root.get("expect"), "expect", true, problems);
    List<TestCase.Expectation> expectNone = expectations(root.get("expect_none"), "expect_none", true, problems);
    if (!problems.isEmpty()) {
      throw new Invalid(problems);
    }
    return new TestCase(name, rules, start, events, advance == null ? Duration.ZERO : advance, expect, expectNone);
  }

  /** An offset written {@code +20s}, {@code 20s} or {@code +1m30s}. */
  static Duration offset(JsonNode v, String where, List<String> problems) {
    if (v == null || v.isNull()) {
      return Duration.ZERO;
    }
    String text = v.asText().trim();
    try {
      return Durations.parse(text.startsWith("+") ? text.substring(1) : text);
    } catch (IllegalArgumentException e) {
      problems.add(where + ": " + e.getMessage());
      return null;
    }
  }

  private static List<TestCase.Expectation> expectations(JsonNode list, String where, boolean withAt, List<String> problems) {
    List<TestCase.Expectation> out = new ArrayList<>();
    if (list == null || list.isNull()) {
      return out;
    }
    if (!list.isArray()) {
      problems.add(where + ": must be a list of {rule, key}");
      return out;
    }
    for (int i = 0; i < list.size(); i++) {
      JsonNode e = list.get(i);
      if (!e.isObject() || !e.hasNonNull("rule")) {
        problems.add(where + "[" + i + "]: needs a rule");
        continue;
      }
      Optional<Duration> at = Optional.empty();
      if (withAt && e.hasNonNull("at")) {
        at = Optional.ofNullable(offset(e.get("at"), where + "[" + i + "].at", problems));
      }
      out.add(new TestCase.Expectation(e.get("rule").asText(),
          e.hasNonNull("key") ? Optional.of(e.get("key").asText()) : Optional.empty(), at));
    }
    return out;
  }
}
