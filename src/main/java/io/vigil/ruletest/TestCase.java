package io.vigil.ruletest;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A rule test: events at offsets from a start time, then the clock moved on, and what must
 * (and must not) have been raised. The same shape serves {@code POST /api/v1/rules/test}
 * and the files of {@code vigil.jar test}.
 */
public record TestCase(
    String name,
    Optional<Map<String, String>> rules,
    Instant start,
    List<TimedEvent> events,
    Duration advance,
    List<Expectation> expect,
    List<Expectation> expectNone) {

  /** An event body (as ingested) received at {@code start + at}. */
  public record TimedEvent(Duration at, ObjectNode event) {}

  /** A rule, optionally a key, and for {@code expect} optionally when, as an offset from start. */
  public record Expectation(String rule, Optional<String> key, Optional<Duration> at) {}
}
