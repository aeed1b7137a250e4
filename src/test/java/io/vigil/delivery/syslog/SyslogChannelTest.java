package io.vigil.delivery.syslog;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vigil.config.ChannelConfig;
import io.vigil.delivery.DeliveryResult;
import io.vigil.delivery.MessageRenderer;
import io.vigil.delivery.OutboundMessage;
import io.vigil.template.Templates;
import io.vigil.testing.SecretLeaks;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
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

/**
 * The syslog channel against a real UDP socket and a real TCP server on loopback: the RFC
 * 5424 header and structured data as received, datagram truncation, RFC 6587 octet
 * counting, one kept-open TCP connection that is reopened after the server closes it, and
 * retries when nothing listens.
 */
class SyslogChannelTest {
  static final Clock CLOCK = Clock.fixed(Instant.parse("2026-11-22T10:00:00.123Z"), ZoneOffset.UTC);
  static final String ALERT_ID = "7d0c8a52-3f0e-4d57-9a51-2b1f1f3c0a11";
  /** <PRI>1 TIMESTAMP HOSTNAME APP-NAME PROCID MSGID [SD] MSG; SD ends at the first unescaped ']'. */
  static final Pattern RFC5424 = Pattern.compile(
      "<(\\d{1,3})>1 (\\S+) (\\S+) (\\S+) (\\S+) (\\S+) (\\[(?:[^\\\\\\]]|\\\\.)*\\]) (.*)", Pattern.DOTALL);

  Vertx vertx;
  final List<SyslogChannel> channels = new ArrayList<>();

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stop() {
    channels.forEach(c -> c.close().toCompletionStage().toCompletableFuture().join());
    vertx.close().toCompletionStage().toCompletableFuture().join();
  }

  SyslogChannel channel(String protocol, int port, String facility) {
    SyslogChannel c = new SyslogChannel(new ChannelConfig.Syslog("siem", ChannelConfig.Options.defaults(), "127.0.0.1",
        port, protocol, facility), vertx, Duration.ofSeconds(5), CLOCK);
    channels.add(c);
    return c;
  }

  static OutboundMessage message(String event, String rule, String severity, String text) {
    JsonObject alert = new JsonObject().put("id", ALERT_ID).put("rule", rule).put("key", "bjørn")
        .put("fingerprint", "fp-1").put("severity", severity).put("status", "active").put("summary", "s");
    return new OutboundMessage(UUID.randomUUID(), 1, event, alert, Map.of("", text));
  }

  static OutboundMessage message(String text) {
    return message("alert.raised", "Brute force", "high", text);
  }

