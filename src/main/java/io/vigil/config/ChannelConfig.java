package io.vigil.config;

import io.vigil.rules.Severity;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A delivery channel as configured. The keys per type are a contract shared by {@code
 * vigil.yaml} and the channels API ({@link ChannelParser} reads both); each type has its
 * own record, and every secret is a {@link Secret}.
 */
public sealed interface ChannelConfig {
  String name();

  String type();

  Options options();

  /** The types there are, for messages. */
  List<String> TYPES = List.of("webhook", "log", "email", "slack", "pagerduty", "syslog");

  /**
   * Keys every type has. {@code ratePerSecond} 0 means unlimited; {@code digest} batches
   * the channel's alerts into one message per period; {@code maxPerHour} 0 means no hourly
   * cap (alerts beyond it in a clock hour are held back and counted in one notice).
   */
  record Options(boolean sendResolved, Optional<Severity> minSeverity, double ratePerSecond, Optional<Duration> digest,
      int maxPerHour) {
    public Options(boolean sendResolved, Optional<Severity> minSeverity, double ratePerSecond,
        Optional<Duration> digest) {
      this(sendResolved, minSeverity, ratePerSecond, digest, 0);
    }

    /** No resolved notices, every severity, no rate limit, no digest, no hourly cap. */
    public static Options defaults() {
      return new Options(false, Optional.empty(), 0, Optional.empty(), 0);
    }
  }

  /** Generic webhook: JSON body, Standard Webhooks signature when a secret is set. */
  record Webhook(String name, Options options, Secret url, Optional<Secret> secret, String method,
      Map<String, Secret> headers) implements ChannelConfig {
    @Override
    public String type() {
      return "webhook";
    }
  }

  /** One structured line per alert in Vigil's own log. */
  record Log(String name, Options options) implements ChannelConfig {
    @Override
    public String type() {
      return "log";
    }
  }

  /** SMTP. {@code tls}: none, starttls or tls. */
  record Email(String name, Options options, String host, int port, String tls, Optional<String> username,
      Optional<Secret> password, String from, List<String> to) implements ChannelConfig {
    @Override
    public String type() {
      return "email";
    }
  }

  /** A Slack incoming webhook; the URL is the credential. */
  record Slack(String name, Options options, Secret url) implements ChannelConfig {
    @Override
    public String type() {
      return "slack";
    }
  }

  /** PagerDuty Events API v2. */
  record PagerDuty(String name, Options options, Secret routingKey, String url) implements ChannelConfig {
    public static final String DEFAULT_URL = "https://events.pagerduty.com/v2/enqueue";

    @Override
    public String type() {
      return "pagerduty";
    }
  }

  /** RFC 5424 syslog over UDP or TCP. */
  record Syslog(String name, Options options, String host, int port, String protocol, String facility)
      implements ChannelConfig {
    @Override
    public String type() {
      return "syslog";
    }
  }
}
