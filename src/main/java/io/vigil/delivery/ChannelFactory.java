package io.vigil.delivery;

import io.vertx.core.Vertx;
import io.vigil.config.ChannelConfig;
import io.vigil.delivery.email.EmailChannel;
import io.vigil.delivery.log.LogChannel;
import io.vigil.delivery.pagerduty.PagerDutyChannel;
import io.vigil.delivery.slack.SlackChannel;
import io.vigil.delivery.syslog.SyslogChannel;
import io.vigil.delivery.webhook.WebhookChannel;
import java.time.Clock;
import java.time.Duration;
import java.util.function.Function;

/** Makes the channel for a configuration: the one place that knows every channel type. */
public final class ChannelFactory implements Function<ChannelConfig, Channel> {
  private final Vertx vertx;
  private final HttpTransport http;
  private final Duration timeout;
  private final Clock clock;

  public ChannelFactory(Vertx vertx, HttpTransport http, Duration timeout, Clock clock) {
    this.vertx = vertx;
    this.http = http;
    this.timeout = timeout;
    this.clock = clock;
  }

  @Override
  public Channel apply(ChannelConfig c) {
    if (c instanceof ChannelConfig.Webhook w) {
      return new WebhookChannel(w, http, clock);
    }
    if (c instanceof ChannelConfig.Slack s) {
      return new SlackChannel(s, http);
    }
    if (c instanceof ChannelConfig.PagerDuty p) {
      return new PagerDutyChannel(p, http);
    }
    if (c instanceof ChannelConfig.Email e) {
      return new EmailChannel(e, vertx, timeout);
    }
    if (c instanceof ChannelConfig.Syslog s) {
      return new SyslogChannel(s, vertx, timeout, clock);
    }
    if (c instanceof ChannelConfig.Log l) {
      return new LogChannel(l);
    }
    throw new IllegalArgumentException("channel type " + c.type() + " is not available");
  }
}
