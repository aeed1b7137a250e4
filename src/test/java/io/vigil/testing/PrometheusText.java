package io.vigil.testing;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * A strict reader of the Prometheus text exposition format (0.0.4): {@code # HELP} and
 * {@code # TYPE} lines, and samples {@code name{label="value",...} value [timestamp]}. Any
 * line it cannot read fails the parse, so a test that uses it also checks the format.
 */
public final class PrometheusText {
  /** One sample line. */
  public record Sample(String name, Map<String, String> labels, double value) {}

  private final List<Sample> samples;
  private final Map<String, String> types;

  private PrometheusText(List<Sample> samples, Map<String, String> types) {
    this.samples = samples;
    this.types = types;
  }

  public static PrometheusText parse(String text) {
    List<Sample> samples = new ArrayList<>();
    Map<String, String> types = new LinkedHashMap<>();
    int lineNo = 0;
    for (String line : text.split("\n", -1)) {
      lineNo++;
      if (line.isEmpty()) {
        continue;
      }
      if (line.startsWith("#")) {
        String[] parts = line.split(" ", 4);
        if (parts.length >= 4 && parts[1].equals("TYPE")) {
          if (!List.of("counter", "gauge", "histogram", "summary", "untyped").contains(parts[3])) {
            throw new IllegalArgumentException("line " + lineNo + ": unknown type: " + line);
          }
          types.put(parts[2], parts[3]);
        } else if (parts.length < 3 || !parts[1].equals("HELP")) {
          throw new IllegalArgumentException("line " + lineNo + ": not HELP or TYPE: " + line);
        }
        continue;
      }
      samples.add(sample(line, lineNo));
    }
    return new PrometheusText(samples, types);
  }

  private static Sample sample(String line, int lineNo) {
    int i = 0;
    while (i < line.length() && isNameChar(line.charAt(i), i == 0)) {
      i++;
    }
    if (i == 0) {
      throw new IllegalArgumentException("line " + lineNo + ": no metric name: " + line);
    }
    String name = line.substring(0, i);
    Map<String, String> labels = new LinkedHashMap<>();
    if (i < line.length() && line.charAt(i) == '{') {
      i++;
      while (line.charAt(i) != '}') {
        int start = i;
        while (isNameChar(line.charAt(i), i == start)) {
          i++;
        }
        String label = line.substring(start, i);
        if (label.isEmpty() || line.charAt(i) != '=' || line.charAt(i + 1) != '"') {
          throw new IllegalArgumentException("line " + lineNo + ": bad label at " + i + ": " + line);
        }
        i += 2;
        StringBuilder value = new StringBuilder();
        while (line.charAt(i) != '"') {
          char c = line.charAt(i);
          if (c == '\\') {
            char n = line.charAt(++i);
            value.append(n == 'n' ? '\n' : n);
          } else {
            value.append(c);
          }
          i++;
        }
        i++;
        labels.put(label, value.toString());
        if (line.charAt(i) == ',') {
          i++;
        } else if (line.charAt(i) != '}') {
          throw new IllegalArgumentException("line " + lineNo + ": expected , or } at " + i + ": " + line);
        }
      }
      i++;
    }
    if (i >= line.length() || line.charAt(i) != ' ') {
      throw new IllegalArgumentException("line " + lineNo + ": no value: " + line);
    }
    String[] rest = line.substring(i + 1).split(" ");
    if (rest.length > 2) {
      throw new IllegalArgumentException("line " + lineNo + ": trailing text: " + line);
    }
    return new Sample(name, labels, number(rest[0], lineNo));
  }

  private static double number(String s, int lineNo) {
    switch (s) {
      case "+Inf":
        return Double.POSITIVE_INFINITY;
      case "-Inf":
        return Double.NEGATIVE_INFINITY;
      case "NaN":
        return Double.NaN;
      default:
        try {
          return Double.parseDouble(s);
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException("line " + lineNo + ": not a number: " + s);
        }
    }
  }

  private static boolean isNameChar(char c, boolean first) {
    return c == '_' || c == ':' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (!first && c >= '0' && c <= '9');
  }

  public List<Sample> samples() {
    return samples;
  }

  /** The declared type of a metric family, e.g. {@code counter}. */
  public Optional<String> type(String family) {
    return Optional.ofNullable(types.get(family));
  }

  /**
   * The value of the one sample with this name whose labels include {@code labels} (given as
   * name, value, name, value...); empty when there is none. More than one is a test error.
   */
  public OptionalDouble value(String name, String... labels) {
    List<Sample> found = find(name, labels);
    if (found.size() > 1) {
      throw new IllegalArgumentException(found.size() + " samples match " + name + " " + List.of(labels));
    }
    return found.isEmpty() ? OptionalDouble.empty() : OptionalDouble.of(found.get(0).value());
  }

  /** The value, or 0 when the sample does not exist (a counter never incremented). */
  public double valueOrZero(String name, String... labels) {
    return value(name, labels).orElse(0);
  }

  public List<Sample> find(String name, String... labels) {
    List<Sample> out = new ArrayList<>();
    for (Sample s : samples) {
      if (!s.name().equals(name)) {
        continue;
      }
      boolean match = true;
      for (int i = 0; i + 1 < labels.length; i += 2) {
        if (!labels[i + 1].equals(s.labels().get(labels[i]))) {
          match = false;
        }
      }
      if (match) {
        out.add(s);
      }
    }
    return out;
  }
}
