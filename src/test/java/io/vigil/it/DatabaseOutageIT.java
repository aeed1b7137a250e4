package io.vigil.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vigil.testing.IngestLoad;
import io.vigil.testing.Receiver;
import io.vigil.testing.TcpProxy;
import io.vigil.testing.TestDatabase;
import io.vigil.testing.TestServer;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * PostgreSQL goes away under steady ingest (RELIABILITY.md B2 in process, and B9's
 * partition): through a TCP proxy between Vigil and the test database, either every
 * connection is reset and new ones refused (the database is down) or nothing passes and
 * nothing is reset (a partition). Meanwhile ingest answers {@code 503} with {@code
 * Retry-After} within the pool's connection timeout (never {@code 202}, never {@code 500},
 * never a hang), {@code /ready} turns {@code 503} within 2 s, and after the database is back
 * everything resumes within 10 s: ingest, readiness, the engine and delivery. Every id that
 * got a {@code 202} is in the journal.
 */
class DatabaseOutageIT {
  static final String RULE = """
      package test.outage;
      import io.vigil.rules.Event;
      global io.vigil.rules.Alerts alerts;
      rule "After the outage"
          @channels("outage-hook")
      when
          $e : Event(type == "outage.alert")
      then
          alerts.raise(kcontext, $e.getId());
      end
      """;
  static final double CONNECT_TIMEOUT_S = 2.0;
  static final long OUTAGE_MS = Long.getLong("vigil.soak.outage_ms", 4_000);

  TcpProxy proxy;
  Receiver receiver;
  TestServer server;
  IngestLoad load;

  @AfterEach
  void stop() {
    if (load != null) {
      load.close();
    }
    if (proxy != null) {
      proxy.heal();
    }
    if (server != null) {
      server.close();
    }
    if (receiver != null) {
      receiver.close();
    }
    if (proxy != null) {
      proxy.close();
    }
  }

  int readyStatus() {
    return server.api().get("/ready").status();
  }

  static double since(long nanos) {
    return (System.nanoTime() - nanos) / 1e9;
  }

  @ParameterizedTest(name = "{0}")
  @ValueSource(strings = {"down", "partition"})
  @DisplayName("while PostgreSQL is unreachable ingest answers 503 in time, /ready is 503, and all resumes after")
  void ingest_fails_fast_and_recovers(String fault) throws Exception {
    TestDatabase.truncate();
    proxy = new TcpProxy("127.0.0.1", TestDatabase.port());
    receiver = new Receiver();
    server = TestServer.builder().rule("outage.drl", RULE).webhook("outage-hook", receiver.url("/hook"), null)
        .env("VIGIL_DB_URL", TestDatabase.urlThrough(proxy.port()))
        .env("VIGIL_DB_CONNECT_TIMEOUT", "2s")
        .start();
    load = new IngestLoad(server.baseUrl(), TestServer.OPERATOR_TOKEN, "db-" + fault + "-", "outage.probe")
        .closedLoop(4);
    await().atMost(Duration.ofSeconds(30)).until(() -> load.outcomes().stream().filter(IngestLoad.Outcome::accepted)
        .count() >= 200);

    long cut = System.nanoTime();
    if (fault.equals("down")) {
      proxy.down();
    } else {
      proxy.blackhole();
    }
    await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(50)).until(() -> readyStatus() == 503);
    double readyDown = since(cut);
    // Hold the outage until it has lasted OUTAGE_MS and clients have seen it.
    await().atMost(Duration.ofSeconds(60)).until(() -> since(cut) * 1000 >= OUTAGE_MS
        && load.outcomes().stream().filter(o -> o.sentAtNanos() > cut && o.status() == 503).count() >= 3);

    long heal = System.nanoTime();
    proxy.heal();
    await().atMost(Duration.ofSeconds(20)).until(() -> load.outcomes().stream()
        .anyMatch(o -> o.sentAtNanos() > heal && o.accepted()));
    double ingestBack = load.outcomes().stream().filter(o -> o.sentAtNanos() > heal && o.accepted())
        .mapToDouble(o -> (o.sentAtNanos() + o.latencyNanos() - heal) / 1e9).min().orElseThrow();
    await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(50)).until(() -> readyStatus() == 200);
    double readyBack = since(heal);
    await().atMost(Duration.ofSeconds(30)).until(() -> load.outcomes().stream()
        .filter(o -> o.sentAtNanos() > heal && o.accepted()).count() >= 200);
    List<IngestLoad.Outcome> all = load.stop();

    // The oracle.
    Map<Integer, Long> byStatus = all.stream().collect(Collectors.groupingBy(IngestLoad.Outcome::status,
        Collectors.counting()));
    assertTrue(Set.of(202, 503).containsAll(byStatus.keySet()), "only 202 and 503, no 500 or client error: "
        + byStatus + " " + all.stream().filter(o -> o.status() != 202 && o.status() != 503).limit(3).toList());
    assertTrue(all.stream().filter(o -> o.status() == 503).allMatch(o -> o.retryAfter() != null),
        "every 503 carries Retry-After");
    double maxLatency = all.stream().mapToDouble(IngestLoad.Outcome::latencySeconds).max().orElse(0);
    assertTrue(maxLatency <= CONNECT_TIMEOUT_S + 1.5, "no request waited much past the connection timeout: "
        + maxLatency + "s");
    long acceptedDuringOutage = all.stream().filter(o -> o.accepted() && o.sentAtNanos() > cut + 500_000_000L
        && o.sentAtNanos() + o.latencyNanos() < heal).count();
    assertEquals(0, acceptedDuringOutage, "no 202 for a request sent and answered while the database was away");
    assertTrue(readyDown <= 2.0, "/ready turned 503 within 2 s: " + readyDown);
    assertTrue(ingestBack <= 10.0, "ingest accepted again within 10 s: " + ingestBack);
    assertTrue(readyBack <= 10.0, "/ready back within 10 s: " + readyBack);

    Set<String> acked = all.stream().filter(IngestLoad.Outcome::accepted).map(IngestLoad.Outcome::id)
        .collect(Collectors.toSet());
    Set<String> stored = new HashSet<>();
    TestDatabase.query("SELECT id FROM events WHERE tenant = 'default' AND id LIKE ?", "db-" + fault + "-%")
        .forEach(r -> stored.add((String) r.get("id")));
    Set<String> lost = new HashSet<>(acked);
    lost.removeAll(stored);
    assertEquals(Set.of(), lost, "every 202'd id is in the journal");

    long alertSent = System.nanoTime();
    assertEquals(202, server.api().post("/api/v1/events", "{\"id\":\"after-" + fault + "\",\"type\":\"outage.alert\"}")
        .status());
    await().atMost(Duration.ofSeconds(10)).until(() -> receiver.requests().size() == 1);
    double delivered = since(alertSent);
    await().atMost(Duration.ofSeconds(30)).until(TestDatabase::engineCaughtUp);

    System.out.printf("B2/B9 db-%s outage=%.1fs offered=%d accepted=%d rejected503=%d other=%d max_latency=%.2fs"
            + " ready_down_in=%.2fs ingest_back_in=%.2fs ready_back_in=%.2fs alert_delivered_in=%.2fs lost=%d%n",
        fault, (heal - cut) / 1e9, all.size(), acked.size(), byStatus.getOrDefault(503, 0L),
        all.size() - acked.size() - byStatus.getOrDefault(503, 0L), maxLatency, readyDown, ingestBack, readyBack,
        delivered, lost.size());
  }
}
