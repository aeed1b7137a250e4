package io.vigil.delivery;

import io.vertx.core.Future;
import io.vigil.config.ChannelConfig;
import io.vigil.config.InvalidConfigException;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * Every channel by tenant and name: the ones in {@code vigil.yaml}, which every tenant has,
 * and each tenant's own, managed over the API. Building from the configuration checks
 * every outbound target; a tenant's channel replaces or adds to the map at runtime.
 */
public final class Channels {
  private final Map<String, Channel> global;
  private final Map<String, Map<String, Channel>> byTenant = new ConcurrentHashMap<>();
  /** What each channel was built from, by tenant ("" for the configured ones) and name. */
  private final Map<String, ChannelConfig> configs = new ConcurrentHashMap<>();
  private final Function<ChannelConfig, Channel> factory;
  private final TargetGuard guard;

  private Channels(Map<String, Channel> global, Function<ChannelConfig, Channel> factory, TargetGuard guard) {
    this.global = global;
    this.factory = factory;
    this.guard = guard;
  }

  /** The configured channels; a literal private or loopback target is a configuration problem. */
  public static Channels build(List<ChannelConfig> configs, Function<ChannelConfig, Channel> factory, TargetGuard guard) {
    Map<String, Channel> out = new LinkedHashMap<>();
    Map<String, ChannelConfig> built = new LinkedHashMap<>();
    List<String> problems = new ArrayList<>();
    for (int i = 0; i < configs.size(); i++) {
      ChannelConfig c = configs.get(i);
      for (Map.Entry<String, String> target : targets(c).entrySet()) {
        String refused = guard.refuseAtConfig(URI.create(target.getValue()).getHost());
        if (refused != null) {
          problems.add("channels[" + i + "]." + target.getKey() + " " + refused);
        }
      }
      out.put(c.name(), factory.apply(c));
      built.put(key("", c.name()), c);
    }
    if (!problems.isEmpty()) {
      throw new InvalidConfigException(problems);
    }
    Channels channels = new Channels(out, factory, guard);
    channels.configs.putAll(built);
    return channels;
  }

  /** The HTTP targets of a channel by key (url), to check against the private-target rule. */
  public static Map<String, String> targets(ChannelConfig c) {
    if (c instanceof ChannelConfig.Webhook w) {
      return Map.of("url", w.url().reveal());
    }
    if (c instanceof ChannelConfig.Slack s) {
      return Map.of("url", s.url().reveal());
    }
    if (c instanceof ChannelConfig.PagerDuty p) {
      return Map.of("url", p.url());
    }
    return Map.of();
  }

  public TargetGuard guard() {
    return guard;
  }

  public Optional<Channel> get(String name) {
    return Optional.ofNullable(global.get(name));
  }

  /** A tenant's channel: its own (from the API) first, then the configured ones every tenant has. */
  public Optional<Channel> get(String tenant, String name) {
    Map<String, Channel> own = byTenant.get(tenant);
    Channel c = own == null ? null : own.get(name);
    return c != null ? Optional.of(c) : get(name);
  }

  /** What a channel was built from: the tenant's own, else the configured one. */
  public Optional<ChannelConfig> configOf(String tenant, String name) {
    ChannelConfig own = configs.get(key(tenant, name));
    return own != null ? Optional.of(own) : Optional.ofNullable(configs.get(key("", name)));
  }

  private static String key(String tenant, String name) {
    return tenant + '\u0000' + name;
  }

  public boolean isGlobal(String name) {
    return global.containsKey(name);
  }

  /** The configured channels' names (every tenant has them). */
  public Set<String> names() {
    return global.keySet();
  }

  public Collection<Channel> all() {
    return global.values();
  }

  /** A tenant's own channels by name. */
  public Map<String, Channel> ownedBy(String tenant) {
    return Map.copyOf(byTenant.getOrDefault(tenant, Map.of()));
  }

  /** Adds or replaces a tenant's channel (the one replaced is closed). */
  public Channel put(String tenant, ChannelConfig config) {
    Channel created = factory.apply(config);
    Channel previous = byTenant.computeIfAbsent(tenant, t -> new ConcurrentHashMap<>()).put(config.name(), created);
    configs.put(key(tenant, config.name()), config);
    if (previous != null) {
      previous.close();
    }
    return created;
  }

  public void remove(String tenant, String name) {
    Map<String, Channel> own = byTenant.get(tenant);
    Channel removed = own == null ? null : own.remove(name);
    configs.remove(key(tenant, name));
    if (removed != null) {
      removed.close();
    }
  }

  public Future<Void> close() {
    List<Future<Void>> all = new ArrayList<>();
    global.values().forEach(c -> all.add(c.close()));
    byTenant.values().forEach(m -> m.values().forEach(c -> all.add(c.close())));
    return Future.join(all).mapEmpty();
  }
}
