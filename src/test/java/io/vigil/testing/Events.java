package io.vigil.testing;

import io.vigil.rules.Event;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Builds {@link Event}s for tests so they read as the scenario, e.g. {@code
 * Events.loginFailed("alice", "203.0.113.7").at(t0.plusSeconds(5))}. {@code at} ends the
 * builder: the event's time and receive time are both that instant, its id is unique and
 * its seq is higher than every event built before it.
 */
public final class Events {
  public static final String TENANT = "test";
  private static final AtomicLong SEQ = new AtomicLong();

  private Events() {}

  public static Builder of(String type) {
    return new Builder(type);
  }

  public static Builder loginFailed(String user, String ip) {
    return of("auth.login_failed").user(user).ip(ip);
  }

  public static Builder loginSucceeded(String user, String ip) {
    return of("auth.login_succeeded").user(user).ip(ip);
  }

  /** An event builder; every setter returns it, {@link #at} builds the event. */
  public static final class Builder {
    private final String type;
    private String source;
    private String severity;
    private String user;
    private String ip;
    private String host;
    private final Map<String, Object> attributes = new LinkedHashMap<>();

    private Builder(String type) {
      this.type = type;
    }

    public Builder source(String source) {
      this.source = source;
      return this;
    }

    public Builder severity(String severity) {
      this.severity = severity;
      return this;
    }

    public Builder user(String user) {
      this.user = user;
      return this;
    }

    public Builder ip(String ip) {
      this.ip = ip;
      return this;
    }

    public Builder host(String host) {
      this.host = host;
      return this;
    }

    /** Sets an attribute at a dot path: {@code attr("http.status", 500)} nests {@code http}. */
    @SuppressWarnings("unchecked")
    public Builder attr(String path, Object value) {
      String[] parts = path.split("\\.");
      Map<String, Object> map = attributes;
      for (int i = 0; i < parts.length - 1; i++) {
        map = (Map<String, Object>) map.computeIfAbsent(parts[i], k -> new LinkedHashMap<String, Object>());
      }
      map.put(parts[parts.length - 1], value);
      return this;
    }

    /** The event, happened and received at {@code time}. */
    public Event at(Instant time) {
      long seq = SEQ.incrementAndGet();
      long ms = time.toEpochMilli();
      return new Event(
          seq, TENANT, "evt-" + seq, type, ms, ms, source, severity, user, ip, host, new LinkedHashMap<>(attributes));
    }
  }
}
