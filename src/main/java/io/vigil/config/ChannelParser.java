package io.vigil.config;

import com.fasterxml.jackson.databind.JsonNode;
import io.vigil.rules.Severity;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads one channel, from {@code vigil.yaml} or from the channels API: the same keys and
 * the same checks, every problem reported. Values from the API are taken literally:
 * {@code ${NAME}} is only expanded in the configuration file, so an API caller can never
 * read the server's environment through a channel.
 */
public final class ChannelParser {
  static final Set<String> SYSLOG_FACILITIES = Set.of(
      "kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news", "uucp", "cron", "authpriv", "ftp",
      "ntp", "security", "console", "solaris-cron", "local0", "local1", "local2", "local3", "local4", "local5",
      "local6", "local7");
  static final int MAX_PER_HOUR = 1_000_000;
  private static final Pattern ADDRESS = Pattern.compile("[^@\\s<>]+@[^@\\s<>]+");

  private ChannelParser() {}

  /** A channel sent to the API; null when there are problems (added to {@code problems}). */
  public static ChannelConfig parseApi(JsonNode node, List<String> problems) {
    if (node == null || !node.isObject()) {
      problems.add("a channel is a JSON object with name and type");
      return null;
    }
    ConfigReader c = ConfigReader.literal(node, problems);
    ChannelConfig channel = parse(c);
    c.reportUnknownKeys(Set.of());
    return channel;
  }

  /** The channel a reader is over; null when its name or type is unusable. */
  static ChannelConfig parse(ConfigReader c) {
    String name = c.string("name", null);
    String type = c.string("type", null);
    if (name == null || !ConfigLoader.NAME.matcher(name).matches()) {
      c.problem("name", "is required: lower-case letters, digits, '-', '_' or '.', at most 63");
    }
    if (type == null) {
      c.problem("type", "is required (" + String.join(", ", ChannelConfig.TYPES) + ")");
      return null;
    }
    ChannelConfig.Options options = new ChannelConfig.Options(
        c.bool("send_resolved", false),
        c.optionalString("min_severity").flatMap(s -> severity(c, s)),
        rate(c, type.equals("slack") ? 1.0 : 0.0),
        c.has("digest") ? Optional.of(c.duration("digest", "1m", Duration.ofSeconds(10))) : Optional.empty(),
        c.has("max_per_hour") ? c.integer("max_per_hour", 0, 1, MAX_PER_HOUR) : 0);
    String n = name == null ? "?" : name;
    return switch (type) {
      case "webhook" -> webhook(c, n, options);
      case "log" -> new ChannelConfig.Log(n, options);
      case "email" -> email(c, n, options);
      case "slack" -> new ChannelConfig.Slack(n, options, httpUrl(c, "url", "slack"));
      case "pagerduty" -> {
        if (options.digest().isPresent()) {
          c.problem("digest", "is not allowed on a pagerduty channel: PagerDuty opens one incident per alert,"
              + " so its alerts cannot be batched into a digest");
        }
        Secret routingKey = required(c, "routing_key");
        Secret url = httpUrl(c, "url", null);
        yield new ChannelConfig.PagerDuty(n, options, routingKey,
            url == null ? ChannelConfig.PagerDuty.DEFAULT_URL : url.reveal());
      }
      case "syslog" -> syslog(c, n, options);
      default -> {
        c.problem("type", "unknown channel type '" + type + "' (known: " + String.join(", ", ChannelConfig.TYPES) + ")");
        yield null;
      }
    };
  }

  private static Optional<Severity> severity(ConfigReader c, String s) {
    Optional<Severity> v = Severity.parse(s);
    if (v.isEmpty()) {
      c.problem("min_severity", "must be one of " + Severity.labels());
    }
    return v;
  }

  private static double rate(ConfigReader c, double def) {
    String v = c.string("rate_per_second", null);
    if (v == null) {
      return def;
    }
    try {
      double d = Double.parseDouble(v.trim());
      if (d < 0 || d > 10_000 || Double.isNaN(d)) {
        c.problem("rate_per_second", "must be between 0 (unlimited) and 10000");
        return def;
      }
      return d;
    } catch (NumberFormatException e) {
      c.problem("rate_per_second", "must be a number of messages per second, e.g. 1 or 0.5");
      return def;
    }
  }

  private static Secret required(ConfigReader c, String key) {
    Optional<Secret> s = c.secret(key);
    if (s.isEmpty()) {
      c.problem(key, "is required");
    }
    return s.orElse(Secret.of(""));
  }

