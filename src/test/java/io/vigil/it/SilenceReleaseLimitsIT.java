package io.vigil.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vigil.testing.Api;
import io.vigil.testing.Receiver;
import io.vigil.testing.SettableClock;
import io.vigil.testing.TestDatabase;
import io.vigil.testing.TestServer;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * An alert a silence held goes out when the silence ends under the channel's limits of that
 * hour, like any new alert: it spent none of the allowance while silenced, and it cannot
 * slip past a channel's {@code max_per_hour} either.
 */
class SilenceReleaseLimitsIT {
  static final Duration WAIT = Duration.ofSeconds(30);

  // Mid-hour, so the clock hour does not end during the test.
  SettableClock clock = new SettableClock(
      Instant.now().truncatedTo(ChronoUnit.HOURS).plus(Duration.ofMinutes(20)));
  Receiver receiver;
  TestServer server;
  Api acme;

  @BeforeEach
  void start() throws Exception {
    TestDatabase.truncate();
    receiver = new Receiver();
    server = TestServer.builder().clock(clock).rule("page.drl", SilencesIT.RULE)
        .channels("  - name: hook\n    type: webhook\n    url: " + receiver.url("/hook") + "\n    max_per_hour: 1\n")
        .start();
    acme = server.api(server.newKey("acme", "ingest", "read", "respond"));
  }

  @AfterEach
  void stop() {
    server.close();
    receiver.close();
  }

  @Test
  @DisplayName("released into a spent hourly cap: skipped rate_limited and counted for the held-back notice")
  void released_alert_meets_the_channel_cap() {
    JsonObject silence = new JsonObject()
        .put("matchers", new JsonArray().add(SilencesIT.matcher("key", "=", "db-1")))
        .put("ends_at", clock.instant().plus(Duration.ofHours(2)).toString()).put("created_by", "alice");
    Api.Response created = acme.post("/api/v1/silences", silence.encode());
    assertEquals(201, created.status(), created.body());
    String id = created.json().getString("id");

    page("db-1");
    await().atMost(WAIT).until(() -> SilencesIT.find(acme, "db-1") != null);
    assertEquals(0, TestDatabase.count("SELECT count(*) FROM channel_hour_counts"),
        "a silenced alert spends none of the channel's allowance");
    page("web-1");
    await().atMost(WAIT).until(() -> receiver.requests().size() == 1);

    assertEquals(200, acme.delete("/api/v1/silences/" + id).status());

    JsonObject released = SilencesIT.find(acme, "db-1");
    assertEquals("active", released.getString("status"), released.encodePrettily());
    assertEquals(List.of("skipped/silenced", "skipped/rate_limited"),
        released.getJsonArray("deliveries").stream().map(o -> (JsonObject) o)
            .map(d -> d.getString("status") + "/" + d.getString("reason")).toList());
    assertEquals(1, TestDatabase.count(
        "SELECT count(*) FROM held_back WHERE channel = 'hook' AND rule = '' AND ? = ANY(alert_ids)",
        java.util.UUID.fromString(released.getString("id"))));
    assertEquals(1, receiver.requests().size(), "only web-1 went out");
  }

  void page(String host) {
    Api.Response r = acme.post("/api/v1/events", new JsonObject().put("type", "page").put("host", host).encode());
    assertEquals(202, r.status(), r.body());
  }
}
