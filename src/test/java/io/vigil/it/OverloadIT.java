package io.vigil.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vigil.testing.IngestLoad;
import io.vigil.testing.PrometheusText;
import io.vigil.testing.TestDatabase;
import io.vigil.testing.TestServer;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * RELIABILITY.md B6, overload: an open-loop load at three times the measured capacity (the
 * journal is made small and slow on purpose, one request per commit, so "capacity" is
 * reachable from a client in the same JVM on 2 cores). The excess is answered {@code 503}
 * (or {@code 429}) with {@code Retry-After}, never a hang, a {@code 500} or an error; the
 * ingest queue never exceeds {@code ingest.queue_max}; heap after a full GC stays bounded;
 * every {@code 202}'d id is in the journal; and once the load drops to below capacity,
 * every request is accepted again within 10 s without anyone stepping in.
 */
class OverloadIT {
  static final int QUEUE_MAX = 200;
  static final long OVERLOAD_SECONDS = Long.getLong("vigil.soak.overload_seconds", 15);
  static final long HEAP_BOUND_MB = 512;

  TestServer server;
  IngestLoad load;

  @AfterEach
  void stop() {
    if (load != null) {
      load.close();
    }
    if (server != null) {
      server.close();
    }
  }

  long ingestQueueDepth() {
    return (long) PrometheusText.parse(server.api().get("/metrics").body()).valueOrZero("vigil_ingest_queue_depth");
  }

  static long heapAfterGcMb() {
    System.gc();
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed() / (1024 * 1024);
  }

  @Test
  @DisplayName("three times capacity: the excess gets 503 with Retry-After, nothing acked is lost, recovery is on its own")
  void overload_is_refused_and_recovered_from() {
    TestDatabase.truncate();
    server = TestServer.builder()
        .env("VIGIL_INGEST_QUEUE_MAX", String.valueOf(QUEUE_MAX))
        .env("VIGIL_INGEST_BATCH_MAX_ROWS", "1")
        .start();

    // Capacity: what 16 clients in a closed loop get accepted over 3 s.
    IngestLoad probe = new IngestLoad(server.baseUrl(), TestServer.OPERATOR_TOKEN, "cap-", "load.probe")
        .closedLoop(16);
    long probeStart = System.nanoTime();
    await().atMost(Duration.ofSeconds(30)).until(() -> System.nanoTime() - probeStart >= 3_000_000_000L);
    List<IngestLoad.Outcome> probed = probe.stop();
    double capacity = probed.stream().filter(IngestLoad.Outcome::accepted).count()
        / ((System.nanoTime() - probeStart) / 1e9);
    int offeredRate = (int) Math.max(600, capacity * 3);

    load = new IngestLoad(server.baseUrl(), TestServer.OPERATOR_TOKEN, "ovl-", "load.over")
        .openLoop(offeredRate, 2_000);
    long start = System.nanoTime();
    AtomicLong maxDepth = new AtomicLong();
    await().atMost(Duration.ofSeconds(OVERLOAD_SECONDS + 60)).pollInterval(Duration.ofMillis(250)).until(() -> {
      maxDepth.accumulateAndGet(ingestQueueDepth(), Math::max);
      return System.nanoTime() - start >= OVERLOAD_SECONDS * 1_000_000_000L;
    });
    long heapMb = heapAfterGcMb();
    List<IngestLoad.Outcome> over = load.stop();
    long notSent = load.notSent();

    // The load drops to a third of capacity: every answer is 202 again within 10 s.
    long drop = System.nanoTime();
    load = new IngestLoad(server.baseUrl(), TestServer.OPERATOR_TOKEN, "calm-", "load.calm")
        .openLoop((int) Math.max(20, capacity / 3), 500);
    await().atMost(Duration.ofSeconds(30)).until(() -> {
      List<IngestLoad.Outcome> last = load.lastOutcomes(30);
      return last.size() == 30 && last.stream().allMatch(IngestLoad.Outcome::accepted);
    });
    List<IngestLoad.Outcome> calm = load.stop();
    // Recovered at the answer after which everything was accepted.
    long lastRefusedAt = calm.stream().filter(o -> !o.accepted()).mapToLong(o -> o.sentAtNanos() + o.latencyNanos())
        .max().orElse(drop);
    double recoveredIn = Math.max(0, lastRefusedAt - drop) / 1e9;

    Map<Integer, Long> byStatus = over.stream().collect(Collectors.groupingBy(IngestLoad.Outcome::status,
        Collectors.counting()));
    long accepted = byStatus.getOrDefault(202, 0L);
    long r429 = byStatus.getOrDefault(429, 0L);
    long r503 = byStatus.getOrDefault(503, 0L);
    assertTrue(Set.of(202, 429, 503).containsAll(byStatus.keySet()),
        "only 202, 429 and 503: " + byStatus + " " + over.stream().filter(o -> o.status() != 202 && o.status() != 429
            && o.status() != 503).limit(3).toList());
    assertTrue(r429 + r503 > 0, "the load was above capacity: " + byStatus);
    assertTrue(over.stream().filter(o -> !o.accepted()).allMatch(o -> o.retryAfter() != null),
        "every refusal carries Retry-After");
    assertTrue(maxDepth.get() <= QUEUE_MAX, "ingest queue within ingest.queue_max: " + maxDepth.get());
    assertTrue(heapMb < HEAP_BOUND_MB, "heap after GC under load " + heapMb + " MB");
    assertTrue(recoveredIn <= 10.0, "all accepted again within 10 s: " + recoveredIn);

    Set<String> acked = new HashSet<>();
    for (List<IngestLoad.Outcome> phase : List.of(probed, over, calm)) {
      phase.stream().filter(IngestLoad.Outcome::accepted).forEach(o -> acked.add(o.id()));
    }
    Set<String> stored = new HashSet<>();
    TestDatabase.query("SELECT id FROM events WHERE tenant = 'default'").forEach(r -> stored.add((String) r.get("id")));
    Set<String> lost = new HashSet<>(acked);
    lost.removeAll(stored);
    assertEquals(Set.of(), lost, "every 202'd id is in the journal");
    await().atMost(Duration.ofSeconds(60)).until(TestDatabase::engineCaughtUp);

    System.out.printf("B6 capacity=%.0f/s offered_rate=%d/s seconds=%d offered=%d not_sent=%d accepted=%d"
            + " rejected429=%d rejected503=%d max_queue_depth=%d heap_after_gc=%dMB lost=%d recovered_in=%.1fs%n",
        capacity, offeredRate, OVERLOAD_SECONDS, over.size(), notSent, accepted, r429, r503, maxDepth.get(), heapMb,
        lost.size(), recoveredIn);
  }
}
