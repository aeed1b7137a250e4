package io.vigil.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import io.vertx.core.json.JsonObject;
import io.vigil.testing.Api;
import io.vigil.testing.LogCapture;
import io.vigil.testing.Receiver;
import io.vigil.testing.SecretLeaks;
import io.vigil.testing.TestDatabase;
import io.vigil.testing.TestServer;
import jakarta.mail.internet.MimeMessage;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * One alert fanned out to every channel type, all real receivers: PagerDuty, Slack and a
 * webhook on loopback HTTP, GreenMail for SMTP, the log. Acknowledging and resolving in Vigil
 * acknowledges and resolves the PagerDuty incident under the same dedup key; channels with
 * send_resolved get a resolved notice. No secret reaches a response, a log line or a stored
 * error.
 */
class NotificationsIT {
  static final String ROUTING_KEY = "R0UTING-KEY-0123456789abcdef";
  static final String SLACK_PATH = "services/T000/B000/SLACKSECRET";
  static final String SMTP_PASSWORD = "smtp-pass-9876";

  Receiver pagerduty;
  Receiver slack;
  GreenMail mail;
  TestServer server;
  LogCapture logs;

  @BeforeEach
  void start() throws Exception {
    TestDatabase.truncate();
    logs = new LogCapture();
    pagerduty = new Receiver();
    pagerduty.answer(r -> new Receiver.Answer(202, java.util.Map.of(),
        "{\"status\":\"success\",\"message\":\"Event processed\"}"));
    slack = new Receiver();
    slack.answer(r -> new Receiver.Answer(200, java.util.Map.of(), "ok"));
    mail = new GreenMail(new ServerSetup(0, "127.0.0.1", ServerSetup.PROTOCOL_SMTP));
    mail.start();
    mail.setUser("vigil@example.org", "vigil", SMTP_PASSWORD);
    int smtpPort = mail.getSmtp().getPort();
    server = TestServer.builder()
        .rule("all.drl", """
            package n;
            import io.vigil.rules.Event;
            global io.vigil.rules.Alerts alerts;
            rule "Everywhere" @severity("critical") @channels("pd, chat, mail, audit-log")
            when
                $e : Event(type == "intrusion")
            then
                alerts.raise(kcontext, $e.getHost()).summary("Intrusion on " + $e.getHost());
            end
            """)
        .channels("""
              - name: pd
                type: pagerduty
                routing_key: %s
                url: %s
              - name: chat
                type: slack
                url: %s
                send_resolved: true
              - name: mail
                type: email
                host: 127.0.0.1
                port: %d
                tls: none
                username: vigil
                password: %s
                from: Vigil <vigil@example.org>
                to: [oncall@example.org]
              - name: audit-log
                type: log
            """.formatted(ROUTING_KEY, pagerduty.url("/v2/enqueue"), slack.url("/" + SLACK_PATH), smtpPort,
            SMTP_PASSWORD))
        .start();
  }

  @AfterEach
  void stop() {
    server.close();
    pagerduty.close();
    slack.close();
    mail.stop();
    logs.close();
  }

