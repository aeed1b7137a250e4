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
 * Writes one structured line per alert (and per digest or held-back notice) to the {@code
 * vigil.alerts} logger, for audit trails and log shippers. Always delivered.
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
    if (message.isBatch()) {
      JsonObject b = message.batch();
      String span = message.event().equals(OutboundMessage.DIGEST)
          ? "period_start=" + b.getString("period_start") + " period_end=" + b.getString("period_end")
          : "limit=" + b.getString("limit") + (b.getString("rule") == null ? "" : " rule=\"" + b.getString("rule") + "\"")
              + " hour_start=" + b.getString("hour_start") + " hour_end=" + b.getString("hour_end");
      alerts.info("{} channel={} tenant={} count={} {} message=\"{}\"", message.event(), config.name(),
          b.getString("tenant"), b.getInteger("count"), span, oneLine(message.text()));
      return Future.succeededFuture(DeliveryResult.delivered(null));
    }
    JsonObject a = message.alert();
    alerts.info("{} channel={} id={} tenant={} rule=\"{}\" key=\"{}\" severity={} status={} occurrences={} message=\"{}\"",
        message.event(), config.name(), a.getString("id"), a.getString("tenant"), a.getString("rule"),
        a.getString("key"), a.getString("severity"), a.getString("status"), a.getInteger("occurrences"),
        oneLine(message.text()));
    return Future.succeededFuture(DeliveryResult.delivered(null));
  }

  /** One line per message: control characters (a template's line breaks, a CR from an event) become spaces. */
  private static String oneLine(String text) {
    return text.strip().replaceAll("\\p{Cntrl}+", " ").replace("\"", "'");
  }
}
