package io.vigil.delivery.log;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.vigil.config.ChannelConfig;
import io.vigil.delivery.DeliveryResult;
import io.vigil.delivery.OutboundMessage;
import io.vigil.testing.SampleBatches;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** One line on {@code vigil.alerts} per digest or held-back notice. */
class LogBatchTest {
  final Logger alertsLogger = (Logger) LoggerFactory.getLogger("vigil.alerts");
  final ListAppender<ILoggingEvent> lines = new ListAppender<>();
  final LogChannel channel = new LogChannel(new ChannelConfig.Log("audit", ChannelConfig.Options.defaults()));

  @BeforeEach
  void start() {
    lines.start();
    alertsLogger.addAppender(lines);
  }

  @AfterEach
  void stop() {
    alertsLogger.detachAppender(lines);
    lines.stop();
  }

  String send(OutboundMessage m) throws Exception {
    assertInstanceOf(DeliveryResult.Delivered.class,
        channel.send(m).toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS));
    assertEquals(1, lines.list.size());
    return lines.list.get(0).getFormattedMessage();
  }

  @Test
  @DisplayName("a digest is one line with its count and period, the text's line breaks made spaces, quotes single")
  void digest_line() throws Exception {
    assertEquals("alerts.digest channel=audit tenant=acme count=2 period_start=2026-11-22T10:00:00Z"
        + " period_end=2026-11-22T10:05:00Z message=\"2 alerts: a; 'b'\"",
        send(SampleBatches.digest("audit", "log", Map.of("", "2 alerts:\na; \"b\"\n"))));
  }

  @Test
  @DisplayName("a held-back notice is one line with its count, limit, rule and hour")
  void held_back_line() throws Exception {
    assertEquals("alerts.held_back channel=audit tenant=acme count=7 limit=rule rule=\"Card fraud\""
        + " hour_start=2026-11-22T09:00:00Z hour_end=2026-11-22T10:00:00Z message=\"7 alerts were held back\"",
        send(SampleBatches.heldBack(Optional.of("Card fraud"), "audit", "log", Map.of("", "7 alerts were held back"))));
  }

  @Test
  @DisplayName("for a channel's own limit the line has no rule")
  void held_back_by_channel() throws Exception {
    assertEquals("alerts.held_back channel=audit tenant=acme count=7 limit=channel"
        + " hour_start=2026-11-22T09:00:00Z hour_end=2026-11-22T10:00:00Z message=\"x\"",
        send(SampleBatches.heldBack(Optional.empty(), "audit", "log", Map.of("", "x"))));
  }
}
