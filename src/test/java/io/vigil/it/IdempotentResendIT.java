package io.vigil.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vigil.testing.Api;
import io.vigil.testing.ProcessDatabase;
import io.vigil.testing.VigilProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * B14 of RELIABILITY.md: a resend is idempotent. The same 1,000 ids sent twice, and another
 * 1,000 sent at the same time by two clients, are stored once each; every resent id is
 * answered {@code 202} and listed in {@code duplicate_ids}; each id is reported new in
 * exactly one answer; the rule that raises one alert per event raises exactly as many
 * alerts as a single send would. Against the built jar as a child process, with its own
 * data directory. Size: {@code -Dvigil.fault.resend_ids} (default 1,000).
 */
class IdempotentResendIT {
  static final int IDS = Integer.getInteger("vigil.fault.resend_ids", 1_000);
  static final String RULE = """
            package resend;
            import io.vigil.rules.Event;
            global io.vigil.rules.Alerts alerts;
            rule "Each event" @severity("low") @channels("audit-log")
            when
                $e : Event(type == "resend.test")
            then
                alerts.raise(kcontext, $e.getId());
            end
            """;

  @TempDir Path dir;
  VigilProcess vigil;

  @BeforeEach
  void start() throws Exception {
    Path rules = Files.createDirectories(dir.resolve("rules"));
    Files.writeString(rules.resolve("each.drl"), RULE);
    vigil = VigilProcess.in(dir.resolve("resend"), "channels:\n  - name: audit-log\n    type: log\n",
        Map.of("VIGIL_RULES_DIR", rules.toString()));
    vigil.start();
  }

  @AfterEach
  void stop() throws Exception {
    vigil.close();
  }

  @Test
  @DisplayName("B14 (jar): the same 1,000 ids twice, and 1,000 ids from two clients at once: 1,000 rows each, duplicates flagged")
  void resent_ids_are_stored_once() throws Exception {
    Api api = vigil.api();
    ProcessDatabase db = new ProcessDatabase(vigil);
    Tally first = sendAll(api, "s");
    Tally second = sendAll(api, "s");
    assertEquals(IDS, first.accepted);
    assertEquals(0, first.duplicates);
    assertEquals(0, second.accepted, "a resend stores nothing new");
    assertEquals(IDS, second.duplicates, "and every resent id is flagged");
    assertEquals(IDS, second.duplicateIds.size());

    CyclicBarrier together = new CyclicBarrier(2);
    CompletableFuture<Tally> a = CompletableFuture.supplyAsync(() -> sendAll(api, "c", together));
    CompletableFuture<Tally> b = CompletableFuture.supplyAsync(() -> sendAll(api, "c", together));
    Tally ta = a.get();
    Tally tb = b.get();
    Map<String, Integer> freshIn = new HashMap<>();
    ta.freshIds.forEach(id -> freshIn.merge(id, 1, Integer::sum));
    tb.freshIds.forEach(id -> freshIn.merge(id, 1, Integer::sum));

    long rows = db.count("SELECT count(*) FROM events WHERE tenant = 'default'");
    long distinct = db.count("SELECT count(DISTINCT id) FROM events WHERE tenant = 'default'");
    await().atMost(Duration.ofSeconds(60)).until(db::engineCaughtUp);
    long alerts = db.count("SELECT count(*) FROM alerts WHERE rule = 'Each event'");
    System.out.printf("B14 ids=%d sequential: accepted=%d+%d duplicates_flagged=%d; concurrent: accepted=%d+%d"
            + " duplicates_flagged=%d+%d fresh_twice=%d; journal_rows=%d alerts=%d%n",
        IDS, first.accepted, second.accepted, second.duplicates, ta.accepted, tb.accepted, ta.duplicates,
        tb.duplicates, freshIn.values().stream().filter(n -> n > 1).count(), rows, alerts);

    assertEquals(IDS, ta.accepted + tb.accepted, "each concurrently sent id stored once");
    assertEquals(IDS, ta.duplicates + tb.duplicates, "and reported as a duplicate to the other client");
    assertEquals(IDS, freshIn.size());
    assertEquals(0, freshIn.values().stream().filter(n -> n > 1).count(), "no id is new in both answers");
    assertEquals(2L * IDS, rows, "1,000 rows for each set of ids");
    assertEquals(rows, distinct);
    assertEquals(2L * IDS, alerts, "alerts as for a single send: one per distinct event");
  }

  private static final class Tally {
    int accepted;
    int duplicates;
    final List<String> freshIds = new ArrayList<>();
    final List<String> duplicateIds = new ArrayList<>();
  }

  private static Tally sendAll(Api api, String prefix) {
    return sendAll(api, prefix, null);
  }

  /** Sends ids {@code prefix-0..IDS-1} in batches of 100; with a barrier, waits for the other client first. */
  private static Tally sendAll(Api api, String prefix, CyclicBarrier together) {
    Tally t = new Tally();
    for (int i = 0; i < IDS; i += 100) {
      JsonArray batch = new JsonArray();
      for (int j = i; j < i + 100; j++) {
        batch.add(new JsonObject().put("id", prefix + "-" + j).put("type", "resend.test")
            .put("time", Instant.now().toString()));
      }
      if (together != null) {
        try {
          together.await();
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      }
      Api.Response r = api.post("/api/v1/events", batch.encode());
      assertEquals(202, r.status(), r.toString());
      JsonObject answer = r.json();
      t.accepted += answer.getInteger("accepted");
      t.duplicates += answer.getInteger("duplicates");
      List<String> dups = answer.getJsonArray("duplicate_ids").stream().map(String::valueOf).toList();
      t.duplicateIds.addAll(dups);
      answer.getJsonArray("ids").stream().map(String::valueOf).filter(id -> !dups.contains(id)).forEach(t.freshIds::add);
    }
    return t;
  }
}
