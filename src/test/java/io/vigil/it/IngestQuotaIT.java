package io.vigil.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vigil.testing.Api;
import io.vigil.testing.PrometheusText;
import io.vigil.testing.SettableClock;
import io.vigil.testing.TestDatabase;
import io.vigil.testing.TestServer;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * {@code ingest.tenant_events_per_second}: a tenant over its rate gets {@code 429
 * rate_limited} with {@code Retry-After} and nothing of the request is stored, while another
 * tenant is not affected; on a settable clock, the quota refills with time.
 */
class IngestQuotaIT {
  SettableClock clock = new SettableClock(Instant.now().truncatedTo(ChronoUnit.MILLIS));
  TestServer server;
  Api acme;
  Api globex;

  @BeforeEach
  void start() throws Exception {
    TestDatabase.truncate();
    server = TestServer.builder().clock(clock)
        .env("VIGIL_INGEST_TENANT_EVENTS_PER_SECOND", "10")
        .env("VIGIL_INGEST_MAX_EVENTS_PER_REQUEST", "10")
        .start();
    acme = server.api(server.newKey("acme", "ingest"));
    globex = server.api(server.newKey("globex", "ingest"));
  }

  @AfterEach
  void stop() {
    server.close();
  }

  static String batch(String prefix, int n) {
    StringBuilder b = new StringBuilder("[");
    for (int i = 0; i < n; i++) {
      b.append(i == 0 ? "" : ",").append("{\"id\":\"").append(prefix).append(i).append("\",\"type\":\"quota.test\"}");
    }
    return b.append("]").toString();
  }

  @Test
  @DisplayName("over the tenant's rate: 429 rate_limited with Retry-After, nothing stored, other tenants unaffected")
  void over_the_rate() {
    assertEquals(202, acme.post("/api/v1/events", batch("a", 10)).status(), "one second's worth at once");

    Api.Response refused = acme.post("/api/v1/events", batch("b", 5));
    assertEquals(429, refused.status(), refused.body());
    assertEquals("rate_limited", refused.json().getJsonObject("error").getString("code"));
    assertEquals("1", refused.header("Retry-After"), "5 events at 10/s fit again in half a second");
    assertEquals(10, TestDatabase.count("SELECT count(*) FROM events WHERE tenant = 'acme'"), "nothing of it stored");
    assertEquals(0, TestDatabase.count("SELECT count(*) FROM events WHERE id LIKE 'b%'"));

    assertEquals(202, globex.post("/api/v1/events", batch("g", 10)).status(), "globex has its own quota");

    clock.advance(Duration.ofMillis(500));
    assertEquals(202, acme.post("/api/v1/events", batch("b", 5)).status(), "refilled with time");
    assertEquals(15, TestDatabase.count("SELECT count(*) FROM events WHERE tenant = 'acme'"));

    PrometheusText m = PrometheusText.parse(server.api(null).get("/metrics").body());
    assertEquals(1, m.valueOrZero("vigil_events_rejected_total", "code", "rate_limited"));
  }
}
