package io.vigil.delivery.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vigil.config.ChannelConfig;
import io.vigil.delivery.DeliveryResult;
import io.vigil.delivery.MessageRenderer;
import io.vigil.delivery.OutboundMessage;
import io.vigil.template.Templates;
import io.vigil.testing.LogCapture;
import io.vigil.testing.SecretLeaks;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * The log channel as a log shipper sees it: one INFO line per message on the {@code
 * vigil.alerts} logger, {@code <event> key=value ...}, with the rendered text on the same
 * line; the events it takes; and that a message built the way the delivery worker builds it
 * (alert through {@link MessageRenderer#view}, text through {@link MessageRenderer#render})
 * writes no password or card number from the alert or its evidence.
 */
class LogChannelTest {
  static final String ALERT_ID = "5b0e3c1a-9d44-4c1e-8f0a-6f1d2a3b4c5d";
  static final String PASSWORD = "hunter2-LOGCHAN-4d1e";
  static final String CARD = "4111 1111 1111 1111";
  static final String CARD_DIGITS = "4111111111111111";
  /** A {@code key=value} or {@code key="value"} field of the line. */
  static final Pattern FIELD = Pattern.compile("(\\w+)=(?:\"([^\"]*)\"|(\\S+))");

  @TempDir
  Path templatesDir;

  Vertx vertx;
  final Logger alertsLogger = (Logger) LoggerFactory.getLogger("vigil.alerts");
  final ListAppender<ILoggingEvent> lines = new ListAppender<>();

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    lines.start();
    alertsLogger.addAppender(lines);
    Files.createDirectories(templatesDir.resolve("log"));
    Files.copy(Path.of("templates/log/default.ftl"), templatesDir.resolve("log/default.ftl"));
    // An operator's audit template that copies every evidence attribute into the line.
    Files.writeString(templatesDir.resolve("log/forensic.ftl"), "[${alert.severity}] ${alert.summary}"
        + "<#list alert.evidence as e> | ${e.type}<#list e.attributes as k, v> ${k}=${v}</#list></#list>");
  }

  @AfterEach
  void stop() {
    alertsLogger.detachAppender(lines);
    lines.stop();
    vertx.close().toCompletionStage().toCompletableFuture().join();
  }

  static LogChannel channel(boolean sendResolved) {
    return new LogChannel(new ChannelConfig.Log("audit",
        new ChannelConfig.Options(sendResolved, Optional.empty(), 0, Optional.empty())));
  }

  static DeliveryResult send(LogChannel c, OutboundMessage m) throws Exception {
    return c.send(m).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  /** An alert as the store holds it: a card number in its key and summary, a password in its evidence. */
  static JsonObject sensitiveAlert() {
    JsonObject event = new JsonObject()
        .put("id", "evt-1")
        .put("type", "payment.declined")
        .put("time", "2026-11-22T09:59:30Z")
        .put("user", "mallory")
        .put("ip", "203.0.113.9")
        .put("attributes", new JsonObject()
            .put("password", PASSWORD)
            .put("card", CARD_DIGITS)
            .put("note", "card " + CARD + " declined"));
    return new JsonObject()
        .put("id", ALERT_ID)
        .put("tenant", "acme")
        .put("rule", "Card testing")
        .put("key", CARD)
        .put("fingerprint", "a".repeat(64))
        .put("severity", "critical")
        .put("status", "active")
        .put("summary", "Card " + CARD + " declined 3 times")
        .put("tags", new JsonArray().add("payments"))
        .put("first_seen", "2026-11-22T09:59:00Z")
        .put("last_seen", "2026-11-22T09:59:30Z")
        .put("occurrences", 3)
        .put("evidence", new JsonArray().add(event));
  }

  /** The one line the channel wrote, with its fields by name. */
  Map<String, String> onlyLine() {
    assertEquals(1, lines.list.size(), "one line per message: " + lines.list);
    ILoggingEvent e = lines.list.get(0);
    assertEquals("vigil.alerts", e.getLoggerName());
    assertEquals(Level.INFO, e.getLevel());
    return fields(e.getFormattedMessage());
  }

  static Map<String, String> fields(String line) {
    Map<String, String> out = new LinkedHashMap<>();
    Matcher m = FIELD.matcher(line);
    while (m.find()) {
      out.put(m.group(1), m.group(2) != null ? m.group(2) : m.group(3));
    }
    return out;
  }

  List<String> lineTexts() {
    return lines.list.stream().map(ILoggingEvent::getFormattedMessage).toList();
  }

  @Test
  @DisplayName("one INFO line on vigil.alerts: event, channel, alert id, tenant, rule, key, severity, status, count, text")
  void writes_one_structured_line() throws Exception {
    JsonObject alert = new JsonObject().put("id", ALERT_ID).put("tenant", "acme").put("rule", "Brute force login")
        .put("key", "203.0.113.7").put("fingerprint", "f".repeat(64)).put("severity", "high").put("status", "active")
        .put("summary", "5 failed logins").put("occurrences", 5);
    OutboundMessage m = new OutboundMessage(UUID.randomUUID(), 1, "alert.raised", alert,
        Map.of("", "[high] 5 failed logins\r\nfrom \"203.0.113.7\"\n"));

    assertInstanceOf(DeliveryResult.Delivered.class, send(channel(false), m));

    Map<String, String> f = onlyLine();
    String line = lines.list.get(0).getFormattedMessage();
    assertTrue(line.startsWith("alert.raised "), line);
    assertFalse(line.contains("\n") || line.contains("\r"), "the text's line break does not split the line: " + line);
    assertEquals("audit", f.get("channel"));
    assertEquals(ALERT_ID, f.get("id"));
    assertEquals("acme", f.get("tenant"));
    assertEquals("Brute force login", f.get("rule"));
    assertEquals("203.0.113.7", f.get("key"));
    assertEquals("high", f.get("severity"));
    assertEquals("active", f.get("status"));
    assertEquals("5", f.get("occurrences"));
    assertEquals("[high] 5 failed logins from '203.0.113.7'", f.get("message"),
        "quotes in the text cannot end the field early");
  }

  @Test
  @DisplayName("the line carries the text rendered from templates/log/default.ftl, and the resolved event")
  void carries_the_rendered_shipped_template() throws Exception {
    LogChannel c = channel(true);
    JsonObject alert = new JsonObject().put("id", ALERT_ID).put("tenant", "acme").put("rule", "Disk full")
        .put("key", "db-1").put("fingerprint", "f".repeat(64)).put("severity", "medium").put("status", "resolved")
        .put("summary", "Disk 97% full on db-1").put("occurrences", 2);
    MessageRenderer renderer = new MessageRenderer(vertx, new Templates(templatesDir), Optional.empty());
    Map<String, String> texts = renderer.render(c, alert, "alert.resolved", Optional.empty())
        .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);

    send(c, new OutboundMessage(UUID.randomUUID(), 1, "alert.resolved", renderer.view(alert), texts));

    Map<String, String> f = onlyLine();
    assertTrue(lines.list.get(0).getFormattedMessage().startsWith("alert.resolved "));
    assertEquals("resolved", f.get("status"));
    // The template's closing line break is dropped; the text itself is the template's.
    assertEquals("[medium] Disk 97% full on db-1 (rule 'Disk full', key db-1, 2x)", f.get("message"));
  }

  @Test
  @DisplayName("built as the worker builds it, the line has no password or card number, even from a template that"
      + " copies the evidence")
  void masked_view_leaks_nothing() throws Exception {
    JsonObject alert = sensitiveAlert();
    MessageRenderer renderer = new MessageRenderer(vertx, new Templates(templatesDir), Optional.empty());
    try (LogCapture all = new LogCapture()) {
      for (Optional<String> template : List.of(Optional.<String>empty(), Optional.of("forensic"))) {
        lines.list.clear();
        LogChannel c = channel(false);
        Map<String, String> texts = renderer.render(c, alert, "alert.raised", template)
            .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        OutboundMessage m = new OutboundMessage(UUID.randomUUID(), 1, "alert.raised", renderer.view(alert), texts);

        assertInstanceOf(DeliveryResult.Delivered.class, send(c, m));

        Map<String, String> f = onlyLine();
        SecretLeaks.assertNone(lineTexts(), PASSWORD, CARD, CARD_DIGITS);
        // Not vacuous: the fields that held the values are in the line, masked; identifiers unchanged.
        assertEquals(ALERT_ID, f.get("id"));
        assertEquals("**** **** **** 1111", f.get("key"));
        assertTrue(f.get("message").contains("Card **** **** **** 1111 declined"), f.get("message"));
        if (template.isPresent()) {
          assertTrue(f.get("message").contains("password=****"), f.get("message"));
          assertTrue(f.get("message").contains("card=**** **** **** 1111"), f.get("message"));
        }
      }
      SecretLeaks.assertNone(all.lines(), PASSWORD, CARD, CARD_DIGITS);
    }
  }

  @Test
  @DisplayName("the channel takes raised and test notices, and resolved ones only when send_resolved is set")
  void wanted_events() {
    LogChannel c = channel(false);
    LogChannel resolving = channel(true);

    assertTrue(c.wants("alert.raised") && c.wants("test"));
    assertFalse(c.wants("alert.resolved"), "no send_resolved: no resolved notice");
    assertFalse(c.wants("alert.acknowledged") || resolving.wants("alert.acknowledged"));
    assertTrue(resolving.wants("alert.raised") && resolving.wants("alert.resolved"));
    assertEquals(List.of(""), c.parts());
    assertEquals("audit", c.name());
    assertEquals("log", c.type());
  }
}
