package io.vigil.config;

import java.util.Map;
import java.util.Optional;

/**
 * A delivery channel as configured. The keys per type are a contract shared by
 * {@code vigil.yaml} and the channels API; each type has its own record.
 */
public sealed interface ChannelConfig {
  String name();

  String type();

  /** Generic webhook: JSON body, Standard Webhooks signature when a secret is set. */
  record Webhook(String name, Secret url, Optional<Secret> secret, String method, Map<String, Secret> headers)
      implements ChannelConfig {
    @Override
    public String type() {
      return "webhook";
    }
  }

  /** One structured line per alert in Vigil's own log. */
  record Log(String name) implements ChannelConfig {
    @Override
    public String type() {
      return "log";
    }
  }
}
