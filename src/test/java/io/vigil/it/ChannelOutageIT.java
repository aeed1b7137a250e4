package io.vigil.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vigil.testing.Api;
import io.vigil.testing.ProcessDatabase;
import io.vigil.testing.Receiver;
import io.vigil.testing.VigilProcess;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * B4 of RELIABILITY.md against the built jar as a child process, in real time: one webhook
 * receiver is down ({@code 503}) for T seconds while events keep arriving, one answers
 * {@code 429} with {@code Retry-After: 3}, three answer {@code 400}/{@code 404}/{@code 410},
 * and one channel's port refuses connections until a receiver comes up there. All at once,
 * on one process: they are separate channels and do not interfere. Oracle: every alert for
 * the down channel is delivered after the outage (0 lost), each retry waited within its
 * jitter ceiling (plus the poll interval and generous slack), nothing was sent again before
 * {@code Retry-After}, a permanent 4xx is one attempt and {@code failed} with the code and
 * the receiver's answer, a refused connection is retried until delivered, and ingestion was
 * never held up by any of it (every {@code 202} within 10 s; the p99 ratio to the baseline
 * is reported, not asserted: 2 shared cores make it noisy). Giving up after
 * {@code max_attempts} is checked on a settable clock in {@code DeliveryScheduleIT}.
 * Outage length: {@code -Dvigil.fault.outage_seconds} (default 20).
 */
class ChannelOutageIT {
  static final long OUTAGE_SECONDS = Long.getLong("vigil.fault.outage_seconds", 20);
  static final Duration RETRY_INITIAL = Duration.ofSeconds(1);
  static final Duration RETRY_MAX = Duration.ofSeconds(4);
  /** The poll interval (1 s) plus room for a loaded machine: a retry later than this broke the schedule. */
  static final Duration GAP_SLACK = Duration.ofSeconds(10);
  static final Duration PACE = Duration.ofMillis(100);
  static final List<String> CHANNELS = List.of("outage", "throttled", "p400", "p404", "p410", "refused");

  @TempDir Path dir;
  VigilProcess vigil;
  final List<Receiver> receivers = new CopyOnWriteArrayList<>();

  @AfterEach
  void stop() throws Exception {
    if (vigil != null) {
      vigil.close();
    }
    receivers.forEach(Receiver::close);
  }

  Receiver receiver() throws Exception {
    Receiver r = new Receiver();
    receivers.add(r);
    return r;
  }

  /** One rule per channel: an event of type {@code b4.<channel>} raises one alert for it. */
  static String rules() {
    StringBuilder drl = new StringBuilder("package b4;\nimport io.vigil.rules.Event;\nglobal io.vigil.rules.Alerts alerts;\n");
    for (String c : CHANNELS) {
      drl.append("rule \"To ").append(c).append("\" @channels(\"").append(c).append("\")\nwhen\n    $e : Event(type == \"b4.")
          .append(c).append("\")\nthen\n    alerts.raise(kcontext, $e.getId());\nend\n");
    }
    return drl.toString();
  }

  static String webhook(String name, String url) {
    return "  - name: " + name + "\n    type: webhook\n    url: " + url + "\n";
  }

  @Test
  @DisplayName("B4 (jar): a 503 outage, 429 with Retry-After: 3, 400/404/410 and a refused connection, all at once:"
      + " retries within the schedule, 0 lost, permanent errors tried once, ingestion never held up")
  void channel_faults_are_retried_or_failed_and_never_block_ingest() throws Exception {
    AtomicInteger outageAnswers = new AtomicInteger();
    long[] outageUntil = {Long.MIN_VALUE};
    Receiver outage = receiver();
    outage.answer(r -> {
      if (System.nanoTime() < outageUntil[0]) {
        outageAnswers.incrementAndGet();
        return new Receiver.Answer(503, Map.of(), "down for maintenance");
      }
      return Receiver.Answer.status(200);
    });
    List<Long> throttledArrivals = new CopyOnWriteArrayList<>();
    Receiver throttled = receiver();
    throttled.answer(r -> {
      throttledArrivals.add(System.nanoTime());
      return throttledArrivals.size() == 1
          ? new Receiver.Answer(429, Map.of("Retry-After", "3"), "slow down") : Receiver.Answer.status(200);
    });
    Receiver permanent = receiver();
    permanent.answer(r -> new Receiver.Answer(Integer.parseInt(r.path().substring(1)), Map.of(),
        "{\"error\":\"bad payload\"}"));
    int refusedPort;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      refusedPort = s.getLocalPort(); // closed again: connections there are refused until a receiver binds it
    }

