package io.vigil.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import io.vigil.testing.Api;
import io.vigil.testing.IngestClient;
import io.vigil.testing.VigilProcess;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * B1 of RELIABILITY.md: no acknowledged event is lost across SIGKILL. Two tenants post
 * events with unique ids while the jar is killed k times at random points of the load; the
 * clients send again, with the same ids, whatever was not acknowledged. Oracle: every id
 * acknowledged with 202 is in the journal, no id is stored twice, and every restart
 * succeeds (each one finds the postmaster the killed JVM left running and recovers it).
 * Sizes: {@code -Dvigil.fault.events} (default 5000), {@code -Dvigil.fault.kills} (5).
 */
class IngestKillIT {
  static final int EVENTS = Integer.getInteger("vigil.fault.events", 5_000);
  static final int KILLS = Integer.getInteger("vigil.fault.kills", 5);
  static final String CHANNELS = "channels:\n  - name: secops-webhook\n    type: log\n  - name: audit-log\n    type: log\n";

  @TempDir Path dir;
  VigilProcess vigil;

  @AfterEach
  void stop() throws Exception {
    if (vigil != null) {
      vigil.close();
    }
  }

  @Test
  @DisplayName("B1: SIGKILL k times under load from two tenants: 0 acked events lost, 0 duplicate rows, k of k restarts")
  void acked_events_survive_kills() throws Exception {
    vigil = VigilProcess.in(dir.resolve("ingestkill"), CHANNELS, Map.of());
    vigil.start();
    String alpha = newKey(vigil.api(), "alpha");
    String beta = newKey(vigil.api(), "beta");

    Set<String> acked = IngestClient.ackedSet();
    AtomicLong ackedCount = new AtomicLong();
    Duration hang = Duration.ofSeconds(30);
    List<IngestClient> clients = List.of(
        new IngestClient("alpha", alpha, vigil::port, "a", EVENTS / 2, "test.load", 1, hang, acked, ackedCount),
        new IngestClient("beta", beta, vigil::port, "b", EVENTS - EVENTS / 2, "test.load", 2, hang, acked, ackedCount));
    ExecutorService pool = Executors.newFixedThreadPool(clients.size());
    List<Future<?>> running = new ArrayList<>();
    clients.forEach(c -> running.add(pool.submit(c)));

    Random random = new Random(7);
    List<Long> restartMs = new ArrayList<>();
    int restartsOk = 0;
    int orphansRecovered = 0;
    for (int k = 1; k <= KILLS; k++) {
      // Kill at a random point of the load: once the clients have had a random share of it acknowledged.
      long target = (long) EVENTS * k / (KILLS + 1) + random.nextInt(Math.max(1, EVENTS / (KILLS + 1) / 2));
      await().atMost(Duration.ofSeconds(120)).until(() -> ackedCount.get() >= Math.min(target, EVENTS - 1)
          || running.stream().allMatch(Future::isDone));
      vigil.kill();
      assertTrue(vigil.postmaster().isPresent(), "the killed JVM leaves its postmaster running (T2)");
      Duration took = vigil.start();
      restartMs.add(took.toMillis());
      restartsOk++;
      if (vigil.log().contains("left running by a previous Vigil")) {
        orphansRecovered++;
      }
      clients.forEach(IngestClient::serverChanged);
    }
    for (Future<?> f : running) {
      f.get(300 + 30L * KILLS + EVENTS / 100, java.util.concurrent.TimeUnit.SECONDS);
    }
    pool.shutdown();
    // Every committed event was processed: the engine's position skipped none.
    awaitEngineCaughtUp(vigil);

    long lost = 0;
    long dupRows;
    long rows;
    try (Connection c = vigil.sql(); Statement s = c.createStatement()) {
      Set<String> stored = new HashSet<>();
      try (ResultSet rs = s.executeQuery("SELECT tenant, id FROM events WHERE tenant IN ('alpha', 'beta')")) {
        while (rs.next()) {
          stored.add(rs.getString(1) + "/" + rs.getString(2));
        }
      }
      for (String id : acked) {
        if (!stored.contains(id)) {
          lost++;
        }
      }
      rows = count(s, "SELECT count(*) FROM events WHERE tenant IN ('alpha', 'beta')");
      dupRows = count(s, "SELECT count(*) FROM (SELECT tenant, id FROM events WHERE tenant IN ('alpha', 'beta')"
          + " GROUP BY tenant, id HAVING count(*) > 1) d");
    }
    List<Long> sorted = restartMs.stream().sorted().toList();
    int retries = clients.stream().mapToInt(c -> c.retries.get()).sum();
    int duplicates = clients.stream().mapToInt(c -> c.duplicatesReported.get()).sum();
    System.out.printf("B1 sent=%d acked=%d lost=%d dupRows=%d rows=%d kills=%d restarts_ok=%d orphans_recovered=%d"
            + " retried_requests=%d resent_duplicates_flagged=%d restart_p50=%.1fs max=%.1fs%n",
        EVENTS, acked.size(), lost, dupRows, rows, KILLS, restartsOk, orphansRecovered, retries, duplicates,
        sorted.get(sorted.size() / 2) / 1000.0, sorted.get(sorted.size() - 1) / 1000.0);

    assertEquals(EVENTS, acked.size(), "every event was acknowledged in the end");
    assertEquals(0, lost, "acknowledged events missing from the journal");
    assertEquals(0, dupRows, "duplicate journal rows");
    assertEquals(EVENTS, rows, "one row per id");
    assertEquals(KILLS, restartsOk);
    assertEquals(KILLS, orphansRecovered, "every restart found and stopped the orphaned postmaster");
    clients.forEach(c -> assertEquals(List.of(), c.unexpected, "answers other than 202 or 503+Retry-After"));
  }

  static String newKey(Api api, String tenant) {
    Api.Response r = api.post("/api/v1/api-keys", new JsonObject().put("tenant", tenant)
        .put("scopes", new io.vertx.core.json.JsonArray().add("ingest").add("read")).encode());
    assertEquals(201, r.status(), r.toString());
    return r.json().getString("token");
  }

  /** Waits until each tenant's stored engine position covers its last committed event. */
  static void awaitEngineCaughtUp(io.vigil.testing.VigilProcess vigil) {
    await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200)).until(() -> {
      try (Connection c = vigil.sql(); Statement s = c.createStatement()) {
        return count(s, "SELECT count(*) FROM (SELECT tenant, max(seq) AS m FROM events GROUP BY tenant) e"
            + " LEFT JOIN engine_positions p USING (tenant) WHERE p.seq IS NULL OR p.seq < e.m") == 0;
      }
    });
  }

  static long count(Statement s, String sql) throws java.sql.SQLException {
    try (ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }
}
