package io.vigil.bench;

import static org.awaitility.Awaitility.await;

import io.vigil.testing.ProcessDatabase;
import io.vigil.testing.VigilProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Event accepted → webhook received, against the built jar started as a user starts it
 * ({@code java -jar target/vigil.jar}, default JVM flags, embedded PostgreSQL, default
 * delivery settings: poll every 1 s, the worker woken when an alert commits), a rule that
 * raises one alert per event, and a loopback webhook receiver in this JVM. Open loop:
 * events are sent on a schedule (every 5 ms, as many as are due), whether or not earlier
 * ones are answered, so a slow server shows as latency, not as a lower rate. Each rate
 * also reports where the CPU went, by process ({@link CpuSplit}). Run with bench/run.sh;
 * not in CI.
 */
@Tag("bench")
class LatencyBenchIT {
  private static final int RUNS = 3;
  private static final double SECONDS = Double.parseDouble(System.getProperty("bench.latency.seconds", "10"));
  private static final double WARMUP_SECONDS =
      Double.parseDouble(System.getProperty("bench.latency.warmup_seconds", "20"));
  private static final String RULE = "package bench;\nimport io.vigil.rules.Event;\nglobal io.vigil.rules.Alerts alerts;\n\n"
      + "rule \"latency probe\" @channels(\"bench-webhook\")\nwhen\n    $e : Event(type == \"bench.latency\")\n"
      + "then\n    alerts.raise(kcontext, $e.getId());\nend\n";
  private static final AtomicLong IDS = new AtomicLong();

  /** One run's latencies in ms: accepted → received and sent → received, and how many never arrived. */
  record Run(List<Double> accepted, List<Double> sent, long missing, long rejected) {}

  static Run run(LoadClient load, TimedReceiver receiver, String prefix, int rate, double seconds) throws Exception {
    Map<String, Long> sentAt = new ConcurrentHashMap<>();
    Map<String, Long> acceptedAt = new ConcurrentHashMap<>();
    AtomicLong rejected = new AtomicLong();
    int total = (int) (rate * seconds);
    CountDownLatch answered = new CountDownLatch(total);
    long start = System.nanoTime();
    AtomicLong sent = new AtomicLong();
    long timer = load.vertx().setPeriodic(5, t -> {
      long due = Math.min(total, (long) ((System.nanoTime() - start) / 1e9 * rate));
      while (sent.get() < due) {
        sent.incrementAndGet();
        String id = prefix + IDS.incrementAndGet();
        sentAt.put(id, System.nanoTime());
        load.post("/api/v1/events", "{\"id\":\"" + id + "\",\"type\":\"bench.latency\",\"ip\":\"10.2.0.1\"}")
            .onComplete(ar -> {
              if (ar.succeeded() && ar.result() == 202) {
                acceptedAt.put(id, System.nanoTime());
              } else {
                rejected.incrementAndGet();
              }
              answered.countDown();
            });
      }
    });
    answered.await((long) seconds + 120, TimeUnit.SECONDS);
    load.vertx().cancelTimer(timer);
    try {
      await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
          .until(() -> acceptedAt.keySet().stream().allMatch(id -> receiver.arrival(id) != null));
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      // reported as missing below
    }
    List<Double> fromAccepted = new ArrayList<>();
    List<Double> fromSent = new ArrayList<>();
    long missing = 0;
    for (Map.Entry<String, Long> a : acceptedAt.entrySet()) {
      Long arrived = receiver.arrival(a.getKey());
      if (arrived == null) {
        missing++;
        continue;
      }
      // The webhook can arrive before the client has read the 202 (the engine runs as soon
      // as the journal commits): the event was accepted by then, so that counts as 0.
      fromAccepted.add(Math.max(0, arrived - a.getValue()) / 1e6);
      fromSent.add((arrived - sentAt.get(a.getKey())) / 1e6);
    }
    Collections.sort(fromAccepted);
    Collections.sort(fromSent);
    return new Run(fromAccepted, fromSent, missing, rejected.get());
  }

