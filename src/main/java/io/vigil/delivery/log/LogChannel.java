package io.vigil.delivery.log;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vigil.config.ChannelConfig;
import io.vigil.delivery.Channel;
import io.vigil.delivery.DeliveryResult;
import io.vigil.delivery.OutboundMessage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes one structured line per alert to the {@code vigil.alerts} logger, for audit
 * trails and log shippers. Always delivered.
 */
public final class LogChannel implements Channel {
  private static final Logger alerts = LoggerFactory.getLogger("vigil.alerts");

  private final ChannelConfig.Log config;

  public LogChannel(ChannelConfig.Log config) {
    this.config = config;
  }

  @Override
  public ChannelConfig config() {
    return config;
  }

  @Override
  public Future<DeliveryResult> send(OutboundMessage message) {
    JsonObject a = message.alert();
    alerts.info("{} channel={} id={} tenant={} rule=\"{}\" key=\"{}\" severity={} status={} occurrences={} message=\"{}\"",
        message.event(), config.name(), a.getString("id"), a.getString("tenant"), a.getString("rule"),
        a.getString("key"), a.getString("severity"), a.getString("status"), a.getInteger("occurrences"),
        // One line per alert: control characters (a template's line breaks, a CR from an event) become spaces.
        message.text().strip().replaceAll("\\p{Cntrl}+", " ").replace("\"", "'"));
    return Future.succeededFuture(DeliveryResult.delivered(null));
  }
}
