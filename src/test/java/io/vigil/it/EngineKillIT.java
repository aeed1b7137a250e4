package io.vigil.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.json.JsonObject;
import io.vigil.testing.Api;
import io.vigil.testing.Receiver;
import io.vigil.testing.VigilProcess;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * B8 of RELIABILITY.md: engine state survives SIGKILL. The shipped brute-force rule (5
 * failed logins from one IP within 1 minute, then 10 minutes of cooldown) with 4 failures
 * before a kill and 1 after fires exactly once; after another kill, the same pattern inside
 * the cooldown pages nobody; the replays at each start create no alert or delivery twice.
 */
class EngineKillIT {
  static final String IP = "203.0.113.88";

  @TempDir Path dir;
  VigilProcess vigil;
  Receiver hook;
  final AtomicInteger ids = new AtomicInteger();

  @AfterEach
  void stop() throws Exception {
    if (vigil != null) {
      vigil.close();
    }
    if (hook != null) {
      hook.close();
    }
  }

  @Test
  @DisplayName("B8: 4 failed logins, kill -9, 1 more: one alert; kill -9, the pattern again inside the cooldown: no second page")
  void windows_and_cooldowns_survive_kill() throws Exception {
    hook = new Receiver();
    String yaml = """
        delivery:
          allow_private_targets: true
        channels:
          - name: secops-webhook
            type: webhook
            url: %s
            secret: fault-test-webhook-secret-0123456789
          - name: audit-log
            type: log
        """.formatted(hook.url("/hook"));
    vigil = VigilProcess.in(dir.resolve("enginekill"), yaml, Map.of());
    vigil.start();

    failedLogins(4);
    awaitProcessed();
    vigil.kill();
    vigil.start();
    failedLogins(1);
    int replayedFirst = replayed();
    await().atMost(Duration.ofSeconds(60)).until(() -> bruteForceAlerts() == 1);
    await().atMost(Duration.ofSeconds(60)).until(() -> hook.requests().size() >= 1);
    awaitProcessed();

    vigil.kill();
    vigil.start();
    failedLogins(5);
    int replayedSecond = replayed();
    awaitProcessed();
    long alerts;
    long deliveries;
    try (Connection c = vigil.sql(); Statement s = c.createStatement()) {
      alerts = IngestKillIT.count(s, "SELECT count(*) FROM alerts WHERE rule = 'Brute force login'");
      deliveries = IngestKillIT.count(s, "SELECT count(*) FROM deliveries d JOIN alerts a ON a.id = d.alert_id"
          + " WHERE a.rule = 'Brute force login' AND d.channel = 'secops-webhook'");
    }
    long webhookIds = hook.requests().stream().map(r -> r.header("webhook-id")).distinct().count();
    System.out.printf("B8 failed_logins=10 kills=2 alerts=%d deliveries=%d webhook_requests=%d distinct_webhook_ids=%d"
            + " replayed_after_kill=[%d, %d]%n",
        alerts, deliveries, hook.requests().size(), webhookIds, replayedFirst, replayedSecond);
    assertEquals(1, alerts, "one brute-force alert: the window carried over the kill, the cooldown too");
    assertEquals(1, deliveries, "no second delivery row after the replays");
    assertEquals(1, webhookIds, "no second page");
    assertEquals(1, bruteForceAlerts(), "and the API lists one");
  }

  private void failedLogins(int n) {
    Api api = vigil.api();
    for (int i = 0; i < n; i++) {
      String body = new JsonObject().put("id", "login-" + ids.incrementAndGet()).put("type", "auth.login_failed")
          .put("ip", IP).put("user", "mallory").put("time", Instant.now().toString()).encode();
      Api.Response r = api.post("/api/v1/events", body);
      assertEquals(202, r.status(), r.toString());
    }
  }

  /** Waits until the engine's stored position covers every event of the tenant. */
  private void awaitProcessed() {
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100)).until(() -> {
      try (Connection c = vigil.sql(); Statement s = c.createStatement()) {
        return IngestKillIT.count(s, "SELECT coalesce((SELECT seq FROM engine_positions WHERE tenant = 'default'), -1)")
            == IngestKillIT.count(s, "SELECT coalesce(max(seq), 0) FROM events WHERE tenant = 'default'");
      }
    });
  }

  private long bruteForceAlerts() {
    return vigil.api().get("/api/v1/alerts?rule=Brute%20force%20login").items().size();
  }

  /**
   * How many events the current process replayed silently when it rebuilt the tenant's
   * session (created by the first event after the start), from its log line.
   */
  private int replayed() throws Exception {
    java.util.regex.Pattern ready =
        java.util.regex.Pattern.compile("engine session ready tenant=default position=\\d+ replayed=(\\d+)");
    String log = await().atMost(Duration.ofSeconds(60)).until(vigil::log, l -> ready.matcher(l).find());
    java.util.regex.Matcher m = ready.matcher(log);
    m.find();
    return Integer.parseInt(m.group(1));
  }
}
