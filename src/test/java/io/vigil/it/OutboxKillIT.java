package io.vigil.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vigil.testing.Api;
import io.vigil.testing.Receiver;
import io.vigil.testing.VigilProcess;
import jakarta.mail.internet.MimeMessage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.IntSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * B3 of RELIABILITY.md: the outbox under SIGKILL. One alert per {@code x.test} event goes to
 * four channels (webhook, Slack-like, PagerDuty-like, SMTP) and the jar is killed k times
 * while they are delivered. Oracle, on the receivers' side: every (alert, channel) arrived
 * at least once; PagerDuty saw one {@code dedup_key} per alert (a repeat is the same
 * incident); every webhook duplicate carries the {@code webhook-id} of the first; the
 * duplicates are counted and stay within deliveries in flight at the kills.
 * Sizes: {@code -Dvigil.fault.alerts} (default 300), {@code -Dvigil.fault.outbox_kills} (3).
 */
class OutboxKillIT {
  static final int ALERTS = Integer.getInteger("vigil.fault.alerts", 300);
  static final int KILLS = Integer.getInteger("vigil.fault.outbox_kills", 3);
  static final int CONCURRENCY = 16;
  static final Pattern UUID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
  static final String RULE = """
      package faults;
      import io.vigil.rules.Event;
      global io.vigil.rules.Alerts alerts;

      rule "Fault outbox" @severity("critical") @channels("hook, chat, pd, mail")
      when
          $e : Event(type == "x.test")
      then
          alerts.raise(kcontext, $e.getId()).summary("x.test " + $e.getId());
      end
      """;

  @TempDir Path dir;
  VigilProcess vigil;
  Receiver hook;
  Receiver chat;
  Receiver pd;
  GreenMail mail;

