package io.vigil.delivery.email;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.icegreen.greenmail.configuration.GreenMailConfiguration;
import com.icegreen.greenmail.junit5.GreenMailExtension;
import com.icegreen.greenmail.util.GreenMail;
import com.icegreen.greenmail.util.ServerSetup;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vigil.config.ChannelConfig;
import io.vigil.config.Secret;
import io.vigil.delivery.DeliveryResult;
import io.vigil.delivery.OutboundMessage;
import io.vigil.testing.LogCapture;
import io.vigil.testing.SecretLeaks;
import jakarta.mail.Message;
import jakarta.mail.internet.InternetAddress;
import jakarta.mail.internet.MimeMessage;
import jakarta.mail.internet.MimeMultipart;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The email channel against real SMTP servers on loopback (GreenMail, and a scripted
 * server for the replies GreenMail never gives): the message as received (subject, text
 * and HTML parts, recipients, threading headers), login, how SMTP replies and network
 * failures are classified, the deadline, and that neither the username nor the password
 * appears in any result or log line.
 */
class EmailChannelTest {
  static final String USER = "vigil-smtp-login";
  static final String PASSWORD = "pa55-smtp-S3CRET-91c2";
  static final String ALERT_ID = "7d0c8a52-3f0e-4d57-9a51-2b1f1f3c0a11";
  static final UUID DELIVERY_ID = UUID.fromString("00000000-0000-0000-0000-0000000000e1");
  static final String SUBJECT = "[HIGH] Brute force: 12 failed logins for bjørn";
  static final String TEXT = "12 failed logins for bjørn from 203.0.113.7 within 5 minutes.";
  /** The port of a channel that only builds messages and is never asked to connect. */
  static final int NEVER_CONTACTED = 25;
  static final String HTML = "<p><strong>12 failed logins</strong> for bjørn from 203.0.113.7.</p>";

  @RegisterExtension
  static final GreenMailExtension greenMail = new GreenMailExtension(
      new ServerSetup(0, "127.0.0.1", ServerSetup.PROTOCOL_SMTP))
      .withConfiguration(GreenMailConfiguration.aConfig().withUser("alerts@example.org", USER, PASSWORD));

  Vertx vertx;
  final List<EmailChannel> channels = new ArrayList<>();

  @BeforeEach
  void start() {
    vertx = Vertx.vertx();
  }

  @AfterEach
  void stop() {
    channels.forEach(c -> c.close().toCompletionStage().toCompletableFuture().join());
    vertx.close().toCompletionStage().toCompletableFuture().join();
  }

  EmailChannel channel(int port, Optional<String> username, Optional<String> password, Duration timeout,
      boolean sendResolved) {
    return channel(port, "none", username, password, timeout, sendResolved);
  }

  EmailChannel channel(int port, String tls, Optional<String> username, Optional<String> password, Duration timeout,
      boolean sendResolved) {
    ChannelConfig.Options options = new ChannelConfig.Options(sendResolved, Optional.empty(), 0, Optional.empty());
    EmailChannel c = new EmailChannel(new ChannelConfig.Email("secops-mail", options, "127.0.0.1", port, tls,
        username, password.map(Secret::of), "Vigil <vigil@example.org>",
        List.of("oncall@example.org", "soc@example.org")), vertx, timeout);
    channels.add(c);
    return c;
  }

  EmailChannel channel(int port) {
    return channel(port, Optional.empty(), Optional.empty(), Duration.ofSeconds(10), true);
  }

  static OutboundMessage message(String event) {
    JsonObject alert = new JsonObject().put("id", ALERT_ID).put("rule", "Brute force").put("key", "bjørn")
        .put("fingerprint", "f1").put("severity", "high").put("status", "active").put("summary", "s");
    return new OutboundMessage(DELIVERY_ID, 1, event, alert, Map.of("subject", SUBJECT, "txt", TEXT, "html", HTML));
  }