  private static ChannelConfig webhook(ConfigReader c, String name, ChannelConfig.Options options) {
    Secret url = httpUrl(c, "url", "webhook");
    String method = c.string("method", "POST").toUpperCase(Locale.ROOT);
    if (!Set.of("POST", "PUT", "PATCH").contains(method)) {
      c.problem("method", "must be POST, PUT or PATCH");
    }
    Map<String, Secret> headers = new LinkedHashMap<>();
    JsonNode h = c.at("headers");
    c.has("headers");
    if (h != null && !h.isNull()) {
      if (!h.isObject()) {
        c.problem("headers", "must be a map of header names to values");
      } else {
        Iterator<Map.Entry<String, JsonNode>> it = h.fields();
        while (it.hasNext()) {
          Map.Entry<String, JsonNode> e = it.next();
          if (!e.getKey().matches("[A-Za-z0-9-]{1,100}")) {
            c.problem("headers", "'" + e.getKey() + "' is not a valid header name");
          } else if (e.getKey().toLowerCase(Locale.ROOT).startsWith("webhook-")
              || Set.of("host", "content-length", "content-type").contains(e.getKey().toLowerCase(Locale.ROOT))) {
            c.problem("headers", "'" + e.getKey() + "' is set by Vigil itself");
          } else {
            headers.put(e.getKey(), c.secret("headers." + e.getKey()).orElse(Secret.of("")));
          }
        }
      }
    }
    return new ChannelConfig.Webhook(name, options, url == null ? Secret.of("") : url, c.secret("secret"), method,
        Map.copyOf(headers));
  }

  private static ChannelConfig email(ConfigReader c, String name, ChannelConfig.Options options) {
    String host = c.string("host", null);
    if (host == null || host.isBlank()) {
      c.problem("host", "is required: the SMTP server");
    }
    String tls = c.string("tls", "starttls").toLowerCase(Locale.ROOT);
    if (!Set.of("none", "starttls", "tls").contains(tls)) {
      c.problem("tls", "must be none, starttls or tls");
    }
    int port = c.integer("port", tls.equals("tls") ? 465 : tls.equals("none") ? 25 : 587, 1, 65535);
    Optional<String> username = c.optionalString("username");
    Optional<Secret> password = c.secret("password");
    if (password.isPresent() && username.isEmpty()) {
      c.problem("username", "is required with a password");
    }
    String from = c.string("from", null);
    if (from == null || !ADDRESS.matcher(from.replaceAll(".*<|>.*", "")).matches()) {
      c.problem("from", "is required: an address such as vigil@example.org or \"Vigil <vigil@example.org>\"");
    }
    List<String> to = c.stringList("to", List.of());
    if (to.isEmpty()) {
      c.problem("to", "needs at least one address");
    }
    for (String a : to) {
      if (!ADDRESS.matcher(a.replaceAll(".*<|>.*", "")).matches()) {
        c.problem("to", "'" + a + "' is not an address");
      }
    }
    return new ChannelConfig.Email(name, options, host == null ? "" : host, port, tls, username, password,
        from == null ? "" : from, List.copyOf(to));
  }

  private static ChannelConfig syslog(ConfigReader c, String name, ChannelConfig.Options options) {
    String host = c.string("host", null);
    if (host == null || host.isBlank()) {
      c.problem("host", "is required: the syslog server");
    }
    String protocol = c.string("protocol", "udp").toLowerCase(Locale.ROOT);
    if (!Set.of("udp", "tcp").contains(protocol)) {
      c.problem("protocol", "must be udp or tcp");
    }
    String facility = c.string("facility", "local0").toLowerCase(Locale.ROOT);
    if (!SYSLOG_FACILITIES.contains(facility) && !facility.matches("1?[0-9]|2[0-3]")) {
      c.problem("facility", "must be a facility name (auth, authpriv, daemon, local0 ... local7, ...) or 0-23");
    }
    return new ChannelConfig.Syslog(name, options, host == null ? "" : host, c.integer("port", 514, 1, 65535),
        protocol, facility);
  }

  /** An http(s) URL; null when absent (a problem if {@code requiredBy} names a type). Never echoes the URL. */
  private static Secret httpUrl(ConfigReader c, String key, String requiredBy) {
    Optional<Secret> url = c.secret(key);
    if (url.isEmpty()) {
      if (requiredBy != null) {
        c.problem(key, "is required for a " + requiredBy + " channel");
      }
      return null;
    }
    try {
      URI u = new URI(url.get().reveal());
      if (!"http".equals(u.getScheme()) && !"https".equals(u.getScheme())) {
        c.problem(key, "must be an http:// or https:// URL");
      } else if (u.getHost() == null || u.getHost().isEmpty()) {
        c.problem(key, "has no host");
      }
    } catch (URISyntaxException e) {
      c.problem(key, "is not a valid URL");
    }
    return url.get();
  }
}