  static double percentile(List<Double> sorted, double p) {
    return sorted.isEmpty() ? Double.NaN : sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(p * sorted.size()) - 1));
  }

  @Test
  void latency_at_500_and_2000_events_per_second(@TempDir Path dir) throws Exception {
    BenchReport.write(BenchReport.machine());
    Path rules = Files.createDirectories(dir.resolve("rules"));
    Files.writeString(rules.resolve("latency.drl"), RULE);
    try (LoadClient load = new LoadClient(0, VigilProcess.TOKEN, 64);
        TimedReceiver receiver = new TimedReceiver(load.vertx())) {
      String yaml = "delivery:\n  allow_private_targets: true\nchannels:\n"
          + "  - name: bench-webhook\n    type: webhook\n    url: " + receiver.url() + "\n";
      Map<String, String> env = new LinkedHashMap<>();
      env.put("VIGIL_RULES_DIR", rules.toString());
      // -Dbench.latency.channel_concurrency=N tries another delivery.channel_concurrency (default 16).
      String channelConcurrency = System.getProperty("bench.latency.channel_concurrency");
      if (channelConcurrency != null) {
        env.put("VIGIL_DELIVERY_CHANNEL_CONCURRENCY", channelConcurrency);
        BenchReport.write("NOTE latency runs with delivery.channel_concurrency=" + channelConcurrency);
      }
      // -Dbench.latency.concurrency=N tries another delivery.concurrency (default 64).
      String concurrency = System.getProperty("bench.latency.concurrency");
      if (concurrency != null) {
        env.put("VIGIL_DELIVERY_CONCURRENCY", concurrency);
        BenchReport.write("NOTE latency runs with delivery.concurrency=" + concurrency);
      }
      // -Dbench.latency.jvm="-XX:+UseZGC ..." gives the server JVM flags (default: none, as a user runs it).
      String jvm = System.getProperty("bench.latency.jvm", "").trim();
      try (VigilProcess server = VigilProcess.in(dir.resolve("server"), yaml, env)
          .jvmArgs(jvm.isEmpty() ? new String[0] : jvm.split("\\s+"))) {
        server.start();
        if (!jvm.isEmpty()) {
          BenchReport.write("NOTE latency server JVM flags: " + jvm);
        }
        try (LoadClient client = new LoadClient(server.port(), VigilProcess.TOKEN, 64)) {
          // Warm-up, not measured: the server's JIT compiles the hot paths and PostgreSQL fills
          // its caches. Without it the first run at each rate was several times slower than
          // the next two (p50 36 to 80 ms against 7 to 14 ms at 500 events/s); a server that
          // alerts runs for days, so the steady state is what is measured.
          run(client, receiver, "warmup-", 500, WARMUP_SECONDS);
          run(client, receiver, "warmup2000-", 2000, WARMUP_SECONDS / 2);
          measure(server, client, receiver, 500, "<= 10 ms / <= 30 ms");
          measure(server, client, receiver, 2000, "<= 20 ms / <= 100 ms");
        }
      }
    }
  }

  private static void measure(VigilProcess server, LoadClient client, TimedReceiver receiver, int rate, String target)
      throws Exception {
    ProcessDatabase db = new ProcessDatabase(server);
    List<Double> p50 = new ArrayList<>();
    List<Double> p99 = new ArrayList<>();
    List<String> notes = new ArrayList<>();
    List<String> throughput = new ArrayList<>();
    List<String> cpu = new ArrayList<>();
    for (int r = 0; r < RUNS; r++) {
      String prefix = "lat" + rate + "-r" + r + "-";
      CpuSplit split = CpuSplit.start(server.pid(), server.postmaster());
      Run run = run(client, receiver, prefix, rate, SECONDS);
      cpu.add(split.stop());
      throughput.add(throughput(db, prefix + "%"));
      p50.add(percentile(run.accepted(), 0.50));
      p99.add(percentile(run.accepted(), 0.99));
      notes.add(String.format(java.util.Locale.ROOT, "received=%d missing=%d rejected=%d sent->received p50=%.1f p99=%.1f",
          run.accepted().size(), run.missing(), run.rejected(), percentile(run.sent(), 0.5),
          percentile(run.sent(), 0.99)));
    }
    BenchReport.line("accepted -> webhook received p50 at " + rate + " events/s", "ms", p50,
        target.split(" / ")[0], "");
    BenchReport.line("accepted -> webhook received p99 at " + rate + " events/s", "ms", p99,
        target.split(" / ")[1], String.join("; ", notes));
    BenchReport.write("STAGES at " + rate + " events/s (all runs, ms p50/p99): " + stages(db, "lat" + rate + "-%"));
    BenchReport.write("RATES at " + rate + " events/s (per run, events/s over each stage's busy span): "
        + String.join("; ", throughput));
    BenchReport.write("CPU at " + rate + " events/s (per run, cores busy, sending until the last webhook): "
        + String.join("; ", cpu));
  }

  /** Each probe event of a run (ids LIKE the parameter) with its alert and its delivery's first attempt. */
  private static final String PROBES_AND_FIRST_ATTEMPTS = " FROM events e JOIN alerts a ON a.tenant = e.tenant AND a.key = e.id"
      + " JOIN deliveries d ON d.alert_id = a.id JOIN delivery_attempts t ON t.delivery_id = d.id AND t.attempt = 1"
      + " WHERE e.id LIKE ?";

  /**
   * How fast each stage went during one run, from the database's timestamps: alerts stored
   * per second (first to last alert row) and first attempts finished per second. A stage
   * slower than the offered rate is where the queue builds.
   */
  static String throughput(ProcessDatabase db, String idPattern) {
    Map<String, Object> row = db.query("SELECT count(*) AS n,"
        + " round((count(*) / greatest(0.001, extract(epoch FROM max(a.created_at) - min(a.created_at))))::numeric)"
        + "   AS alerts_per_s,"
        + " round((count(*) / greatest(0.001, extract(epoch FROM max(t.finished_at) - min(t.started_at))))::numeric)"
        + "   AS deliveries_per_s"
        + PROBES_AND_FIRST_ATTEMPTS, idPattern).get(0);
    return row.toString();
  }

  /**
   * Where the time goes, from the database's own timestamps: journal commit → alert row
   * (engine, alert writer), alert row → first delivery attempt started (outbox claim), and
   * the attempt itself (render, HTTP to the receiver, recording it).
   */
  static String stages(ProcessDatabase db, String idPattern) {
    Map<String, Object> row = db.query("WITH s AS (SELECT"
        + " extract(epoch FROM a.created_at - e.received_at) * 1000 AS to_alert,"
        + " extract(epoch FROM t.started_at - a.created_at) * 1000 AS to_claim,"
        + " extract(epoch FROM t.finished_at - t.started_at) * 1000 AS attempt"
        + PROBES_AND_FIRST_ATTEMPTS + ")"
        + " SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY to_alert)::numeric, 1) AS commit_to_alert_p50,"
        + " round(percentile_cont(0.99) WITHIN GROUP (ORDER BY to_alert)::numeric, 1) AS commit_to_alert_p99,"
        + " round(percentile_cont(0.5) WITHIN GROUP (ORDER BY to_claim)::numeric, 1) AS alert_to_attempt_p50,"
        + " round(percentile_cont(0.99) WITHIN GROUP (ORDER BY to_claim)::numeric, 1) AS alert_to_attempt_p99,"
        + " round(percentile_cont(0.5) WITHIN GROUP (ORDER BY attempt)::numeric, 1) AS attempt_p50,"
        + " round(percentile_cont(0.99) WITHIN GROUP (ORDER BY attempt)::numeric, 1) AS attempt_p99,"
        + " count(*) AS n FROM s", idPattern).get(0);
    return row.toString();
  }
}
