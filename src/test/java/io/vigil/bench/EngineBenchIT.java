package io.vigil.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vigil.engine.RuleTester;
import io.vigil.rules.Event;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The engine alone, as a tenant's engine thread runs it ({@code RuleSession} through
 * {@link RuleTester}: pseudo clock moved to each event's receive time, rules fired after
 * every insert): 100 filter rules + 10 threshold rules with cooldowns, each threshold
 * idiom side by side on the same events, then two tenants' sessions on two threads. No
 * database, no HTTP. Run with bench/run.sh; not part of CI.
 */
@Tag("bench")
class EngineBenchIT {
  private static final int RUNS = 3;
  private static final int EVENTS = Integer.getInteger("bench.engine.events", 300_000);
  private static final int WARMUP_EVENTS = 50_000;
  private static final long T0 = 1_780_000_000_000L;

  /**
   * Events at 2,000 a second of engine time, over 1,000 IPs: half are of the threshold
   * types t0..t9 (so each (type, IP) sees about 6 a minute and most keys cross 5 at some
   * point), half of the filter types f0..f99, 1 in 100 of them critical (a filter match).
   */
  static List<Event> events(String tenant, int n, long seed) {
    Random rnd = new Random(seed);
    List<Event> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      long at = T0 + i / 2;
      String ip = "10.0." + rnd.nextInt(4) + "." + rnd.nextInt(250);
      boolean threshold = i % 2 == 0;
      String type = threshold ? "t" + rnd.nextInt(10) : "f" + rnd.nextInt(100);
      String severity = !threshold && rnd.nextInt(100) == 0 ? "critical" : "low";
      out.add(new Event(i + 1, tenant, tenant + "-" + i, type, at, at, "bench", severity, null, ip, null, Map.of()));
    }
    return out;
  }

  /** Processes every event on this thread in a fresh session; returns events/s and the alerts raised. */
  static double[] run(RuleTester rules, String tenant, List<Event> events) {
    try (RuleTester session = rules.fresh(tenant)) {
      long raised = 0;
      long t0 = System.nanoTime();
      for (Event e : events) {
        raised += session.process(e).size();
      }
      double seconds = (System.nanoTime() - t0) / 1e9;
      return new double[] {events.size() / seconds, raised};
    }
  }

  @Test
  void idioms_side_by_side_then_two_tenants() throws Exception {
    BenchReport.write(BenchReport.machine());
    List<Event> events = events("a", EVENTS, 7);
    List<Event> warmup = events("w", WARMUP_EVENTS, 11);
    // -Dbench.engine.idioms=VIGIL_THRESHOLDS measures one idiom alone, e.g. under a profiler.
    String only = System.getProperty("bench.engine.idioms", "");
    for (ThresholdIdiom idiom : ThresholdIdiom.values()) {
      if (!only.isEmpty() && !List.of(only.split(",")).contains(idiom.name())) {
        continue;
      }
      try (RuleTester rules = RuleTester.of(Map.of("bench.drl", idiom.ruleFile()), Set.of("audit-log"), "bench")) {
        run(rules, "warmup", warmup);
        List<Double> rates = new ArrayList<>();
        long raised = 0;
        for (int r = 0; r < RUNS; r++) {
          System.gc();
          double[] result = run(rules, "run" + r, events);
          rates.add(result[0]);
          raised = (long) result[1];
        }
        assertTrue(raised > 0, idiom + " raised nothing: the rules do not match the events");
        BenchReport.line("engine 1 thread, 100 filter + 10 threshold rules, " + idiom.name().toLowerCase(),
            "events/s", rates, idiom == ThresholdIdiom.VIGIL_THRESHOLDS ? ">= 200000" : "(comparison)",
            "events/run=" + EVENTS + " alerts/run=" + raised);
      }
    }
    if (only.isEmpty()) {
      twoTenantsOnTwoThreads();
    }
  }

  private void twoTenantsOnTwoThreads() throws Exception {
    List<Event> a = events("a", EVENTS, 7);
    List<Event> b = events("b", EVENTS, 13);
    ExecutorService threads = Executors.newFixedThreadPool(2, r -> new Thread(r, "bench-engine"));
    try (RuleTester rules = RuleTester.of(Map.of("bench.drl", ThresholdIdiom.VIGIL_THRESHOLDS.ruleFile()),
        Set.of("audit-log"), "bench")) {
      run(rules, "warmup", events("w", WARMUP_EVENTS, 11));
      List<Double> rates = new ArrayList<>();
      for (int r = 0; r < RUNS; r++) {
        System.gc();
        String run = "run" + r;
        long t0 = System.nanoTime();
        Future<double[]> fa = threads.submit((Callable<double[]>) () -> run(rules, run + "a", a));
        Future<double[]> fb = threads.submit((Callable<double[]>) () -> run(rules, run + "b", b));
        fa.get();
        fb.get();
        rates.add(2.0 * EVENTS / ((System.nanoTime() - t0) / 1e9));
      }
      BenchReport.line("engine 2 tenants on 2 threads, vigil_thresholds, both together", "events/s", rates,
          "(no target; compare with 1 thread)", "events/run=" + 2 * EVENTS);
    } finally {
      threads.shutdown();
    }
  }
}
