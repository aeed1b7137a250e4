package io.vigil.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The effective configuration: {@code vigil.yaml} overridden by {@code VIGIL_*} environment
 * variables, validated as a whole by {@link ConfigLoader}. Immutable; secrets are {@link Secret}.
 */
public record VigilConfig(
    HttpConfig http,
    Path dataDir,
    DbConfig db,
    Path rulesDir,
    Path templatesDir,
    Optional<Secret> adminToken,
    Optional<Secret> secretKey,
    IngestConfig ingest,
    EngineConfig engine,
    DeliveryConfig delivery,
    TemplatesConfig templates,
    AlertsConfig alerts,
    List<ChannelConfig> channels,
    List<String> defaultChannels,
    Map<String, TenantConfig> tenants,
    RetentionConfig retention) {

  /** Channels for alerts of a rule that names none: the tenant's own list, else the global one. */
  public List<String> defaultChannelsFor(String tenant) {
    TenantConfig t = tenants.get(tenant);
    return t != null && t.defaultChannels() != null ? t.defaultChannels() : defaultChannels;
  }

  /** {@code tls} absent means plain HTTP. */
  public record HttpConfig(String host, int port, Optional<String> publicUrl, Optional<TlsConfig> tls) {}

  /** PEM files for Vigil's own listener, checked to load (and to match) when the configuration loads. */
  public record TlsConfig(Path certFile, Path keyFile) {}

  /** {@code url} absent means the embedded PostgreSQL in the data directory. */
  public record DbConfig(
      Optional<Secret> url, int poolSize, Duration connectTimeout, int embeddedPort, int maxWaitQueue) {}

  public record IngestConfig(
      long maxBodyBytes,
      int maxEventsPerRequest,
      int maxJsonDepth,
      int maxStringLength,
      Duration maxLateness,
      Duration maxSkew,
      int queueMax,
      int batchMaxRows,
      double tenantEventsPerSecond) {}

  public record EngineConfig(
      Duration tick,
      int inboxMax,
      int maxEvidence,
      boolean watchRules,
      Duration reloadDebounce,
      /** A tenant session idle this long is closed and rebuilt from the journal on demand; zero: never. */
      Duration idleSessionTimeout,
      /** Events a tenant session holds at most; past it the oldest leave their windows early. */
      int maxSessionEvents) {}

  public record DeliveryConfig(
      boolean allowPrivateTargets,
      int concurrency,
      int channelConcurrency,
      Duration pollInterval,
      Duration lease,
      Duration timeout,
      RetryConfig retry,
      long maxResponseBytes) {}

  public record RetryConfig(Duration initial, Duration max, int maxAttempts) {}

  public record TenantConfig(List<String> defaultChannels) {}

  /**
   * Defaults for rules that do not set {@code @resolve_after} / {@code @repeat} (zero: never),
   * and how often open alerts are checked for both.
   */
  public record AlertsConfig(Duration resolveAfter, Duration repeat, Duration checkInterval) {}

  /** Masking of sensitive event values in rendered messages. */
  public record TemplatesConfig(boolean maskSensitive, List<String> sensitiveFields) {}

  /**
   * How long events, event ids and finished alerts are kept, and how the background pruning
   * runs. {@code eventIds} is the idempotency window: the id of an event whose payload is
   * pruned stays until then, so a late resend is still a duplicate.
   */
  public record RetentionConfig(Duration events, Duration alerts, Duration eventIds, Duration interval, int batchSize) {}
}