  @Test
  @DisplayName("trigger, acknowledge, resolve reach PagerDuty with one dedup key; every channel delivers")
  void fan_out_and_lifecycle() throws Exception {
    Api api = server.api();
    List<String> responses = new ArrayList<>();
    assertEquals(202, api.post("/api/v1/events", "{\"type\":\"intrusion\",\"host\":\"db-1\"}").status());
    await().atMost(Duration.ofSeconds(30)).until(() -> pagerduty.requests().size() == 1 && slack.requests().size() == 1
        && mail.getReceivedMessages().length == 1);
    JsonObject trigger = new JsonObject(pagerduty.requests().get(0).bodyText());
    assertEquals("trigger", trigger.getString("event_action"));
    assertEquals(ROUTING_KEY, trigger.getString("routing_key"));
    assertEquals("critical", trigger.getJsonObject("payload").getString("severity"));
    String dedup = trigger.getString("dedup_key");
    assertEquals(64, dedup.length());

    MimeMessage m = mail.getReceivedMessages()[0];
    assertTrue(m.getSubject().contains("Intrusion on db-1"), m.getSubject());
    assertEquals("oncall@example.org", m.getAllRecipients()[0].toString());

    Api.Response listed = api.get("/api/v1/alerts?rule=Everywhere");
    responses.add(listed.body());
    String id = listed.items().getJsonObject(0).getString("id");
    responses.add(api.post("/api/v1/alerts/" + id + "/acknowledge", "{\"by\":\"oncall\"}").body());
    await().atMost(Duration.ofSeconds(30)).until(() -> pagerduty.requests().size() == 2);
    responses.add(api.post("/api/v1/alerts/" + id + "/acknowledge", "{\"by\":\"oncall\"}").body());
    responses.add(api.post("/api/v1/alerts/" + id + "/resolve", "").body());
    await().atMost(Duration.ofSeconds(30)).until(() -> pagerduty.requests().size() == 3 && slack.requests().size() == 2);
    JsonObject ack = new JsonObject(pagerduty.requests().get(1).bodyText());
    JsonObject resolve = new JsonObject(pagerduty.requests().get(2).bodyText());
    assertEquals("acknowledge", ack.getString("event_action"));
    assertEquals("resolve", resolve.getString("event_action"));
    assertEquals(dedup, ack.getString("dedup_key"));
    assertEquals(dedup, resolve.getString("dedup_key"));
    assertEquals(1, mail.getReceivedMessages().length, "email has no send_resolved: no resolved notice");

    Api.Response alert = api.get("/api/v1/alerts/" + id);
    responses.add(alert.body());
    await().atMost(Duration.ofSeconds(30)).until(() -> api.get("/api/v1/alerts/" + id).json()
        .getJsonArray("deliveries").stream().map(o -> ((JsonObject) o).getString("status"))
        .allMatch(s -> s.equals("delivered")));
    responses.add(api.get("/api/v1/deliveries").body());
    responses.add(api.get("/api/v1/channels").body());
    List<String> errors = new ArrayList<>();
    TestDatabase.query("SELECT last_error FROM deliveries").forEach(r -> errors.add((String) r.get("last_error")));
    TestDatabase.query("SELECT error FROM delivery_attempts").forEach(r -> errors.add((String) r.get("error")));
    SecretLeaks.assertNone(responses, ROUTING_KEY, SLACK_PATH, SMTP_PASSWORD);
    SecretLeaks.assertNone(logs.lines(), ROUTING_KEY, SLACK_PATH, SMTP_PASSWORD);
    SecretLeaks.assertNone(errors, ROUTING_KEY, SLACK_PATH, SMTP_PASSWORD);
  }

  @Test
  @DisplayName("failing receivers keep their errors, and the errors carry no secret")
  void failures_leak_nothing() {
    pagerduty.answer(r -> new Receiver.Answer(400, java.util.Map.of(),
        "{\"status\":\"invalid event\",\"errors\":[\"routing_key is invalid\"]}"));
    slack.answer(r -> new Receiver.Answer(404, java.util.Map.of(), "no_service"));
    mail.stop();
    assertEquals(202, server.api().post("/api/v1/events", "{\"type\":\"intrusion\",\"host\":\"db-2\"}").status());
    await().atMost(Duration.ofSeconds(30)).until(() -> TestDatabase.count(
        "SELECT count(*) FROM deliveries WHERE channel IN ('pd', 'chat') AND status = 'failed'") == 2
        && TestDatabase.count("SELECT count(*) FROM delivery_attempts WHERE delivery_id IN"
            + " (SELECT id FROM deliveries WHERE channel = 'mail')") >= 1);
    List<String> errors = new ArrayList<>();
    TestDatabase.query("SELECT last_error FROM deliveries").forEach(r -> errors.add((String) r.get("last_error")));
    assertTrue(errors.stream().anyMatch(e -> e != null && e.contains("no_service")), errors.toString());
    assertTrue(errors.stream().anyMatch(e -> e != null && e.contains("routing_key is invalid")), errors.toString());
    SecretLeaks.assertNone(errors, ROUTING_KEY, SLACK_PATH, SMTP_PASSWORD);
    SecretLeaks.assertNone(logs.lines(), ROUTING_KEY, SLACK_PATH, SMTP_PASSWORD);
  }
}
