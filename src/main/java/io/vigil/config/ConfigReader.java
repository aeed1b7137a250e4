package io.vigil.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads typed values out of a YAML tree by dotted path, letting an environment variable
 * named {@code VIGIL_<PATH>} (upper-cased, dots as underscores) override each key. Every
 * problem is collected rather than thrown, so an operator sees all of them at once; every
 * path read is remembered, so keys nobody reads are reported as unknown (typos).
 */
final class ConfigReader {
  private static final Pattern SIZE = Pattern.compile("(\\d+)\\s*(B|KiB|MiB|GiB|KB|MB|GB)?");
  private static final Pattern ENV_REF = Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(:-([^}]*))?}");

  private final JsonNode root;
  private final Map<String, String> env;
  private final boolean envOverrides;
  private final boolean substitution;
  private final String label;
  private final List<String> problems;
  private final Set<String> read = new HashSet<>();
  private final Set<String> envNamesRead;

  ConfigReader(JsonNode root, Map<String, String> env, List<String> problems, Set<String> envNamesRead) {
    this(root, env, true, true, "", problems, envNamesRead);
  }

  /** A reader over input from outside (the API): no environment, no {@code ${NAME}} expansion. */
  static ConfigReader literal(JsonNode root, List<String> problems) {
    return new ConfigReader(root, Map.of(), false, false, "", problems, new HashSet<>());
  }

  private ConfigReader(
      JsonNode root,
      Map<String, String> env,
      boolean envOverrides,
      boolean substitution,
      String label,
      List<String> problems,
      Set<String> envNamesRead) {
    this.root = root == null || root.isNull() ? JsonNodeFactory.instance.objectNode() : root;
    this.env = env;
    this.envOverrides = envOverrides;
    this.substitution = substitution;
    this.label = label;
    this.problems = problems;
    this.envNamesRead = envNamesRead;
  }

  /** A reader over one list item or map entry; its keys have no environment override. */
  ConfigReader child(JsonNode node, String childLabel) {
    return new ConfigReader(node, env, false, substitution, childLabel, problems, envNamesRead);
  }

  static String envName(String path) {
    return "VIGIL_" + path.toUpperCase(Locale.ROOT).replace('.', '_');
  }

  void problem(String path, String message) {
    problems.add(display(path) + ": " + message);
  }

  String display(String path) {
    return label.isEmpty() ? path : label + "." + path;
  }

  /** The raw text of a scalar (env first), or null when absent. */
  private String scalar(String path) {
    read.add(path);
    if (envOverrides) {
      String name = envName(path);
      envNamesRead.add(name);
      String v = env.get(name);
      if (v != null) {
        return v;
      }
    }
    JsonNode n = at(path);
    if (n == null || n.isNull() || n.isMissingNode()) {
      return null;
    }
    if (n.isContainerNode()) {
      problem(path, "expected a single value, found " + (n.isArray() ? "a list" : "a map"));
      return null;
    }
    return substitute(path, n.asText());
  }

  JsonNode at(String path) {
    JsonNode n = root;
    for (String part : path.split("\\.")) {
      if (n == null || !n.isObject()) {
        return null;
      }
      n = n.get(part);
    }
    return n;
  }

  /** Replaces {@code ${NAME}} and {@code ${NAME:-default}} with environment values. */
  private String substitute(String path, String text) {
    if (!substitution || text.indexOf("${") < 0) {
      return text;
    }
    Matcher m = ENV_REF.matcher(text);
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      envNamesRead.add(m.group(1));
      String v = env.get(m.group(1));
      if (v == null) {
        v = m.group(3);
      }
      if (v == null) {
        problem(path, "environment variable " + m.group(1) + " is not set");
        v = "";
      }
      m.appendReplacement(out, Matcher.quoteReplacement(v));
    }
    m.appendTail(out);
    return out.toString();
  }

  boolean has(String path) {
    read.add(path);
    if (envOverrides && env.containsKey(envName(path))) {
      return true;
    }
    JsonNode n = at(path);
    return n != null && !n.isNull() && !n.isMissingNode();
  }

  String string(String path, String def) {
    String v = scalar(path);
    return v == null ? def : v;
  }

  Optional<String> optionalString(String path) {
    String v = scalar(path);
    return v == null || v.isEmpty() ? Optional.empty() : Optional.of(v);
  }

  Optional<Secret> secret(String path) {
    return optionalString(path).map(Secret::of);
  }

  int integer(String path, int def, int min, int max) {
    String v = scalar(path);
    if (v == null) {
      return def;
    }
    try {
      int i = Integer.parseInt(v.trim());
      if (i < min || i > max) {
        problem(path, "must be between " + min + " and " + max + ", got " + i);
        return def;
      }
      return i;
    } catch (NumberFormatException e) {
      problem(path, "must be a whole number, got '" + v + "'");
      return def;
    }
  }

  boolean bool(String path, boolean def) {
    String v = scalar(path);
    if (v == null) {
      return def;
    }
    return switch (v.trim().toLowerCase(Locale.ROOT)) {
      case "true", "yes", "on", "1" -> true;
      case "false", "no", "off", "0" -> false;
      default -> {
        problem(path, "must be true or false, got '" + v + "'");
        yield def;
      }
    };
  }

  Duration duration(String path, String def, Duration min) {
    String v = scalar(path);
    String text = v == null ? def : v;
    try {
      Duration d = Durations.parse(text);
      if (d.compareTo(min) < 0) {
        problem(path, "must be at least " + Durations.format(min) + ", got " + text);
        return Durations.parse(def);
      }
      return d;
    } catch (IllegalArgumentException e) {
      problem(path, e.getMessage());
      return Durations.parse(def);
    }
  }

  /** A duration of at least {@code min}, or {@code never} (zero). */
  Duration durationOrNever(String path, String def, Duration min) {
    String v = scalar(path);
    String text = v == null ? def : v;
    if (text.trim().equalsIgnoreCase("never")) {
      return Duration.ZERO;
    }
    try {
      Duration d = Durations.parse(text);
      if (d.compareTo(min) < 0) {
        problem(path, "must be at least " + Durations.format(min) + " or never, got " + text);
        return Duration.ZERO;
      }
      return d;
    } catch (IllegalArgumentException e) {
      problem(path, e.getMessage() + ", or never");
      return Duration.ZERO;
    }
  }

  /** A byte size: a plain number of bytes, or with a unit (64KiB, 1MiB). */
  long size(String path, String def, long min, long max) {
    String v = scalar(path);
    String text = v == null ? def : v;
    Matcher m = SIZE.matcher(text.trim());
    if (!m.matches()) {
      problem(path, "'" + text + "' is not a size; write bytes or a unit, e.g. 65536, 64KiB, 1MiB");
      return parseSize(def);
    }
    long n = parseSize(text.trim());
    if (n < min || n > max) {
      problem(path, "must be between " + min + " and " + max + " bytes, got " + n);
      return parseSize(def);
    }
    return n;
  }

  private static long parseSize(String text) {
    Matcher m = SIZE.matcher(text);
    if (!m.matches()) {
      throw new IllegalArgumentException(text);
    }
    long n = Long.parseLong(m.group(1));
    String unit = m.group(2) == null ? "B" : m.group(2);
    return switch (unit) {
      case "KiB" -> n * 1024;
      case "MiB" -> n * 1024 * 1024;
      case "GiB" -> n * 1024 * 1024 * 1024;
      case "KB" -> n * 1000;
      case "MB" -> n * 1000_000;
      case "GB" -> n * 1000_000_000;
      default -> n;
    };
  }

  /** A list of strings; from the environment, a comma-separated value. */
  List<String> stringList(String path, List<String> def) {
    read.add(path);
    if (envOverrides) {
      String name = envName(path);
      envNamesRead.add(name);
      String v = env.get(name);
      if (v != null) {
        return splitList(v);
      }
    }
    JsonNode n = at(path);
    if (n == null || n.isNull()) {
      return def;
    }
    if (n.isTextual()) {
      return splitList(substitute(path, n.asText()));
    }
    if (!n.isArray()) {
      problem(path, "must be a list");
      return def;
    }
    List<String> out = new ArrayList<>();
    for (JsonNode item : n) {
      if (item.isContainerNode()) {
        problem(path, "must be a list of plain values");
        return def;
      }
      out.add(substitute(path, item.asText()));
    }
    return out;
  }

  private static List<String> splitList(String v) {
    List<String> out = new ArrayList<>();
    for (String s : v.split(",")) {
      if (!s.isBlank()) {
        out.add(s.trim());
      }
    }
    return out;
  }

  /** Reports every key in the tree that no one read, except under the given prefixes. */
  void reportUnknownKeys(Set<String> freeForm) {
    walk(root, "", freeForm);
  }

  private void walk(JsonNode node, String prefix, Set<String> freeForm) {
    if (!(node instanceof ObjectNode obj)) {
      return;
    }
    Iterator<Map.Entry<String, JsonNode>> it = obj.fields();
    while (it.hasNext()) {
      Map.Entry<String, JsonNode> e = it.next();
      String path = prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey();
      if (freeForm.contains(path) || read.contains(path)) {
        continue;
      }
      if (e.getValue().isObject() && isPrefixOfRead(path)) {
        walk(e.getValue(), path, freeForm);
      } else {
        problem(path, "unknown key");
      }
    }
  }

  private boolean isPrefixOfRead(String path) {
    String p = path + ".";
    for (String r : read) {
      if (r.startsWith(p)) {
        return true;
      }
    }
    return false;
  }
}
