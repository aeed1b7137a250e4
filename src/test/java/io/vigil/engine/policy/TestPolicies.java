package io.vigil.engine.policy;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vigil.engine.RuleTester;
import io.vigil.testing.Events;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;

/** Policy bodies, parsed policies and rule testers running them, for the policy tests. */
final class TestPolicies {
  static final ObjectMapper JSON = new ObjectMapper();
  static final Set<String> CHANNELS = Set.of("secops-webhook", "audit-log");
  private static final AtomicInteger IDS = new AtomicInteger();

  private TestPolicies() {}

  /** A policy id not used before in this JVM. */
  static String newId() {
    return "pol_t" + IDS.incrementAndGet();
  }

  static JsonNode json(String text) {
    try {
      return JSON.readTree(text);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("test JSON does not parse: " + text, e);
    }
  }

  static ObjectNode object(String text) {
    return (ObjectNode) json(text);
  }

  /** The body parsed for a new policy of the test tenant (the tenant {@link Events} uses). */
  static Policy parse(String body) {
    return PolicyParser.parse(json(body), newId(), Events.TENANT);
  }

  static Policy parse(JsonNode body) {
    return PolicyParser.parse(body, newId(), Events.TENANT);
  }

  /** A named policy of the test tenant with these conditions (JSON text) and no other settings. */
  static Policy withConditions(String name, String conditions, boolean caseSensitive) {
    return parse("{\"name\": \"" + name + "\", \"case_sensitive\": " + caseSensitive + ", \"conditions\": "
        + conditions + "}");
  }

  /** A rule tester running the compiled policies (disabled ones compile to no file). */
  static RuleTester tester(Policy... policies) {
    Map<String, String> files = new LinkedHashMap<>();
    for (Policy p : policies) {
      String drl = PolicyCompiler.compile(p);
      if (!drl.isEmpty()) {
        files.put(PolicyCompiler.fileName(p.tenant(), p.id()), drl);
      }
    }
    return RuleTester.of(files, CHANNELS);
  }
}
