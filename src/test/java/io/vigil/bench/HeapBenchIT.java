package io.vigil.bench;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vigil.testing.Api;
import io.vigil.testing.TestDatabase;
import io.vigil.testing.TestServer;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Heap with 100,000 events inside open windows: the whole server with the shipped sample
 * rules (whose longest window, an hour, keeps every event in the session), 100,000 events
 * over 1,000 IPs sent within seconds, then a full GC. The figure is the heap of this whole
 * JVM (server, Drools, the test harness) and, beside it, the growth over the same server
 * idle after a full GC. Run with bench/run.sh; not part of CI.
 */
@Tag("bench")
class HeapBenchIT {
  private static final int RUNS = 3;
  private static final int EVENTS = 100_000;

  static long heapAfterFullGc() {
    // Two collections: the first may only queue finalizable and soft references.
    System.gc();
    System.gc();
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  static String batch(int run, int from, int size) {
    StringBuilder b = new StringBuilder("[");
    for (int i = from; i < from + size; i++) {
      String type = i % 3 == 0 ? "net.connection_refused" : i % 3 == 1 ? "auth.login_failed" : "app.request";
      b.append(i == from ? "" : ",").append("{\"id\":\"heap").append(run).append('-').append(i)
          .append("\",\"type\":\"").append(type).append("\",\"ip\":\"10.3.").append(i % 4).append('.')
          .append(i / 4 % 250).append("\",\"user\":\"u").append(i % 5000).append("\",\"host\":\"web-")
          .append(i % 50).append("\",\"attributes\":{\"path\":\"/login\",\"n\":").append(i).append("}}");
    }
    return b.append(']').toString();
  }

  @Test
  void heap_with_100000_events_in_open_windows() {
    BenchReport.write(BenchReport.machine());
    List<Double> totals = new ArrayList<>();
    List<Double> growth = new ArrayList<>();
    for (int r = 0; r < RUNS; r++) {
      TestDatabase.truncate();
      try (TestServer server = TestServer.builder().sampleRules().logChannel("audit-log").start()) {
        Api api = server.api();
        long idle = heapAfterFullGc();
        for (int i = 0; i < EVENTS; i += 1000) {
          Api.Response res = api.post("/api/v1/events", batch(r, i, 1000));
          assertEquals(202, res.status(), res.body());
        }
        await().atMost(Duration.ofMinutes(5)).pollInterval(Duration.ofMillis(500)).until(TestDatabase::engineCaughtUp);
        long loaded = heapAfterFullGc();
        totals.add(loaded / 1048576.0);
        growth.add((loaded - idle) / 1048576.0);
      }
    }
    // Each run starts a new server in the same JVM, and the whole-JVM figure grows from run
    // to run (what stopped servers leave behind, e.g. Drools' static KieRepository), so the
    // growth over the idle server is the measure and the fresh JVM's total stands beside it.
    BenchReport.line("heap after full GC, 100,000 events inside open windows, growth over the idle server", "MiB",
        growth, "<= 300 MB", "whole JVM heap after full GC per run=" + totals.stream().map(BenchReport::format).toList()
            + " (run 1 in a fresh JVM)");
  }
}