    Path rules = Files.createDirectories(dir.resolve("rules"));
    Files.writeString(rules.resolve("b4.drl"), rules());
    String yaml = "delivery:\n  allow_private_targets: true\nchannels:\n"
        + webhook("outage", outage.url("/hook")) + webhook("throttled", throttled.url("/hook"))
        + webhook("p400", permanent.url("/400")) + webhook("p404", permanent.url("/404"))
        + webhook("p410", permanent.url("/410")) + webhook("refused", "http://127.0.0.1:" + refusedPort + "/hook");
    // Enough attempts that the outage cannot exhaust them: at a mean wait of 2 s (the 4 s cap
    // halved), 1,000 (the most the configuration allows) outlast even the soak's 30 minutes.
    vigil = VigilProcess.in(dir.resolve("outage"), yaml, Map.of(
        "VIGIL_RULES_DIR", rules.toString(),
        "VIGIL_DELIVERY_RETRY_INITIAL", RETRY_INITIAL.toSeconds() + "s",
        "VIGIL_DELIVERY_RETRY_MAX", RETRY_MAX.toSeconds() + "s",
        "VIGIL_DELIVERY_RETRY_MAX_ATTEMPTS", String.valueOf(Math.min(1000, 50 + OUTAGE_SECONDS))));
    vigil.start();
    Api api = vigil.api();
    ProcessDatabase db = new ProcessDatabase(vigil);

    // Baseline: ingest latency while every channel is healthy, after a warm-up (a cold JIT
    // would make the baseline slow and the ratio look better than it is).
    AtomicInteger seq = new AtomicInteger();
    paced(api, seq, System.nanoTime() + 2_000_000_000L, PACE);
    int warmUp = seq.get();
    List<Long> baseline = paced(api, seq, System.nanoTime() + 5_000_000_000L, PACE);

