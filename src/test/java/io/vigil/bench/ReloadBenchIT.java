package io.vigil.bench;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vigil.testing.Api;
import io.vigil.testing.TestDatabase;
import io.vigil.testing.TestServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Hot reload of 100 rules (90 filters, 10 thresholds) while events stream in: how long the
 * whole change takes (validate, compile, swap) and how long sessions pause for the swap,
 * and that no event is lost or processed twice. Run with bench/reload.sh; not part of CI.
 */
@Tag("bench")
class ReloadBenchIT {
  static String hundredRules(int revision) {
    StringBuilder b = new StringBuilder("package bench;\nimport io.vigil.rules.Event;\n"
        + "global io.vigil.rules.Alerts alerts;\nglobal io.vigil.rules.Thresholds thresholds;\n\n");
    for (int i = 0; i < 90; i++) {
      b.append("rule \"filter ").append(i).append("\" @channels(\"audit-log\")\nwhen\n    $e : Event(type == \"bench.")
          .append(i).append("\", field(\"n\") != ").append(revision).append(")\nthen\n    alerts.raise(kcontext, $e.getId());\nend\n\n");
    }
    for (int i = 0; i < 10; i++) {
      b.append("rule \"threshold ").append(i).append("\" @channels(\"audit-log\")\nwhen\n    $e : Event(type == \"bench.t")
          .append(i).append("\", ip != null, thresholds.hit(\"threshold ").append(i)
          .append("\", ip, this, 5, \"1m\", \"10m\"))\nthen\n    alerts.raise(kcontext, $e.getIp());\nend\n\n");
    }
    return b.toString();
  }

  static long median(List<Long> values) {
    List<Long> s = new ArrayList<>(values);
    Collections.sort(s);
    return s.get(s.size() / 2);
  }

  @Test
  void swap_100_rules_under_load() throws Exception {
    BenchReport.write(BenchReport.machine());
    List<Double> swapRuns = new ArrayList<>();
    List<Double> changeRuns = new ArrayList<>();
    List<Double> lostRuns = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    for (int run = 0; run < 3; run++) {
      long[] r = oneRun();
      changeRuns.add((double) r[0]);
      swapRuns.add((double) r[1]);
      lostRuns.add((double) r[2]);
      notes.add("events=" + r[3] + " duplicated=" + r[4] + " swap_ms(max)=" + r[5]);
    }
    BenchReport.line("hot reload of 100 rules under load, sessions paused for the swap (median of 7 swaps)", "ms",
        swapRuns, "<= 2 s", "whole change (validate, compile, swap) runs=" + changeRuns + " " + notes);
    BenchReport.line("hot reload of 100 rules under load, events lost", "events", lostRuns, "0", "");
  }

  /** One server, 7 reloads under load: change ms, swap ms, lost, events, duplicated, max swap ms. */
  private long[] oneRun() throws Exception {
    TestDatabase.truncate();
    try (TestServer server = TestServer.builder().logChannel("audit-log").start()) {
      Api api = server.api();
      assertEquals(201, api.send("PUT", "/api/v1/rules/files/bench.drl", hundredRules(-1), "text/plain").status());
      AtomicBoolean running = new AtomicBoolean(true);
      AtomicInteger sent = new AtomicInteger();
      String prefix = "b" + System.nanoTime() + "-";
      Thread load = new Thread(() -> {
        while (running.get()) {
          int n = sent.incrementAndGet();
          if (api.post("/api/v1/events", "{\"id\":\"" + prefix + n + "\",\"type\":\"bench." + (n % 90) + "\"}").status() != 202) {
            sent.decrementAndGet();
          }
        }
      });
      load.start();
      List<Long> total = new ArrayList<>();
      List<Long> compile = new ArrayList<>();
      List<Long> swap = new ArrayList<>();
      for (int r = 0; r < 7; r++) {
        long t0 = System.nanoTime();
        Api.Response res = api.send("PUT", "/api/v1/rules/files/bench.drl", hundredRules(r), "text/plain");
        total.add((System.nanoTime() - t0) / 1_000_000);
        assertEquals(200, res.status(), res.body());
        compile.add(res.json().getLong("compile_ms"));
        swap.add(res.json().getLong("swap_ms"));
      }
      running.set(false);
      load.join();
      int events = sent.get();
      await().atMost(Duration.ofMinutes(2)).until(TestDatabase::engineCaughtUp);
      long alerts = TestDatabase.count("SELECT count(*) FROM alerts WHERE rule LIKE 'filter %'");
      long twice = TestDatabase.count("SELECT count(*) FROM alerts WHERE rule LIKE 'filter %' AND occurrences > 1");
      System.out.printf("RELOAD BENCH cores=%d rules=100 reloads=7 events=%d lost=%d duplicated=%d"
              + " change_ms(median)=%d compile_ms(median)=%d swap_ms(median)=%d swap_ms(max)=%d%n",
          Runtime.getRuntime().availableProcessors(), events, events - alerts, twice, median(total), median(compile),
          median(swap), Collections.max(swap));
      assertEquals(events, alerts, "lost");
      assertEquals(0, twice, "duplicated");
      return new long[] {median(total), median(swap), events - alerts, events, twice, Collections.max(swap)};
    }
  }
}
