package io.vigil.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.vigil.config.VigilConfig.DbConfig;
import io.vigil.config.VigilConfig.DeliveryConfig;
import io.vigil.config.VigilConfig.EngineConfig;
import io.vigil.config.VigilConfig.HttpConfig;
import io.vigil.config.VigilConfig.IngestConfig;
import io.vigil.config.VigilConfig.RetryConfig;
import io.vigil.config.VigilConfig.TenantConfig;
import java.io.IOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads {@code vigil.yaml} and applies environment overrides. The environment is a
 * parameter so tests pass their own. Every problem is collected and reported together by
 * {@link InvalidConfigException}; nothing starts on a configuration with a problem.
 */
public final class ConfigLoader {
  /** Names a tenant, a channel or a key id may take: safe in URLs, logs and SQL identifiers. */
  public static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_.-]{0,62}");

  private static final Set<String> FREE_FORM = Set.of("channels", "tenants");
  private static final Set<String> NOT_KEYS = Set.of("VIGIL_CONFIG");

  private static final Logger log = LoggerFactory.getLogger(ConfigLoader.class);

  private ConfigLoader() {}

  /** Reads the file named by {@code VIGIL_CONFIG}, else {@code ./vigil.yaml} if present. */
  public static VigilConfig load(Map<String, String> env) {
    String named = env.get("VIGIL_CONFIG");
    if (named != null && !named.isBlank()) {
      Path p = Path.of(named);
      if (!Files.isRegularFile(p)) {
        throw new InvalidConfigException(List.of("VIGIL_CONFIG: file " + p + " does not exist"));
      }
      return load(p, env);
    }
    Path local = Path.of("vigil.yaml");
    return load(Files.isRegularFile(local) ? local : null, env);
  }

  /** Loads the given file (or defaults only when {@code file} is null) with env overrides. */
  public static VigilConfig load(Path file, Map<String, String> env) {
    List<String> problems = new ArrayList<>();
    JsonNode root = null;
    if (file != null) {
      try {
        root = new ObjectMapper(new YAMLFactory()).readTree(file.toFile());
      } catch (JsonProcessingException e) {
        throw new InvalidConfigException(
            List.of(file + ": not valid YAML: " + e.getOriginalMessage() + locationOf(e)));
      } catch (IOException e) {
        throw new InvalidConfigException(List.of(file + ": cannot read: " + e.getMessage()));
      }
      if (root != null && !root.isNull() && !root.isObject()) {
        throw new InvalidConfigException(List.of(file + ": the top level must be a map of keys"));
      }
    }
    Set<String> envNamesRead = new HashSet<>();
    ConfigReader r = new ConfigReader(root, env, problems, envNamesRead);
    VigilConfig config = read(r);
    r.reportUnknownKeys(FREE_FORM);
    warnAboutUnknownEnv(env, envNamesRead);
    if (!problems.isEmpty()) {
      throw new InvalidConfigException(problems);
    }
    return config;
  }

  /**
   * Every environment variable that overrides a configuration key (plus {@code VIGIL_CONFIG}),
   * for documentation and for checking deployment files against the configuration.
   */
  public static Set<String> environmentVariables() {
    Set<String> names = new TreeSet<>();
    ConfigReader r = new ConfigReader(null, Map.of(), new ArrayList<>(), names);
    read(r);
    names.add("VIGIL_CONFIG");
    return names;
  }

  private static String locationOf(JsonProcessingException e) {
    return e.getLocation() == null
        ? ""
        : " (line " + e.getLocation().getLineNr() + ", column " + e.getLocation().getColumnNr() + ")";
  }

  private static VigilConfig read(ConfigReader r) {
    HttpConfig http =
        new HttpConfig(
            r.string("http.host", "0.0.0.0"),
            r.integer("http.port", 8080, 0, 65535),
            r.optionalString("http.public_url"),
            TlsFiles.read(r));
    Path dataDir = Path.of(r.string("data_dir", "./data"));
    Optional<Secret> dbUrl = r.secret("db.url");
    dbUrl.ifPresent(u -> checkDbUrl(r, u));
    DbConfig db =
        new DbConfig(
            dbUrl,
            r.integer("db.pool_size", 8, 1, 200),
            r.duration("db.connect_timeout", "5s", Duration.ofMillis(100)),
            r.integer("db.embedded_port", 0, 0, 65535),
            r.integer("db.max_wait_queue", 4096, 1, 1_000_000));
    Path rulesDir = Path.of(r.string("rules_dir", "./rules"));
    Path templatesDir = Path.of(r.string("templates_dir", "./templates"));
    Optional<Secret> adminToken = r.secret("admin_token");
    adminToken.ifPresent(
        t -> {
          if (t.reveal().length() < 16) {
            r.problem("admin_token", "must be at least 16 characters");
          }
        });
    Optional<Secret> secretKey = r.secret("secret_key");
    IngestConfig ingest =
        new IngestConfig(
            r.size("ingest.max_body_size", "1MiB", 1024, 256L * 1024 * 1024),
            r.integer("ingest.max_events_per_request", 1000, 1, 100_000),
            r.integer("ingest.max_json_depth", 64, 2, 1000),
            (int) r.size("ingest.max_string_length", "64KiB", 16, 16L * 1024 * 1024),
            r.duration("ingest.max_lateness", "1h", Duration.ZERO),
            r.duration("ingest.max_skew", "5m", Duration.ZERO),
            r.integer("ingest.queue_max", 50_000, 1, 10_000_000),
            r.integer("ingest.batch_max_rows", 2_000, 1, 100_000),
            r.integer("ingest.tenant_events_per_second", 0, 0, 10_000_000));
    EngineConfig engine =
        new EngineConfig(
            r.duration("engine.tick", "1s", Duration.ofMillis(10)),
            r.integer("engine.inbox_max", 20_000, 1, 10_000_000),
            r.integer("engine.max_evidence", 50, 1, 10_000),
            r.bool("engine.watch_rules", true),
            r.duration("engine.reload_debounce", "1s", Duration.ofMillis(10)),
            r.duration("engine.idle_session_timeout", "10m", Duration.ZERO),
            r.integer("engine.max_session_events", 200_000, 1, 100_000_000));
    DeliveryConfig delivery =
        new DeliveryConfig(
            r.bool("delivery.allow_private_targets", false),
            r.integer("delivery.concurrency", 64, 1, 1000),
            r.integer("delivery.channel_concurrency", 16, 1, 1000),
            r.duration("delivery.poll_interval", "1s", Duration.ofMillis(10)),
            r.duration("delivery.lease", "2m", Duration.ofSeconds(1)),
            r.duration("delivery.timeout", "10s", Duration.ofMillis(100)),
            new RetryConfig(
                r.duration("delivery.retry.initial", "5s", Duration.ofMillis(1)),
                r.duration("delivery.retry.max", "10m", Duration.ofMillis(1)),
                r.integer("delivery.retry.max_attempts", 12, 1, 1000)),
            r.size("delivery.max_response_size", "64KiB", 0, 16L * 1024 * 1024));
    if (delivery.retry().max().compareTo(delivery.retry().initial()) < 0) {
      r.problem("delivery.retry.max", "must not be shorter than delivery.retry.initial");
    }
    VigilConfig.TemplatesConfig templates = new VigilConfig.TemplatesConfig(
        r.bool("templates.mask_sensitive", true),
        r.stringList("templates.sensitive_fields", io.vigil.template.Masking.DEFAULT_WORDS));
    VigilConfig.AlertsConfig alerts = new VigilConfig.AlertsConfig(
        r.durationOrNever("alerts.resolve_after", "24h", Duration.ofMinutes(1)),
        r.durationOrNever("alerts.repeat", "never", Duration.ofMinutes(1)),
        r.duration("alerts.check_interval", "10s", Duration.ofMillis(100)));
    VigilConfig.RetentionConfig retention = new VigilConfig.RetentionConfig(
        r.duration("retention.events", "30d", Duration.ofMinutes(1)),
        r.duration("retention.alerts", "90d", Duration.ofMinutes(1)),
        r.duration("retention.event_ids", "7d", Duration.ofMinutes(1)),
        r.duration("retention.interval", "10m", Duration.ofMillis(100)),
        r.integer("retention.batch_size", 1000, 1, 100_000));
    List<ChannelConfig> channels = readChannels(r);
    List<String> defaultChannels = r.stringList("default_channels", List.of());
    Map<String, TenantConfig> tenants = readTenants(r);
    Set<String> channelNames = new HashSet<>();
    channels.forEach(c -> channelNames.add(c.name()));
    checkChannelRefs(r, "default_channels", defaultChannels, channelNames);
    tenants.forEach(
        (id, t) -> {
          if (t.defaultChannels() != null) {
            checkChannelRefs(r, "tenants." + id + ".default_channels", t.defaultChannels(), channelNames);
          }
        });
    return new VigilConfig(
        http, dataDir, db, rulesDir, templatesDir, adminToken, secretKey, ingest, engine, delivery, templates,
        alerts, List.copyOf(channels), List.copyOf(defaultChannels), Map.copyOf(tenants), retention);
  }

  private static void checkDbUrl(ConfigReader r, Secret url) {
    try {
      URI u = new URI(url.reveal());
      if (!"postgresql".equals(u.getScheme()) && !"postgres".equals(u.getScheme())) {
        r.problem("db.url", "must be a postgresql://user:password@host:port/database URL");
      } else if (u.getHost() == null) {
        r.problem("db.url", "has no host");
      }
    } catch (URISyntaxException e) {
      // The message would echo the URL, password included.
      r.problem("db.url", "is not a valid URL");
    }
  }

  private static void checkChannelRefs(ConfigReader r, String path, List<String> refs, Set<String> known) {
    for (String ref : refs) {
      if (!known.contains(ref)) {
        r.problem(path, "names channel '" + ref + "', which is not configured");
      }
    }
  }

  private static List<ChannelConfig> readChannels(ConfigReader r) {
    List<ChannelConfig> out = new ArrayList<>();
    JsonNode list = r.at("channels");
    if (list == null || list.isNull()) {
      return out;
    }
    if (!list.isArray()) {
      r.problem("channels", "must be a list of channels");
      return out;
    }
    Set<String> names = new HashSet<>();
    for (int i = 0; i < list.size(); i++) {
      ConfigReader c = r.child(list.get(i), "channels[" + i + "]");
      if (!list.get(i).isObject()) {
        c.problem("", "must be a map with name and type");
        continue;
      }
      String name = c.string("name", null);
      if (name != null && !names.add(name)) {
        c.problem("name", "'" + name + "' is used by another channel");
      }
      ChannelConfig channel = ChannelParser.parse(c);
      c.reportUnknownKeys(Set.of());
      if (channel != null) {
        out.add(channel);
      }
    }
    return out;
  }

  private static Map<String, TenantConfig> readTenants(ConfigReader r) {
    Map<String, TenantConfig> out = new LinkedHashMap<>();
    JsonNode t = r.at("tenants");
    if (t == null || t.isNull()) {
      return out;
    }
    if (!t.isObject()) {
      r.problem("tenants", "must be a map of tenant ids to settings");
      return out;
    }
    Iterator<Map.Entry<String, JsonNode>> it = t.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      ConfigReader c = r.child(e.getValue(), "tenants." + e.getKey());
      if (!NAME.matcher(e.getKey()).matches()) {
        r.problem("tenants." + e.getKey(), "is not a valid tenant id");
        continue;
      }
      List<String> channels = c.has("default_channels") ? c.stringList("default_channels", null) : null;
      c.reportUnknownKeys(Set.of());
      out.put(e.getKey(), new TenantConfig(channels == null ? null : List.copyOf(channels)));
    }
    return out;
  }

  /**
   * A {@code VIGIL_*} variable that matches no key is usually a typo: say so, but do not
   * refuse to start, since deployment tooling may set variables of its own.
   */
  private static void warnAboutUnknownEnv(Map<String, String> env, Set<String> known) {
    Set<String> unknown = new TreeSet<>();
    for (String name : env.keySet()) {
      if (name.startsWith("VIGIL_") && !known.contains(name) && !NOT_KEYS.contains(name)) {
        unknown.add(name);
      }
    }
    for (String name : unknown) {
      log.warn("environment variable {} matches no configuration key; ignored", name);
    }
  }
}