  @BeforeEach
  void receivers() throws Exception {
    hook = new Receiver();
    chat = new Receiver();
    chat.answer(r -> new Receiver.Answer(200, Map.of(), "ok"));
    pd = new Receiver();
    pd.answer(r -> new Receiver.Answer(202, Map.of(), "{\"status\":\"success\",\"message\":\"Event processed\"}"));
    mail = new GreenMail(new ServerSetup(0, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
    mail.start();
  }

  @AfterEach
  void stop() throws Exception {
    if (vigil != null) {
      vigil.close();
    }
    hook.close();
    chat.close();
    pd.close();
    mail.stop();
  }

  @Test
  @DisplayName("B3: SIGKILL k times during delivery to 4 channels: every (alert, channel) delivered, PD dedup_keys = alerts, webhook duplicates keep their webhook-id")
  void outbox_survives_kills() throws Exception {
    Path rules = Files.createDirectories(dir.resolve("rules"));
    Files.writeString(rules.resolve("faults.drl"), RULE);
    String yaml = """
        delivery:
          allow_private_targets: true
        channels:
          - name: hook
            type: webhook
            url: %s
            secret: fault-test-webhook-secret-0123456789
          - name: chat
            type: slack
            url: %s
            rate_per_second: 0
          - name: pd
            type: pagerduty
            routing_key: R0UT1NGKEY0123456789012345678901
            url: %s
          - name: mail
            type: email
            host: 127.0.0.1
            port: %d
            tls: none
            from: Vigil <vigil@example.org>
            to: [oncall@example.org]
        """.formatted(hook.url("/hook"), chat.url("/slack"), pd.url("/v2/enqueue"), mail.getSmtp().getPort());
    // A short lease: deliveries claimed by a killed process are due again after 10 s, not 2 min.
    vigil = VigilProcess.in(dir.resolve("outboxkill"), yaml, Map.of(
        "VIGIL_RULES_DIR", rules.toString(),
        "VIGIL_DELIVERY_LEASE", "10s",
        "VIGIL_DELIVERY_TIMEOUT", "5s",
        "VIGIL_DELIVERY_RETRY_INITIAL", "1s",
        "VIGIL_DELIVERY_CONCURRENCY", String.valueOf(CONCURRENCY)));
    vigil.start();

    Api api = vigil.api();
    for (int i = 0; i < ALERTS; i += 50) {
      JsonArray batch = new JsonArray();
      for (int j = i; j < Math.min(ALERTS, i + 50); j++) {
        batch.add(new JsonObject().put("id", "x-" + j).put("type", "x.test").put("time", Instant.now().toString()));
      }
      Api.Response r = api.post("/api/v1/events", batch.encode());
      assertEquals(202, r.status(), r.toString());
    }

    IntSupplier received = () -> hook.requests().size() + chat.requests().size() + pd.requests().size()
        + mail.getReceivedMessages().length;
    int total = ALERTS * 4;
    Random random = new Random(3);
    List<Long> restartMs = new ArrayList<>();
    for (int k = 1; k <= KILLS; k++) {
      // Kill while deliveries are being made: once a random share of them has arrived.
      int target = total * k / (KILLS + 2) + random.nextInt(Math.max(1, total / (KILLS + 2) / 2));
      // A kill in the middle of an SMTP DATA makes GreenMail's handler thread throw (connection
      // reset), which Awaitility would otherwise take for a failure of this test.
      await().dontCatchUncaughtExceptions().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(10))
          .until(() -> received.getAsInt() >= target);
      vigil.kill();
      restartMs.add(vigil.start().toMillis());
    }

    Set<String> alertIds = new HashSet<>();
    Map<String, String> fingerprints = new HashMap<>();
    try (Connection c = vigil.sql(); Statement s = c.createStatement();
        ResultSet rs = s.executeQuery("SELECT id, fingerprint FROM alerts WHERE rule = 'Fault outbox'")) {
      while (rs.next()) {
        alertIds.add(rs.getString(1));
        fingerprints.put(rs.getString(1), rs.getString(2));
      }
    }
    assertEquals(ALERTS, alertIds.size(), "one alert per x.test event, none twice");

    await().dontCatchUncaughtExceptions().atMost(Duration.ofSeconds(180 + ALERTS / 20))
        .pollInterval(Duration.ofMillis(200)).until(
        () -> perAlert(hook).keySet().containsAll(alertIds) && perAlert(chat).keySet().containsAll(alertIds)
            && perAlert(pd).keySet().containsAll(alertIds) && mailPerAlert().keySet().containsAll(alertIds));
    // Everything is delivered: the outbox settles with every row delivered.
    await().dontCatchUncaughtExceptions().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(200))
        .until(() -> {
      try (Connection c = vigil.sql(); Statement s = c.createStatement()) {
        return IngestKillIT.count(s, "SELECT count(*) FROM deliveries d JOIN alerts a ON a.id = d.alert_id"
            + " WHERE a.rule = 'Fault outbox' AND d.status = 'delivered'") == total;
      }
    });

    Set<String> dedupKeys = new HashSet<>();
    for (Receiver.Request r : pd.requests()) {
      dedupKeys.add(new JsonObject(r.bodyText()).getString("dedup_key"));
    }
    Map<String, Set<String>> alertsPerWebhookId = new LinkedHashMap<>();
    Map<String, Set<String>> webhookIdsPerAlert = new LinkedHashMap<>();
    for (Receiver.Request r : hook.requests()) {
      String alert = new JsonObject(r.bodyText()).getJsonObject("alert").getString("id");
      alertsPerWebhookId.computeIfAbsent(r.header("webhook-id"), x -> new HashSet<>()).add(alert);
      webhookIdsPerAlert.computeIfAbsent(alert, x -> new HashSet<>()).add(r.header("webhook-id"));
    }
    int hookDup = hook.requests().size() - ALERTS;
    int chatDup = chat.requests().size() - ALERTS;
    int pdDup = pd.requests().size() - ALERTS;
    int mailDup = mail.getReceivedMessages().length - ALERTS;
    int dups = hookDup + chatDup + pdDup + mailDup;
    List<Long> sorted = restartMs.stream().sorted().toList();
    System.out.printf("B3 alerts=%d channels=4 kills=%d delivered_all=true lost=0 duplicates=%d (webhook=%d slack=%d"
            + " pagerduty=%d email=%d) pd_distinct_dedup_keys=%d pd_duplicate_incidents=%d bound=%d"
            + " restart_p50=%.1fs max=%.1fs%n",
        ALERTS, KILLS, dups, hookDup, chatDup, pdDup, mailDup, dedupKeys.size(), dedupKeys.size() - ALERTS,
        KILLS * CONCURRENCY, sorted.get(sorted.size() / 2) / 1000.0, sorted.get(sorted.size() - 1) / 1000.0);

    assertEquals(ALERTS, dedupKeys.size(), "PagerDuty: one dedup_key per alert, so 0 duplicate incidents");
    Set<String> expectedKeys = new HashSet<>(fingerprints.values());
    assertEquals(expectedKeys, dedupKeys, "the dedup_key is the alert's fingerprint");
    alertsPerWebhookId.forEach((id, alerts) -> assertEquals(1, alerts.size(), "webhook-id " + id + " is one alert"));
    webhookIdsPerAlert.forEach((alert, ids) ->
        assertEquals(1, ids.size(), "every webhook delivery of alert " + alert + " has the same webhook-id"));
    assertTrue(dups <= KILLS * CONCURRENCY, "duplicates " + dups + " within deliveries in flight at the kills");
  }

  /** Receiver requests by the alert id they mention (ids are UUIDs, so a plain scan is exact). */
  private static Map<String, Integer> perAlert(Receiver r) {
    Map<String, Integer> out = new HashMap<>();
    for (Receiver.Request q : r.requests()) {
      Matcher m = UUID.matcher(q.bodyText());
      Set<String> seen = new HashSet<>();
      while (m.find()) {
        if (seen.add(m.group())) {
          out.merge(m.group(), 1, Integer::sum);
        }
      }
    }
    return out;
  }

  /** Mails by alert id, from the stable Message-ID {@code <alert id>.<channel>@vigil}. */
  private Map<String, Integer> mailPerAlert() throws Exception {
    Map<String, Integer> out = new HashMap<>();
    for (MimeMessage m : mail.getReceivedMessages()) {
      Matcher id = UUID.matcher(String.valueOf(m.getMessageID()));
      if (id.find()) {
        out.merge(id.group(), 1, Integer::sum);
      }
    }
    return out;
  }
}
