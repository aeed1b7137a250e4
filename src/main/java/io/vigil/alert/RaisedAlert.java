package io.vigil.alert;

import io.vigil.rules.Event;
import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * What the engine hands to the alert stage for one raise: the rule's policy resolved from
 * its metadata, and whether the raise fell inside the rule's {@code @cooldown} (then it
 * only counts an occurrence). {@code eventSeq} is the journal position of the event being
 * processed when the rule fired (0 when a timer fired it). {@code rateLimited}: the rule's
 * {@code @max_alerts_per_hour} was reached, so a new alert is stored suppressed, undelivered.
 * {@code resolveAfter} and {@code repeat} are the rule's {@code @resolve_after} and {@code
 * @repeat} (empty: the configured default). With {@code resolvedBy} set this is not a raise
 * but a clear: the open alert of {@code rule} and {@code key} is resolved by that rule.
 */
public record RaisedAlert(
    String tenant,
    String rule,
    String key,
    String severity,
    String summary,
    List<String> tags,
    List<String> channels,
    Optional<String> template,
    List<Event> evidence,
    long time,
    long eventSeq,
    Duration cooldown,
    boolean withinCooldown,
    boolean rateLimited,
    Optional<Duration> resolveAfter,
    Optional<Duration> repeat,
    Optional<String> resolvedBy) {

  public boolean isClear() {
    return resolvedBy.isPresent();
  }

  /** The identity of the alert this raise opens or counts on (a clear: the one it resolves). */
  public String fingerprint() {
    return Fingerprint.of(tenant, rule, key);
  }
}
