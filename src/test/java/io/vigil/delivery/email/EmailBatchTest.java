package io.vigil.delivery.email;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Vertx;
import io.vertx.ext.mail.MailMessage;
import io.vigil.config.ChannelConfig;
import io.vigil.delivery.OutboundMessage;
import io.vigil.testing.SampleBatches;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The mail for a digest and a held-back notice: its own parts, its own Message-ID, in no alert's thread. */
class EmailBatchTest {
  final Vertx vertx = Vertx.vertx();
  final EmailChannel channel = new EmailChannel(new ChannelConfig.Email("secops-mail", ChannelConfig.Options.defaults(),
      "127.0.0.1", 2525, "none", Optional.empty(), Optional.empty(), "Vigil <vigil@example.org>",
      List.of("oncall@example.org")), vertx, Duration.ofSeconds(5));

  @AfterEach
  void stop() {
    channel.close().toCompletionStage().toCompletableFuture().join();
    vertx.close().toCompletionStage().toCompletableFuture().join();
  }

  static Map<String, String> parts(String subject) {
    return Map.of("subject", subject + "\n", "txt", "text part", "html", "<p>html part</p>");
  }

  @Test
  @DisplayName("a digest has the digest parts and Message-ID <delivery id.channel.digest@vigil>, replying to nothing")
  void digest_mail() {
    MailMessage m = channel.mail(SampleBatches.digest("secops-mail", "email", parts("[DIGEST] 2 alerts from Vigil")));
    assertEquals("[DIGEST] 2 alerts from Vigil", m.getSubject());
    assertEquals("text part", m.getText());
    assertEquals("<p>html part</p>", m.getHtml());
    assertEquals("<" + SampleBatches.DELIVERY_ID + ".secops-mail.digest@vigil>", m.getHeaders().get("Message-ID"));
    assertNull(m.getHeaders().get("In-Reply-To"));
    assertNull(m.getHeaders().get("References"));
  }

  @Test
  @DisplayName("a held-back notice has its own Message-ID too, and the channel wants both")
  void held_back_mail() {
    MailMessage m = channel.mail(SampleBatches.heldBack(Optional.empty(), "secops-mail", "email",
        parts("[VIGIL] 7 alerts were held back")));
    assertEquals("<" + SampleBatches.DELIVERY_ID + ".secops-mail.held_back@vigil>", m.getHeaders().get("Message-ID"));
    assertNull(m.getHeaders().get("In-Reply-To"));
    assertTrue(channel.wants(OutboundMessage.DIGEST) && channel.wants(OutboundMessage.HELD_BACK));
  }
}
