package io.vigil.delivery;

import io.vigil.config.ChannelConfig;
import io.vigil.config.InvalidConfigException;
import io.vigil.delivery.log.LogChannel;
import io.vigil.delivery.webhook.WebhookChannel;
import java.net.URI;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** The configured channels by name. Building it checks every outbound target. */
public final class Channels {
  private final Map<String, Channel> byName;

  private Channels(Map<String, Channel> byName) {
    this.byName = byName;
  }

  public static Channels build(List<ChannelConfig> configs, HttpTransport http, Clock clock) {
    Map<String, Channel> out = new LinkedHashMap<>();
    List<String> problems = new ArrayList<>();
    for (int i = 0; i < configs.size(); i++) {
      ChannelConfig c = configs.get(i);
      if (c instanceof ChannelConfig.Webhook w) {
        String refused = http.guard().refuseAtConfig(URI.create(w.url().reveal()).getHost());
        if (refused != null) {
          problems.add("channels[" + i + "].url " + refused);
        }
        out.put(c.name(), new WebhookChannel(w, http, clock));
      } else if (c instanceof ChannelConfig.Log l) {
        out.put(c.name(), new LogChannel(l));
      }
    }
    if (!problems.isEmpty()) {
      throw new InvalidConfigException(problems);
    }
    return new Channels(out);
  }

  public Optional<Channel> get(String name) {
    return Optional.ofNullable(byName.get(name));
  }

  /** A tenant's channel: its own (from the API) first, then the configured ones every tenant has. */
  public Optional<Channel> get(String tenant, String name) {
    return get(name);
  }

  public Set<String> names() {
    return byName.keySet();
  }

  public Collection<Channel> all() {
    return byName.values();
  }
}
