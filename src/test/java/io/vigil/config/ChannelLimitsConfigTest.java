package io.vigil.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The channel keys for noise control, {@code max_per_hour} and {@code digest}: the same
 * checks in {@code vigil.yaml} and the channels API, and shown back by the API.
 */
class ChannelLimitsConfigTest {
  static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path dir;

  static ChannelConfig api(String json, List<String> problems) throws Exception {
    return ChannelParser.parseApi(JSON.readTree(json), problems);
  }

  @Test
  @DisplayName("max_per_hour is a whole number of at least 1 on any type; absent means no cap; shown back by the API")
  void max_per_hour() throws Exception {
    List<String> problems = new ArrayList<>();
    ChannelConfig c = api("{\"name\":\"hook\",\"type\":\"webhook\",\"url\":\"https://example.org/h\","
        + "\"max_per_hour\":20,\"digest\":\"5m\"}", problems);
    assertEquals(List.of(), problems);
    assertEquals(20, c.options().maxPerHour());
    assertEquals(Optional.of(Duration.ofMinutes(5)), c.options().digest());
    JsonObject shown = ChannelJson.of(c, false);
    assertEquals(20, shown.getInteger("max_per_hour"));
    assertEquals("5m", shown.getString("digest"));

    ChannelConfig uncapped = api("{\"name\":\"log\",\"type\":\"log\"}", problems);
    assertEquals(0, uncapped.options().maxPerHour());
    assertNull(ChannelJson.of(uncapped, false).getValue("max_per_hour"));
    assertEquals(5, api("{\"name\":\"pd\",\"type\":\"pagerduty\",\"routing_key\":\"k\",\"max_per_hour\":5}", problems)
        .options().maxPerHour(), "a cap is fine on PagerDuty");
    assertEquals(List.of(), problems);
  }

  @Test
  @DisplayName("a bad max_per_hour is refused with what is wrong")
  void bad_max_per_hour() throws Exception {
    for (Map.Entry<String, String> bad : Map.of(
        "0", "max_per_hour: must be between 1 and 1000000, got 0",
        "-3", "max_per_hour: must be between 1 and 1000000, got -3",
        "2.5", "max_per_hour: must be a whole number, got '2.5'",
        "\"lots\"", "max_per_hour: must be a whole number, got 'lots'").entrySet()) {
      List<String> problems = new ArrayList<>();
      api("{\"name\":\"log\",\"type\":\"log\",\"max_per_hour\":" + bad.getKey() + "}", problems);
      assertEquals(List.of(bad.getValue()), problems, bad.getKey());
    }
  }

  @Test
  @DisplayName("digest on a pagerduty channel is refused, in the API and in vigil.yaml")
  void no_digest_on_pagerduty() throws Exception {
    List<String> problems = new ArrayList<>();
    api("{\"name\":\"pd\",\"type\":\"pagerduty\",\"routing_key\":\"k\",\"digest\":\"5m\"}", problems);
    assertEquals(List.of("digest: is not allowed on a pagerduty channel: PagerDuty opens one incident per alert,"
        + " so its alerts cannot be batched into a digest"), problems);

    Path file = Files.writeString(dir.resolve("vigil.yaml"), """
        channels:
          - name: pd
            type: pagerduty
            routing_key: k
            digest: 5m
          - name: audit-log
            type: log
            max_per_hour: none
        """);
    InvalidConfigException e = assertThrows(InvalidConfigException.class, () -> ConfigLoader.load(file, Map.of()));
    assertEquals(2, e.problems().size(), e.problems().toString());
    assertTrue(e.problems().get(0).startsWith("channels[0].digest: is not allowed on a pagerduty channel"),
        e.problems().toString());
    assertEquals("channels[1].max_per_hour: must be a whole number, got 'none'", e.problems().get(1));
  }
}