  static DeliveryResult send(EmailChannel c, OutboundMessage m) throws Exception {
    return c.send(m).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  static String header(MimeMessage m, String name) throws Exception {
    String[] values = m.getHeader(name);
    return values == null ? null : values[0];
  }

  static int closedPort() throws Exception {
    try (ServerSocket s = new ServerSocket(0)) {
      return s.getLocalPort();
    }
  }

  @Test
  @DisplayName("an alert arrives at every recipient with the subject, a text and an HTML part, and a stable Message-ID")
  void delivers_the_rendered_parts() throws Exception {
    DeliveryResult r = send(channel(greenMail.getSmtp().getPort()), message("alert.raised"));

    assertInstanceOf(DeliveryResult.Delivered.class, r);
    MimeMessage[] received = greenMail.getReceivedMessages();
    assertEquals(2, received.length, "one copy per recipient");
    MimeMessage m = received[0];
    assertEquals(SUBJECT, m.getSubject());
    assertEquals("vigil@example.org", ((InternetAddress) m.getFrom()[0]).getAddress());
    assertArrayEquals(new String[] {"oncall@example.org", "soc@example.org"},
        Arrays.stream(m.getRecipients(Message.RecipientType.TO)).map(a -> ((InternetAddress) a).getAddress())
            .toArray(String[]::new));
    assertTrue(m.isMimeType("multipart/alternative"), m.getContentType());
    MimeMultipart body = (MimeMultipart) m.getContent();
    assertEquals(2, body.getCount());
    assertTrue(body.getBodyPart(0).isMimeType("text/plain"), body.getBodyPart(0).getContentType());
    assertEquals(TEXT, ((String) body.getBodyPart(0).getContent()).strip());
    assertTrue(body.getBodyPart(1).isMimeType("text/html"), body.getBodyPart(1).getContentType());
    assertEquals(HTML, ((String) body.getBodyPart(1).getContent()).strip());
    assertEquals("<" + ALERT_ID + ".secops-mail@vigil>", header(m, "Message-ID"));
    assertNull(header(m, "In-Reply-To"), "the raised notice starts the thread");
  }

  @Test
  @DisplayName("resolved and acknowledged notices get their own Message-ID and reply to the raised one")
  void later_notices_thread_to_the_raised_one() throws Exception {
    EmailChannel c = channel(greenMail.getSmtp().getPort());
    assertInstanceOf(DeliveryResult.Delivered.class, send(c, message("alert.raised")));
    assertInstanceOf(DeliveryResult.Delivered.class, send(c, message("alert.acknowledged")));
    assertInstanceOf(DeliveryResult.Delivered.class, send(c, message("alert.resolved")));

    String root = "<" + ALERT_ID + ".secops-mail@vigil>";
    MimeMessage[] received = greenMail.getReceivedMessages();
    assertEquals(6, received.length);
    List<String> ids = new ArrayList<>();
    for (MimeMessage m : received) {
      String id = header(m, "Message-ID");
      if (!id.equals(root)) {
        assertEquals(root, header(m, "In-Reply-To"), id);
        assertEquals(root, header(m, "References"), id);
      }
      ids.add(id);
    }
    assertEquals(List.of(root, "<" + ALERT_ID + ".secops-mail.acknowledged@vigil>",
        "<" + ALERT_ID + ".secops-mail.resolved@vigil>"), ids.stream().distinct().toList());
  }

  @Test
  @DisplayName("a retried attempt carries the same Message-ID; test messages each get their own")
  void message_ids_are_stable_across_retries() {
    EmailChannel c = channel(NEVER_CONTACTED);
    OutboundMessage first = message("alert.resolved");
    OutboundMessage retried = new OutboundMessage(DELIVERY_ID, 2, "alert.resolved", first.alert(), first.texts());
    assertEquals(c.mail(first).getHeaders().get("Message-ID"), c.mail(retried).getHeaders().get("Message-ID"));

    OutboundMessage test1 = new OutboundMessage(UUID.randomUUID(), 1, "test", first.alert(), first.texts());
    OutboundMessage test2 = new OutboundMessage(UUID.randomUUID(), 1, "test", first.alert(), first.texts());
    String id1 = c.mail(test1).getHeaders().get("Message-ID");
    assertFalse(id1.equals(c.mail(test2).getHeaders().get("Message-ID")), id1);
    assertNull(c.mail(test1).getHeaders().get("In-Reply-To"));
  }

  @Test
  @DisplayName("a channel name that is not a valid Message-ID atom is made into one")
  void channel_names_are_sanitized_in_message_ids() {
    ThreadHeaders h = ThreadHeaders.of(ALERT_ID, "sec ops@mail.example", "alert.resolved", DELIVERY_ID);
    assertEquals("<" + ALERT_ID + ".sec_ops_mail_example.resolved@vigil>", h.messageId());
    assertEquals(Optional.of("<" + ALERT_ID + ".sec_ops_mail_example@vigil>"), h.inReplyTo());
  }

  @Test
  @DisplayName("with a username and password the channel logs in and the message is delivered")
  void logs_in_with_credentials() throws Exception {
    DeliveryResult r = send(channel(greenMail.getSmtp().getPort(), Optional.of(USER), Optional.of(PASSWORD),
        Duration.ofSeconds(10), false), message("alert.raised"));

    assertInstanceOf(DeliveryResult.Delivered.class, r);
    assertEquals(2, greenMail.getReceivedMessages().length);
  }

  @Test
  @DisplayName("a wrong password fails for good on the 535 reply, and no result or log line shows the credentials")
  void wrong_password_fails_without_leaking() throws Exception {
    DeliveryResult r;
    List<String> logLines;
    try (LogCapture logs = new LogCapture()) {
      r = send(channel(greenMail.getSmtp().getPort(), Optional.of(USER), Optional.of("wrong-" + PASSWORD),
          Duration.ofSeconds(10), false), message("alert.raised"));
      logLines = logs.lines();
    }

    assertInstanceOf(DeliveryResult.Failed.class, r, r.toString());
    assertTrue(((DeliveryResult.Failed) r).error().contains("535"), r.toString());
    assertEquals(0, greenMail.getReceivedMessages().length);
    List<String> texts = new ArrayList<>(logLines);
    texts.add(r.toString());
    SecretLeaks.assertNone(texts, PASSWORD, USER);
  }

  @Test
  @DisplayName("login required by the configuration but not offered by the server fails for good")
  void login_required_but_not_offered_fails() throws Exception {
    try (ScriptedSmtpServer server = new ScriptedSmtpServer("250 OK")) {
      DeliveryResult r = send(channel(server.port(), Optional.of(USER), Optional.of(PASSWORD), Duration.ofSeconds(10),
          false), message("alert.raised"));

      assertInstanceOf(DeliveryResult.Failed.class, r, r.toString());
      assertTrue(((DeliveryResult.Failed) r).error().contains("no AUTH method"), r.toString());
      assertTrue(server.commands().stream().noneMatch(c -> c.startsWith("MAIL")), "nothing was sent unauthenticated");
      SecretLeaks.assertNone(r.toString(), PASSWORD, USER);
    }
  }

  @Test
  @DisplayName("tls: starttls against a server without STARTTLS fails for good instead of sending in clear")
  void starttls_required_but_not_offered_fails() throws Exception {
    try (ScriptedSmtpServer server = new ScriptedSmtpServer("250 OK")) {
      DeliveryResult r = send(channel(server.port(), "starttls", Optional.empty(), Optional.empty(),
          Duration.ofSeconds(10), false), message("alert.raised"));

      assertInstanceOf(DeliveryResult.Failed.class, r, r.toString());
      assertTrue(((DeliveryResult.Failed) r).error().contains("does not offer STARTTLS"), r.toString());
      assertTrue(server.commands().stream().noneMatch(c -> c.startsWith("MAIL")), "nothing was sent in clear");
    }
  }

  @Test
  @DisplayName("tls: tls speaks TLS from the first byte and refuses an untrusted certificate, to be retried")
  void tls_verifies_the_server_certificate() throws Exception {
    GreenMail smtps = new GreenMail(new ServerSetup(0, "127.0.0.1", ServerSetup.PROTOCOL_SMTPS));
    smtps.start();
    try {
      DeliveryResult r = send(channel(smtps.getSmtps().getPort(), "tls", Optional.of(USER), Optional.of(PASSWORD),
          Duration.ofSeconds(10), false), message("alert.raised"));

      assertInstanceOf(DeliveryResult.Retry.class, r, r.toString());
      assertEquals("TLS handshake failed", ((DeliveryResult.Retry) r).error());
      assertEquals(0, smtps.getReceivedMessages().length);
    } finally {
      smtps.stop();
    }
  }

  @Test
  @DisplayName("a recipient rejected with 550 fails for good, with the server's reply kept")
  void rejected_recipient_fails() throws Exception {
    try (ScriptedSmtpServer server = new ScriptedSmtpServer("550 5.1.1 mailbox unavailable")) {
      DeliveryResult r = send(channel(server.port()), message("alert.raised"));

      assertInstanceOf(DeliveryResult.Failed.class, r, r.toString());
      assertTrue(((DeliveryResult.Failed) r).error().contains("550 5.1.1 mailbox unavailable"), r.toString());
    }
  }

  @Test
  @DisplayName("a server reply that echoes the login and password keeps its code but not the credentials")
  void echoed_credentials_are_redacted() throws Exception {
    try (ScriptedSmtpServer server = new ScriptedSmtpServer(
        "550 5.7.1 " + USER + " (password " + PASSWORD + ") may not send here", true)) {
      DeliveryResult r = send(channel(server.port(), Optional.of(USER), Optional.of(PASSWORD), Duration.ofSeconds(10),
          false), message("alert.raised"));

      assertInstanceOf(DeliveryResult.Failed.class, r, r.toString());
      assertTrue(((DeliveryResult.Failed) r).error().contains("550 5.7.1 <redacted> (password <redacted>) may not"),
          r.toString());
      assertTrue(server.commands().stream().anyMatch(c -> c.startsWith("AUTH ")), "the channel logged in");
      SecretLeaks.assertNone(r.toString(), PASSWORD, USER);
    }
  }

  @Test
  @DisplayName("a 451 try-later reply is retried")
  void temporary_rejection_is_retried() throws Exception {
    try (ScriptedSmtpServer server = new ScriptedSmtpServer("451 4.3.0 try again later")) {
      DeliveryResult r = send(channel(server.port()), message("alert.raised"));

      assertInstanceOf(DeliveryResult.Retry.class, r, r.toString());
      assertTrue(((DeliveryResult.Retry) r).error().contains("451"), r.toString());
    }
  }

  @Test
  @DisplayName("a closed port is retried as connection refused, and nothing shows the credentials")
  void connection_refused_is_retried() throws Exception {
    DeliveryResult r;
    List<String> logLines;
    try (LogCapture logs = new LogCapture()) {
      r = send(channel(closedPort(), Optional.of(USER), Optional.of(PASSWORD), Duration.ofSeconds(10), false),
          message("alert.raised"));
      logLines = logs.lines();
    }

    assertInstanceOf(DeliveryResult.Retry.class, r, r.toString());
    assertEquals("connection refused", ((DeliveryResult.Retry) r).error());
    List<String> texts = new ArrayList<>(logLines);
    texts.add(r.toString());
    SecretLeaks.assertNone(texts, PASSWORD, USER);
  }

  @Test
  @DisplayName("a server that never greets is abandoned at the deadline and retried")
  void silent_server_is_abandoned_at_the_deadline() throws Exception {
    // The kernel completes the handshake for a listening socket nobody accepts from.
    try (ServerSocket silent = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
      long started = System.nanoTime();
      DeliveryResult r = send(channel(silent.getLocalPort(), Optional.empty(), Optional.empty(),
          Duration.ofMillis(800), false), message("alert.raised"));
      long tookMs = (System.nanoTime() - started) / 1_000_000;

      assertInstanceOf(DeliveryResult.Retry.class, r, r.toString());
      assertTrue(((DeliveryResult.Retry) r).error().startsWith("timeout"), r.toString());
      assertTrue(tookMs >= 700 && tookMs < 10_000, "took " + tookMs + " ms");
    }
  }

  @Test
  @DisplayName("the channel asks for subject, html and txt, and takes resolved notices only when send_resolved is set")
  void parts_and_wanted_events() {
    EmailChannel withResolved = channel(NEVER_CONTACTED, Optional.empty(), Optional.empty(), Duration.ofSeconds(1),
        true);
    EmailChannel withoutResolved = channel(NEVER_CONTACTED, Optional.empty(), Optional.empty(),
        Duration.ofSeconds(1), false);

    assertEquals(List.of("subject", "html", "txt"), withResolved.parts());
    assertTrue(withResolved.wants("alert.raised") && withResolved.wants("test") && withResolved.wants("alert.resolved"));
    assertFalse(withoutResolved.wants("alert.resolved"));
    assertFalse(withResolved.wants("alert.acknowledged"));
  }
}