  static DeliveryResult send(SyslogChannel c, OutboundMessage m) throws Exception {
    return c.send(m).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  static Matcher parse(String line) {
    Matcher m = RFC5424.matcher(line);
    assertTrue(m.matches(), "not RFC 5424: " + line);
    return m;
  }

  static DatagramSocket udpReceiver() throws IOException {
    DatagramSocket s = new DatagramSocket(0, InetAddress.getLoopbackAddress());
    s.setSoTimeout(5_000);
    return s;
  }

  static byte[] receive(DatagramSocket s) throws IOException {
    DatagramPacket p = new DatagramPacket(new byte[65_536], 65_536);
    s.receive(p);
    return Arrays.copyOf(p.getData(), p.getLength());
  }

  static ServerSocket tcpServer() throws IOException {
    ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    s.setSoTimeout(5_000);
    return s;
  }

  static Socket accept(ServerSocket server) throws IOException {
    Socket s = server.accept();
    s.setSoTimeout(5_000);
    return s;
  }

  /** Reads one octet-counted frame: the length digits, a space, that many bytes. */
  static String readFrame(InputStream in) throws IOException {
    StringBuilder digits = new StringBuilder();
    int b;
    while ((b = in.read()) != ' ') {
      assertTrue(b >= '0' && b <= '9', "frame must start with its length, got byte " + b);
      digits.append((char) b);
    }
    byte[] frame = in.readNBytes(Integer.parseInt(digits.toString()));
    assertEquals(Integer.parseInt(digits.toString()), frame.length, "frame cut short");
    return new String(frame, StandardCharsets.UTF_8);
  }

  @Test
  @DisplayName("a UDP datagram carries PRI from facility and severity, the RFC 5424 header, structured data and the text")
  void udp_message_has_the_rfc5424_fields() throws Exception {
    try (DatagramSocket receiver = udpReceiver()) {
      DeliveryResult r = send(channel("udp", receiver.getLocalPort(), "local4"),
          message("12 failed logins for bjørn"));

      assertInstanceOf(DeliveryResult.Delivered.class, r);
      Matcher m = parse(new String(receive(receiver), StandardCharsets.UTF_8));
      assertEquals(String.valueOf(20 * 8 + 3), m.group(1), "local4 (20) and high (error, 3)");
      assertEquals("2026-11-22T10:00:00.123Z", m.group(2));
      assertEquals(SyslogLine.headerField(SyslogLine.localHostName(), 255), m.group(3));
      assertEquals("vigil", m.group(4));
      assertEquals(String.valueOf(ProcessHandle.current().pid()), m.group(5));
      assertEquals("alert.raised", m.group(6));
      assertEquals("[vigil@32473 id=\"" + ALERT_ID + "\" rule=\"Brute force\" key=\"bjørn\" severity=\"high\""
          + " fingerprint=\"fp-1\"]", m.group(7));
      assertEquals("12 failed logins for bjørn", m.group(8));
    }
  }

  @Test
  @DisplayName("PRI is facility times 8 plus the severity mapped from the alert, for names and numbers")
  void priority_from_facility_and_severity() throws Exception {
    try (DatagramSocket receiver = udpReceiver()) {
      send(channel("udp", receiver.getLocalPort(), "auth"), message("alert.resolved", "R", "emergency", "x"));
      send(channel("udp", receiver.getLocalPort(), "3"), message("alert.raised", "R", "info", "x"));

      Matcher auth = parse(new String(receive(receiver), StandardCharsets.UTF_8));
      assertEquals("32", auth.group(1), "auth (4) * 8 + emergency (0)");
      assertEquals("alert.resolved", auth.group(6));
      assertEquals("30", parse(new String(receive(receiver), StandardCharsets.UTF_8)).group(1), "daemon (3) * 8 + info (6)");
    }
    assertEquals(List.of(0, 2, 3, 4, 5, 6), List.of("emergency", "critical", "high", "medium", "low", "info").stream()
        .map(SyslogLine::severity).toList());
    assertEquals(23, SyslogLine.facility("local7"));
    assertEquals(15, SyslogLine.facility("solaris-cron"));
    assertThrows(IllegalArgumentException.class, () -> SyslogLine.facility("24"));
  }

  @Test
  @DisplayName("a rule name with '\"', ']' and '\\' is escaped in the structured data and parses back")
  void structured_data_is_escaped() throws Exception {
    try (DatagramSocket receiver = udpReceiver()) {
      send(channel("udp", receiver.getLocalPort(), "local0"),
          message("alert.raised", "Login \"storm\"] from C:\\temp", "medium", "text after ] the data"));

      Matcher m = parse(new String(receive(receiver), StandardCharsets.UTF_8));
      assertTrue(m.group(7).contains(" rule=\"Login \\\"storm\\\"\\] from C:\\\\temp\" "), m.group(7));
      assertEquals("text after ] the data", m.group(8), "the data ends at the first unescaped ']'");
    }
  }

  @Test
  @DisplayName("a long text is cut so the datagram fits 8 KiB, never inside a UTF-8 character")
  void udp_datagram_is_capped() throws Exception {
    try (DatagramSocket receiver = udpReceiver()) {
      DeliveryResult r = send(channel("udp", receiver.getLocalPort(), "local0"), message("ø".repeat(10_000)));

      assertInstanceOf(DeliveryResult.Delivered.class, r);
      byte[] datagram = receive(receiver);
      assertTrue(datagram.length <= 8 * 1024 && datagram.length > 8 * 1024 - 2, "length " + datagram.length);
      String text = parse(new String(datagram, StandardCharsets.UTF_8)).group(8);
      assertFalse(text.isEmpty());
      assertTrue(text.chars().allMatch(c -> c == 'ø'), "no character cut in half");
    }
  }

  @Test
  @DisplayName("over TCP each message is framed by octet counting, the length counting bytes")
  void tcp_uses_octet_counting() throws Exception {
    try (ServerSocket server = tcpServer()) {
      SyslogChannel c = channel("tcp", server.getLocalPort(), "local0");
      DeliveryResult r = send(c, message("line one\nline two, bjørn"));

      assertInstanceOf(DeliveryResult.Delivered.class, r);
      try (Socket s = accept(server)) {
        InputStream in = s.getInputStream();
        Matcher m = parse(readFrame(in));
        assertEquals("line one\nline two, bjørn", m.group(8), "framing allows line breaks in MSG");
      }
    }
  }

  @Test
  @DisplayName("two messages travel on one TCP connection")
  void tcp_connection_is_kept_open() throws Exception {
    try (ServerSocket server = tcpServer()) {
      SyslogChannel c = channel("tcp", server.getLocalPort(), "local0");
      assertInstanceOf(DeliveryResult.Delivered.class, send(c, message("first")));
      assertInstanceOf(DeliveryResult.Delivered.class, send(c, message("second")));

      try (Socket s = accept(server)) {
        InputStream in = s.getInputStream();
        assertEquals("first", parse(readFrame(in)).group(8));
        assertEquals("second", parse(readFrame(in)).group(8));
      }
      server.setSoTimeout(300);
      assertThrows(java.net.SocketTimeoutException.class, server::accept, "no second connection was opened");
    }
  }

  @Test
  @DisplayName("after the server closes the connection the next message opens a new one")
  void tcp_reconnects_after_the_server_closes() throws Exception {
    try (ServerSocket server = tcpServer()) {
      SyslogChannel c = channel("tcp", server.getLocalPort(), "local0");
      assertInstanceOf(DeliveryResult.Delivered.class, send(c, message("before")));
      try (Socket first = accept(server)) {
        assertEquals("before", parse(readFrame(first.getInputStream())).group(8));
      }
      await().atMost(Duration.ofSeconds(5)).until(() -> !c.connected());

      assertInstanceOf(DeliveryResult.Delivered.class, send(c, message("after")));
      assertTrue(c.connected(), "the new connection is kept for the next message");
      try (Socket second = accept(server)) {
        assertEquals("after", parse(readFrame(second.getInputStream())).group(8));
      }
    }
  }

  @Test
  @DisplayName("when nothing listens on the TCP port the attempt is retried as connection refused")
  void tcp_connection_refused_is_retried() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    SyslogChannel c = channel("tcp", port, "local0");

    DeliveryResult r = send(c, message("lost?"));
    assertInstanceOf(DeliveryResult.Retry.class, r, r.toString());
    assertEquals("connection refused", ((DeliveryResult.Retry) r).error());

    try (ServerSocket server = new ServerSocket(port, 50, InetAddress.getLoopbackAddress())) {
      server.setSoTimeout(5_000);
      assertInstanceOf(DeliveryResult.Delivered.class, send(c, message("retried")), "the next attempt connects anew");
      try (Socket s = accept(server)) {
        assertEquals("retried", parse(readFrame(s.getInputStream())).group(8));
      }
    }
  }