    outageUntil[0] = System.nanoTime() + OUTAGE_SECONDS * 1_000_000_000L;
    for (String c : List.of("throttled", "p400", "p404", "p410", "refused")) {
      post(api, "{\"type\":\"b4." + c + "\",\"id\":\"" + c + "\"}");
    }
    // While the refused channel is retried, and after two refused attempts, its receiver comes up.
    Thread refusedThenUp = new Thread(() -> {
      // Attempts with an outcome recorded: the deliveries row counts an attempt when it is claimed.
      await().atMost(Duration.ofSeconds(60)).until(() -> db.count("SELECT count(*) FROM delivery_attempts a"
          + " JOIN deliveries d ON d.id = a.delivery_id WHERE d.channel = 'refused'") >= 2);
      try {
        receivers.add(new Receiver(refusedPort));
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    refusedThenUp.start();
    // At most about 200 events during the outage, whatever its length: the soak's 30 minutes at
    // the CI pace would keep 18,000 deliveries retrying at once, a load test of its own.
    List<Long> during = paced(api, seq, outageUntil[0],
        Duration.ofMillis(Math.max(PACE.toMillis(), OUTAGE_SECONDS * 1000 / 200)));
    refusedThenUp.join(90_000);
    int outageAlerts = seq.get();

    await().atMost(Duration.ofSeconds(120 + OUTAGE_SECONDS / 10)).pollInterval(Duration.ofMillis(500)).until(
        () -> db.count("SELECT count(*) FROM deliveries WHERE channel = 'outage' AND status = 'delivered'")
            == outageAlerts);
    await().atMost(Duration.ofSeconds(60)).until(() -> db.count(
        "SELECT count(*) FROM deliveries WHERE channel IN ('throttled', 'refused') AND status = 'delivered'") == 2);

    // Outage: every alert delivered once it was over, and each wait within its ceiling.
    long distinctIds = outage.requests().stream().map(r -> r.header("webhook-id")).distinct().count();
    List<Map<String, Object>> attempts = db.query("SELECT d.id, a.attempt, a.started_at, a.finished_at"
        + " FROM delivery_attempts a JOIN deliveries d ON d.id = a.delivery_id WHERE d.channel = 'outage'"
        + " ORDER BY d.id, a.attempt");
    long gapsChecked = 0;
    long maxOverCeilingMs = Long.MIN_VALUE;
    long maxAttempts = 0;
    for (int i = 1; i < attempts.size(); i++) {
      Map<String, Object> prev = attempts.get(i - 1);
      Map<String, Object> next = attempts.get(i);
      maxAttempts = Math.max(maxAttempts, ((Number) next.get("attempt")).longValue());
      if (!prev.get("id").equals(next.get("id"))) {
        continue;
      }
      int n = ((Number) prev.get("attempt")).intValue();
      long gapMs = Duration.between(instant(prev.get("finished_at")), instant(next.get("started_at"))).toMillis();
      long ceilingMs = Math.min(RETRY_MAX.toMillis(), RETRY_INITIAL.toMillis() << Math.min(n - 1, 20));
      assertTrue(gapMs >= 0 && gapMs <= ceilingMs + GAP_SLACK.toMillis(),
          "attempt " + (n + 1) + " came " + gapMs + " ms after attempt " + n + ", ceiling " + ceilingMs + " ms");
      maxOverCeilingMs = Math.max(maxOverCeilingMs, gapMs - ceilingMs);
      gapsChecked++;
    }

    // 429: not sent again before Retry-After, then delivered.
    Map<String, Object> t = delivery(db, "throttled");
    List<Map<String, Object>> tAttempts = db.query("SELECT a.started_at, a.finished_at FROM delivery_attempts a"
        + " JOIN deliveries d ON d.id = a.delivery_id WHERE d.channel = 'throttled' ORDER BY a.attempt");
    Duration throttledGap = Duration.between(instant(tAttempts.get(0).get("finished_at")),
        instant(tAttempts.get(1).get("started_at")));
    Duration arrivalGap = Duration.ofNanos(throttledArrivals.get(1) - throttledArrivals.get(0));

    // Refused: retried, and delivered once something listened.
    Map<String, Object> refused = delivery(db, "refused");
    List<Long> base = sorted(baseline);
    List<Long> out = sorted(during);
    double p99Base = p99(base);
    double p99Out = p99(out);
    System.out.printf("B4 outage=%ds outage_alerts=%d delivered=%d lost=%d answered_503=%d distinct_webhook_ids=%d"
            + " max_attempts=%d gaps_checked=%d max_gap_over_ceiling=%dms; retry_after=3 next_attempt_after=%.1fs"
            + " (receiver %.1fs) attempts=%s; permanent 400/404/410 attempts=%s/%s/%s final=%s/%s/%s;"
            + " refused attempts=%s final=%s; ingest p99 baseline=%.0fms outage=%.0fms ratio=%.2f"
            + " (n=%d/%d, slowest=%dms)%n",
        OUTAGE_SECONDS, outageAlerts, outage.requests().size() - outageAnswers.get(), outageAlerts - distinctIds,
        outageAnswers.get(), distinctIds, maxAttempts, gapsChecked, maxOverCeilingMs,
        throttledGap.toMillis() / 1000.0, arrivalGap.toMillis() / 1000.0, t.get("attempts"),
        delivery(db, "p400").get("attempts"), delivery(db, "p404").get("attempts"),
        delivery(db, "p410").get("attempts"), delivery(db, "p400").get("status"),
        delivery(db, "p404").get("status"), delivery(db, "p410").get("status"), refused.get("attempts"),
        refused.get("status"), p99Base, p99Out, p99Out / Math.max(1, p99Base), base.size(), out.size(),
        out.get(out.size() - 1));

    assertEquals(outageAlerts, distinctIds, "every alert of the down channel reached it: 0 lost");
    assertTrue(outageAnswers.get() > 0, "the channel was down for some attempts");
    assertTrue(maxAttempts > 1, "and those were retried");
    assertTrue(gapsChecked > 0);

    assertEquals("delivered", t.get("status"));
    assertEquals(2, t.get("attempts"));
    assertTrue(throttledGap.compareTo(Duration.ofSeconds(3)) >= 0, "next attempt at least 3.0 s later: " + throttledGap);
    assertTrue(arrivalGap.compareTo(Duration.ofSeconds(3)) >= 0, "as the receiver saw it: " + arrivalGap);

    for (int status : new int[] {400, 404, 410}) {
      Map<String, Object> d = delivery(db, "p" + status);
      assertEquals("failed", d.get("status"), "HTTP " + status);
      assertEquals(1, d.get("attempts"), "HTTP " + status + " is tried once");
      assertEquals(status, d.get("last_status_code"));
      assertEquals("HTTP " + status + ": {\"error\":\"bad payload\"}", d.get("last_error"));
      // The outage lasted OUTAGE_SECONDS since: a retry would have come by now.
      assertEquals(1, permanent.requests().stream().filter(r -> r.path().equals("/" + status)).count(),
          "HTTP " + status + " never sent again");
    }

    assertEquals("delivered", refused.get("status"));
    List<Map<String, Object>> refusedAttempts = db.query("SELECT a.outcome, a.status_code FROM delivery_attempts a"
        + " JOIN deliveries d ON d.id = a.delivery_id WHERE d.channel = 'refused' ORDER BY a.attempt");
    assertEquals("retry", refusedAttempts.get(0).get("outcome"), "a refused connection is a retry: " + refusedAttempts);
    assertEquals("retry", refusedAttempts.get(1).get("outcome"), refusedAttempts.toString());
    assertNull(refusedAttempts.get(0).get("status_code"), "nothing answered");
    assertTrue(((Number) refused.get("attempts")).intValue() >= 3, "refused at least twice, then delivered: " + refused);

    assertEquals(warmUp + base.size() + out.size(), db.count("SELECT count(*) FROM events WHERE type = 'b4.outage'"),
        "every paced event stored");
    assertTrue(out.get(out.size() - 1) <= 10_000, "no ingest request during the outage took over 10 s");
  }

  /** Posts one b4.outage event every {@code pace} until {@code untilNanos}; returns each latency (ms). */
  static List<Long> paced(Api api, AtomicInteger seq, long untilNanos, Duration pace) {
    List<Long> latencies = new ArrayList<>();
    long next = System.nanoTime();
    while (next < untilNanos) {
      long t0 = System.nanoTime();
      post(api, "{\"type\":\"b4.outage\",\"id\":\"o-" + seq.getAndIncrement() + "\"}");
      latencies.add((System.nanoTime() - t0) / 1_000_000);
      next += pace.toNanos();
      long wait = next - System.nanoTime();
      if (wait > 0) {
        java.util.concurrent.locks.LockSupport.parkNanos(wait); // the client's own pace, not test synchronisation
      }
    }
    return latencies;
  }

  static void post(Api api, String json) {
    Api.Response r = api.post("/api/v1/events", json);
    assertEquals(202, r.status(), r.toString());
  }

  static Map<String, Object> delivery(ProcessDatabase db, String channel) {
    return db.query("SELECT status, attempts, last_error, last_status_code FROM deliveries WHERE channel = ?", channel)
        .get(0);
  }

  static Instant instant(Object timestamp) {
    return ((Timestamp) timestamp).toInstant();
  }

  static List<Long> sorted(List<Long> values) {
    List<Long> s = new ArrayList<>(values);
    Collections.sort(s);
    return s;
  }

  static double p99(List<Long> sorted) {
    return sorted.get(Math.min(sorted.size() - 1, (int) Math.ceil(sorted.size() * 0.99) - 1));
  }
}
