package io.vigil.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vigil.testing.Receiver;
import io.vigil.testing.SettableClock;
import io.vigil.testing.TestDatabase;
import io.vigil.testing.TestServer;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The retry schedule, stepped on a settable clock: attempt n waits a random time within
 * [0, min(max, initial * 2^(n-1))]; Retry-After overrides it; the last attempt fails the
 * delivery with the last error. Every attempt is kept. These need the clock (a give-up or
 * a 30 s Retry-After takes that long in real time); the B4 fault scenario (outage, 429,
 * permanent 4xx, refused connection), in real time against the built jar, is
 * {@code ChannelOutageIT}.
 */
class DeliveryScheduleIT {
  static final String RULE = """
      package s;
      import io.vigil.rules.Event;
      global io.vigil.rules.Alerts alerts;
      rule "Page" @channels("hook")
      when
          $e : Event(type == "page")
      then
          alerts.raise(kcontext, $e.getId());
      end
      """;

  // PostgreSQL keeps microseconds; a start on a whole millisecond keeps stored times exact.
  SettableClock clock = new SettableClock(Instant.now().truncatedTo(ChronoUnit.MILLIS));
  Receiver receiver;
  TestServer server;

  @BeforeEach
  void start() throws Exception {
    TestDatabase.truncate();
    receiver = new Receiver();
    server = TestServer.builder().clock(clock).rule("page.drl", RULE)
        .webhook("hook", receiver.url("/hook"), null)
        .env("VIGIL_DELIVERY_RETRY_INITIAL", "1s")
        .env("VIGIL_DELIVERY_RETRY_MAX", "40s")
        .env("VIGIL_DELIVERY_RETRY_MAX_ATTEMPTS", "4")
        .start();
  }

  @AfterEach
  void stop() {
    server.close();
    receiver.close();
  }

  /** The first delivery (the page under test); probes come after it. */
  Map<String, Object> delivery() {
    return TestDatabase.query("SELECT status, attempts, next_attempt_at, last_error, last_status_code FROM deliveries"
        + " ORDER BY created_at, id").get(0);
  }

  /**
   * Proves a worker cycle ran at the current clock: a second page, answered 200, is
   * delivered. Anything due would have been claimed in the same cycle.
   */
  void probe() {
    assertEquals(202, server.api().post("/api/v1/events", "{\"type\":\"page\",\"id\":\"probe\"}").status());
    await().atMost(Duration.ofSeconds(30)).until(() -> receiver.requests().stream()
        .anyMatch(r -> r.bodyText().contains("\"key\":\"probe\"")));
  }

  Instant next() {
    return ((Timestamp) delivery().get("next_attempt_at")).toInstant();
  }

  void awaitAttempts(int n) {
    await().atMost(Duration.ofSeconds(30)).until(
        () -> TestDatabase.count("SELECT count(*) FROM delivery_attempts") == n);
  }

  /** Sends the page under test and waits for the engine to queue its delivery. */
  void page() {
    assertEquals(202, server.api().post("/api/v1/events", "{\"type\":\"page\",\"id\":\"first\"}").status());
    await().atMost(Duration.ofSeconds(30)).until(() -> TestDatabase.count("SELECT count(*) FROM deliveries") == 1);
  }

  /** Answers {@code a} for the page under test and 200 for the probe. */
  void answer(Receiver.Answer a) {
    receiver.answer(r -> r.bodyText().contains("\"key\":\"probe\"") ? Receiver.Answer.status(200) : a);
  }

  @Test
  @DisplayName("retries back off exponentially within the jitter bounds, then fail with the last error")
  void exponential_backoff_then_give_up() {
    answer(new Receiver.Answer(503, Map.of(), "down for maintenance"));
    page();
    long[] ceilings = {1_000, 2_000, 4_000};
    for (int attempt = 1; attempt <= 3; attempt++) {
      awaitAttempts(attempt);
      Instant attemptedAt = clock.instant();
      long waitMs = Duration.between(attemptedAt, next()).toMillis();
      assertTrue(waitMs >= 0 && waitMs <= ceilings[attempt - 1],
          "attempt " + attempt + " waits " + waitMs + " ms, within [0, " + ceilings[attempt - 1] + "]");
      assertEquals("pending", delivery().get("status"));
      clock.set(next().plusMillis(1));
    }
    awaitAttempts(4);
    await().atMost(Duration.ofSeconds(30)).until(() -> "failed".equals(delivery().get("status")));
    assertEquals("gave up after 4 attempts: HTTP 503: down for maintenance", delivery().get("last_error"));
    assertEquals(503, delivery().get("last_status_code"));
    assertEquals(4, receiver.requests().size());
    assertEquals(1, receiver.requests().stream().map(r -> r.header("webhook-id")).distinct().count(),
        "every retry carries the same webhook-id");
  }

  @Test
  @DisplayName("Retry-After decides the next attempt, and nothing is sent before it")
  void retry_after_is_honoured() {
    answer(new Receiver.Answer(429, Map.of("Retry-After", "30"), "slow down"));
    page();
    awaitAttempts(1);
    Instant attemptedAt = clock.instant();
    assertEquals(Duration.ofSeconds(30), Duration.between(attemptedAt, next()));
    clock.advance(Duration.ofSeconds(29));
    probe();
    assertEquals(1, delivery().get("attempts"), "not sent before Retry-After");
    answer(Receiver.Answer.status(200));
    clock.advance(Duration.ofSeconds(2));
    await().atMost(Duration.ofSeconds(30)).until(() -> "delivered".equals(delivery().get("status")));
    assertEquals(2, delivery().get("attempts"), "the probe's delivery did not count");
  }
}