  @Test
  @DisplayName("built as the worker builds it, no password or card number reaches the syslog server, even from a"
      + " template that copies the evidence")
  void masked_view_leaks_nothing(@TempDir Path templatesDir) throws Exception {
    String password = "hunter2-SYSLOG-8c2b";
    String card = "4111 1111 1111 1111";
    String cardDigits = "4111111111111111";
    Files.createDirectories(templatesDir.resolve("syslog"));
    Files.copy(Path.of("templates/syslog/default.ftl"), templatesDir.resolve("syslog/default.ftl"));
    Files.writeString(templatesDir.resolve("syslog/forensic.ftl"), "[${alert.severity}] ${alert.summary}"
        + "<#list alert.evidence as e> | ${e.type}<#list e.attributes as k, v> ${k}=${v}</#list></#list>");
    JsonObject alert = new JsonObject().put("id", ALERT_ID).put("tenant", "acme").put("rule", "Card testing")
        .put("key", card).put("fingerprint", "fp-1").put("severity", "critical").put("status", "active")
        .put("summary", "Card " + card + " declined 3 times").put("first_seen", "2026-11-22T09:59:00Z")
        .put("last_seen", "2026-11-22T09:59:30Z").put("occurrences", 3)
        .put("evidence", new JsonArray().add(new JsonObject().put("id", "evt-1").put("type", "payment.declined")
            .put("attributes", new JsonObject().put("password", password).put("card", cardDigits))));
    MessageRenderer renderer = new MessageRenderer(vertx, new Templates(templatesDir), Optional.empty());

    List<String> received = new ArrayList<>();
    try (DatagramSocket receiver = udpReceiver()) {
      SyslogChannel c = channel("udp", receiver.getLocalPort(), "local0");
      for (Optional<String> template : List.of(Optional.<String>empty(), Optional.of("forensic"))) {
        Map<String, String> texts = renderer.render(c, alert, "alert.raised", template)
            .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
        DeliveryResult r = send(c, new OutboundMessage(UUID.randomUUID(), 1, "alert.raised", renderer.view(alert),
            texts));
        assertInstanceOf(DeliveryResult.Delivered.class, r);
        received.add(new String(receive(receiver), StandardCharsets.UTF_8));
      }
    }

    SecretLeaks.assertNone(received, password, card, cardDigits);
    // Not vacuous: the fields that held the values arrived, masked; the identifiers unchanged.
    Matcher plain = parse(received.get(0));
    assertEquals("[vigil@32473 id=\"" + ALERT_ID + "\" rule=\"Card testing\" key=\"**** **** **** 1111\""
        + " severity=\"critical\" fingerprint=\"fp-1\"]", plain.group(7));
    assertTrue(plain.group(8).startsWith("[critical] Card **** **** **** 1111 declined 3 times"), plain.group(8));
    String forensic = parse(received.get(1)).group(8);
    assertTrue(forensic.contains("password=****") && forensic.contains("card=**** **** **** 1111"), forensic);
  }

  @Test
  @DisplayName("the channel takes raised and test notices, and resolved ones only when send_resolved is set")
  void wanted_events() {
    SyslogChannel c = channel("udp", 514, "local0");
    SyslogChannel resolving = new SyslogChannel(new ChannelConfig.Syslog("siem2",
        new ChannelConfig.Options(true, Optional.empty(), 0, Optional.empty()), "127.0.0.1", 514, "udp", "local0"),
        vertx, Duration.ofSeconds(1), CLOCK);
    channels.add(resolving);

    assertTrue(c.wants("alert.raised") && c.wants("test"));
    assertFalse(c.wants("alert.resolved") || c.wants("alert.acknowledged"));
    assertTrue(resolving.wants("alert.resolved"));
    assertEquals(List.of(""), c.parts());
  }
}
