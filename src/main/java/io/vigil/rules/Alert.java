package io.vigil.rules;

/**
 * An alert raised in this tenant's session, inserted as a CEP event at the moment of the
 * raise so rules can express cooldowns and inhibition as patterns, e.g. {@code not
 * Alert(rule == "Brute force login", key == $ip) over window:time(10m)}. Its time is the
 * session clock at the raise, not the triggering event's time (which would end a cooldown
 * early for late events).
 */
public final class Alert {
  private final String tenant;
  private final String rule;
  private final String key;
  private final String severity;
  private final long time;

  public Alert(String tenant, String rule, String key, String severity, long time) {
    this.tenant = tenant;
    this.rule = rule;
    this.key = key;
    this.severity = severity;
    this.time = time;
  }

  public String getTenant() {
    return tenant;
  }

  public String getRule() {
    return rule;
  }

  public String getKey() {
    return key;
  }

  public String getSeverity() {
    return severity;
  }

  /** Session clock at the raise, epoch milliseconds. */
  public long getTime() {
    return time;
  }

  @Override
  public String toString() {
    return "Alert{" + rule + " key=" + key + " time=" + time + "}";
  }
}
