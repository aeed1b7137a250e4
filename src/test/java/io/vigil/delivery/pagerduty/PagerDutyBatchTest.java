package io.vigil.delivery.pagerduty;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.vertx.core.Vertx;
import io.vigil.config.ChannelConfig;
import io.vigil.config.Secret;
import io.vigil.delivery.DeliveryResult;
import io.vigil.delivery.HttpTransport;
import io.vigil.delivery.OutboundMessage;
import io.vigil.delivery.TargetGuard;
import io.vigil.testing.SampleBatches;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** PagerDuty opens an incident per alert: it takes neither digests nor held-back notices. */
class PagerDutyBatchTest {
  @Test
  @DisplayName("wants neither alerts.digest nor alerts.held_back, and refuses one sent anyway without calling out")
  void takes_no_batches() throws Exception {
    Vertx vertx = Vertx.vertx();
    try {
      HttpTransport http = new HttpTransport(vertx, new TargetGuard(false), Duration.ofSeconds(1), 1024,
          Clock.systemUTC());
      PagerDutyChannel c = new PagerDutyChannel(new ChannelConfig.PagerDuty("oncall", ChannelConfig.Options.defaults(),
          Secret.of("rk"), "https://127.0.0.1:1/v2/enqueue"), http);
      assertFalse(c.wants(OutboundMessage.DIGEST));
      assertFalse(c.wants(OutboundMessage.HELD_BACK));
      DeliveryResult r = c.send(SampleBatches.heldBack(Optional.empty(), "oncall", "pagerduty", Map.of("", "x")))
          .toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      assertEquals(DeliveryResult.failed("pagerduty has no event action for alerts.held_back"), r);
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().join();
    }
  }
}
