package io.vigil.rules;

import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * An ingested event as rules see it: a CEP event whose timestamp is {@link #getTime()}
 * (epoch milliseconds). Typed fields have getters, so DRL reads {@code Event(type ==
 * "auth.login_failed", $ip : ip)}; everything else is reachable by path through {@link
 * #field(String)}, e.g. {@code field("http.status") >= 500}.
 *
 * <p>Immutable: the engine shares one instance between every rule and window.
 */
public final class Event {
  private final long seq;
  private final String tenant;
  private final String id;
  private final String type;
  private final long time;
  private final long receivedAt;
  private final String source;
  private final String severity;
  private final String user;
  private final String ip;
  private final String host;
  private final Map<String, Object> attributes;

  public Event(
      long seq,
      String tenant,
      String id,
      String type,
      long time,
      long receivedAt,
      String source,
      String severity,
      String user,
      String ip,
      String host,
      Map<String, Object> attributes) {
    this.seq = seq;
    this.tenant = tenant;
    this.id = id;
    this.type = Objects.requireNonNull(type, "type");
    this.time = time;
    this.receivedAt = receivedAt;
    this.source = source;
    this.severity = severity;
    this.user = user;
    this.ip = ip;
    this.host = host;
    this.attributes = attributes == null ? Map.of() : attributes;
  }

  /** The same event at a journal position; used by the journal once the event is committed. */
  public Event withSeq(long journalSeq) {
    return new Event(journalSeq, tenant, id, type, time, receivedAt, source, severity, user, ip, host, attributes);
  }

  /** The event's position in the journal (0 for events that were never stored). */
  public long getSeq() {
    return seq;
  }

  public String getTenant() {
    return tenant;
  }

  public String getId() {
    return id;
  }

  public String getType() {
    return type;
  }

  /** Event time in epoch milliseconds: the client's {@code time}, or when it was received. */
  public long getTime() {
    return time;
  }

  /** When Vigil accepted the event, epoch milliseconds. */
  public long getReceivedAt() {
    return receivedAt;
  }

  public String getSource() {
    return source;
  }

  /** One of info, low, medium, high, critical, emergency; null when the event has none. */
  public String getSeverity() {
    return severity;
  }

  /** The severity's rank (info = 0 ... emergency = 5), or -1 when the event has none. */
  public int getSeverityRank() {
    return Severity.parse(severity).map(Enum::ordinal).orElse(-1);
  }

  /** True when the event's severity is at least the given one, e.g. {@code severityAtLeast("high")}. */
  public boolean severityAtLeast(String minimum) {
    int min = Severity.parse(minimum).map(Enum::ordinal).orElse(Integer.MAX_VALUE);
    return getSeverityRank() >= min;
  }

  public String getUser() {
    return user;
  }

  public String getIp() {
    return ip;
  }

  public String getHost() {
    return host;
  }

  /**
   * Who or what the event is about, for alert keys: the IP, else the user, else the host,
   * else the source; empty when the event has none of them.
   */
  public String getOrigin() {
    return ip != null ? ip : user != null ? user : host != null ? host : source != null ? source : "";
  }

  /** Every field beyond the typed ones, as parsed from JSON (maps, lists, strings, numbers). */
  public Map<String, Object> getAttributes() {
    return attributes;
  }

  /**
   * The attribute at a dot path ({@code "http.status"}, {@code "items.0.name"}), or null
   * when any part is absent. Numbers are Java numbers, so {@code field("http.status") ==
   * 500} and {@code > 400} compare as numbers.
   */
  public Object field(String path) {
    Object current = attributes;
    int start = 0;
    while (current != null) {
      int dot = path.indexOf('.', start);
      String part = dot < 0 ? path.substring(start) : path.substring(start, dot);
      if (current instanceof Map<?, ?> map) {
        current = map.get(part);
      } else if (current instanceof List<?> list) {
        current = index(list, part);
      } else {
        return null;
      }
      if (dot < 0) {
        return current;
      }
      start = dot + 1;
    }
    return null;
  }

  private static Object index(List<?> list, String part) {
    try {
      int i = Integer.parseInt(part);
      return i >= 0 && i < list.size() ? list.get(i) : null;
    } catch (NumberFormatException e) {
      return null;
    }
  }

  @Override
  public String toString() {
    return "Event{" + type + " id=" + id + " time=" + time + (ip == null ? "" : " ip=" + ip)
        + (user == null ? "" : " user=" + user) + "}";
  }
}
