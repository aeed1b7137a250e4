package io.vigil.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import io.vigil.testing.Api;
import io.vigil.testing.IngestLoad;
import io.vigil.testing.ProcessDatabase;
import io.vigil.testing.VigilProcess;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * B7 of RELIABILITY.md, hot reload under load, against the built jar as a child process
 * running the shipped rules (copied, since the test writes rule files over the API): rule
 * files are swapped R times while about 500 events/s flow, one of the swaps a file that
 * does not compile. Oracle from the child's tables: events processed = events accepted,
 * none twice; the brute-force window that straddles the reloads fires exactly once and pages
 * once; the invalid file is refused with file, line and column and the old rules keep
 * firing. Sizes: {@code -Dvigil.fault.reloads} (default 10), {@code -Dvigil.fault.reload_rate}
 * (events/s, default 500).
 */
class ReloadUnderLoadIT {
  static final int RELOADS = Integer.getInteger("vigil.fault.reloads", 10);
  static final int RATE = Integer.getInteger("vigil.fault.reload_rate", 500);

  @TempDir Path dir;
  VigilProcess vigil;

  @BeforeEach
  void start() throws Exception {
    Path rules = Files.createDirectories(dir.resolve("rules"));
    try (Stream<Path> shipped = Files.list(Path.of("rules"))) {
      for (Path p : shipped.filter(f -> f.toString().endsWith(".drl")).toList()) {
        Files.copy(p, rules.resolve(p.getFileName()));
      }
    }
    String yaml = "channels:\n  - name: secops-webhook\n    type: log\n  - name: audit-log\n    type: log\n";
    vigil = VigilProcess.in(dir.resolve("reload"), yaml, Map.of(
        "VIGIL_RULES_DIR", rules.toString(),
        "VIGIL_ENGINE_RELOAD_DEBOUNCE", "200ms"));
    vigil.start();
  }

  @AfterEach
  void stop() throws Exception {
    vigil.close();
  }

  static void post(Api api, String json) {
    Api.Response r = api.post("/api/v1/events", json);
    assertEquals(202, r.status(), r.body());
  }

  @Test
  @DisplayName("B7 (jar): rules swapped R times (10 in CI) under ~500 events/s, one of them invalid: no event lost or doubled, a"
      + " window straddling the reloads fires once, the invalid file is refused with file:line:column")
  void reload_under_load_loses_nothing() throws Exception {
    int reloads = RELOADS;
    int rate = RATE;
    Api api = vigil.api();
    ProcessDatabase db = new ProcessDatabase(vigil);
    String perEvent = """
        package test.count;
        import io.vigil.rules.Event;
        global io.vigil.rules.Alerts alerts;
        rule "Every event"
        when
            $e : Event(type == "load.tick")
        then
            alerts.raise(kcontext, $e.getId());
        end
        """;
    assertEquals(201, api.send("PUT", "/api/v1/rules/files/count.drl", perEvent, "text/plain").status());
    IngestLoad load = new IngestLoad(vigil.baseUrl(), VigilProcess.TOKEN, "tick-", "load.tick")
        .limit((long) (reloads + 4) * rate / 4).openLoop(rate, 1_000);
    List<Long> swapMs = new java.util.ArrayList<>();
    int invalidAt = reloads / 2;
    int bruteForceEvents = 0;
    try {
      for (int i = 0; i < reloads; i++) {
        int n = i;
        // Let the stream flow between swaps.
        await().atMost(Duration.ofSeconds(60)).until(() -> load.answered() >= (n + 1) * rate / 4);
        // The sample brute-force rule (5 failures from one IP within 1 minute, then a
        // 10-minute cooldown) sees one failure per reload: its window straddles them all.
        post(api, "{\"type\":\"auth.login_failed\",\"ip\":\"192.0.2.77\"}");
        bruteForceEvents++;
        if (i == invalidAt) {
          Api.Response bad = api.send("PUT", "/api/v1/rules/files/count.drl",
              perEvent + "\nrule \"Broken\"\nwhen\n  Event(tpye == \"x\")\nthen\nend\n", "text/plain");
          assertEquals(422, bad.status(), bad.body());
          JsonObject detail = bad.json().getJsonObject("error").getJsonArray("details").getJsonObject(0);
          assertEquals("count.drl", detail.getString("file"));
          assertTrue(detail.getInteger("line") > 0 && detail.getInteger("column") > 0, detail.encode());
          continue;
        }
        // A real change each time (a rule added or altered), not only a comment.
        Api.Response r = api.send("PUT", "/api/v1/rules/files/count.drl", perEvent
            + "\nrule \"Revision " + i + "\"\nwhen\n  Event(type == \"revision." + i + "\")\nthen\nend\n",
            "text/plain");
        assertEquals(200, r.status(), r.body());
        swapMs.add(r.json().getLong("swap_ms"));
      }
    } finally {
      load.close();
    }
    List<IngestLoad.Outcome> outcomes = load.stop();
    long accepted = outcomes.stream().filter(IngestLoad.Outcome::accepted).count();
    assertTrue(accepted > 50, "the stream kept flowing during the swaps: " + accepted);
    assertTrue(outcomes.stream().allMatch(o -> o.accepted() || (o.status() == 503 && o.retryAfter() != null)),
        "every request accepted or refused with Retry-After");
    await().atMost(Duration.ofSeconds(120)).until(
        () -> db.count("SELECT count(*) FROM alerts WHERE rule = 'Every event'") >= accepted);
    long processed = db.count("SELECT count(*) FROM alerts WHERE rule = 'Every event'");
    assertEquals(accepted, processed, "events processed = events accepted");
    assertEquals(0, db.count("SELECT count(*) FROM alerts WHERE rule = 'Every event' AND occurrences > 1"),
        "none processed twice");
    await().atMost(Duration.ofSeconds(30)).until(db::engineCaughtUp);
    long windowAlerts = db.count("SELECT count(*) FROM alerts WHERE rule = 'Brute force login'");
    assertEquals(1, windowAlerts, "the window straddling the reloads fired exactly once");
    assertEquals(1, db.count("SELECT count(*) FROM deliveries d JOIN alerts a ON a.id = d.alert_id"
        + " WHERE a.rule = 'Brute force login' AND d.channel = 'secops-webhook'"), "and paged once");
    System.out.println("B7 reloads=" + reloads + " invalid=1 rate=" + rate + "/s offered=" + outcomes.size()
        + " accepted=" + accepted + " processed=" + processed + " lost=" + (accepted - processed)
        + " window_events=" + bruteForceEvents + " window_alerts=" + windowAlerts + " swap_ms=" + swapMs);
  }
}
