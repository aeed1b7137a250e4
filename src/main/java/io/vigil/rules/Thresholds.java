package io.vigil.rules;

import io.vigil.config.Durations;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * The {@code thresholds} global: "N matching events within a window, per key", counted by
 * Vigil rather than by a Drools accumulate, and called inside the trigger pattern:
 *
 * <pre>
 * $e : Event(type == "auth.login_failed", ip != null,
 *            thresholds.hit("Brute force login", ip, this, 5, "1m", "10m"))
 * </pre>
 *
 * <p>Semantics: {@code hit} is true on the Nth matching event within the window for a key
 * (event times, measured against the engine clock), and then not again for that key until
 * the cooldown has passed on the engine clock. Counting is idempotent per rule, key and
 * event: Drools re-evaluates existing events when rules are reloaded, and an event already
 * counted is never counted again nor fires again. The counts live in this object, one per
 * tenant session, so they survive a hot reload (a rule whose window or count changed keeps
 * them) and are rebuilt by the journal replay after a restart. Keys idle for longer than
 * their window and cooldown are forgotten.
 *
 * <p>One instance per session, used only from that session's thread.
 */
public final class Thresholds {
  private static final Map<String, Long> DURATIONS = new ConcurrentHashMap<>();

  private final LongSupplier clock;
  private final Map<String, Map<String, Counter>> rules = new HashMap<>();

  /** {@code clock} is the session's engine clock in epoch milliseconds. */
  public Thresholds(LongSupplier clock) {
    this.clock = clock;
  }

  /**
   * Counts {@code event} for {@code rule} and {@code key}; true exactly when this event is
   * the {@code count}th within {@code within} and the key is not in its {@code cooldown}.
   * {@code rule} names the counter: pass the rule's own name.
   */
  public boolean hit(String rule, Object key, Event event, int count, String within, String cooldown) {
    long windowMs = millis(within);
    long cooldownMs = millis(cooldown);
    String k = key == null ? "" : key.toString();
    Counter c = rules.computeIfAbsent(rule, r -> new HashMap<>()).computeIfAbsent(k, x -> new Counter());
    c.windowMs = windowMs;
    c.cooldownMs = cooldownMs;
    long seq = event.getSeq();
    if (seq > 0) {
      if (seq <= c.lastSeq) {
        return false; // seen before: a re-evaluation after a reload
      }
      c.lastSeq = seq;
    }
    long now = clock.getAsLong();
    c.lastSeenAt = now;
    long horizon = now - windowMs;
    if (event.getTime() <= horizon) {
      return false;
    }
    c.add(event.getTime(), Math.max(1, count), horizon);
    if (c.size >= count && (c.firedAt == Long.MIN_VALUE || now - c.firedAt >= cooldownMs)) {
      c.firedAt = now;
      return true;
    }
    return false;
  }

  /** Forgets keys with nothing left in their window and no cooldown running. */
  public void evictIdle() {
    long now = clock.getAsLong();
    Iterator<Map.Entry<String, Map<String, Counter>>> rit = rules.entrySet().iterator();
    while (rit.hasNext()) {
      Map<String, Counter> keys = rit.next().getValue();
      keys.values().removeIf(c -> now - c.lastSeenAt >= c.windowMs
          && (c.firedAt == Long.MIN_VALUE || now - c.firedAt >= c.cooldownMs));
      if (keys.isEmpty()) {
        rit.remove();
      }
    }
  }

  /** Keys currently counted, over all rules. */
  public int keyCount() {
    return rules.values().stream().mapToInt(Map::size).sum();
  }

  private static long millis(String duration) {
    return DURATIONS.computeIfAbsent(duration, d -> Durations.parse(d).toMillis());
  }

  /** The newest {@code count} event times of one key, oldest first. */
  private static final class Counter {
    long[] times = new long[4];
    int size;
    long lastSeq;
    long lastSeenAt;
    long firedAt = Long.MIN_VALUE;
    long windowMs;
    long cooldownMs;

    void add(long time, int count, long horizon) {
      int keep = 0;
      for (int i = 0; i < size; i++) {
        if (times[i] > horizon) {
          times[keep++] = times[i];
        }
      }
      size = keep;
      if (times.length < count + 1) {
        long[] grown = new long[count + 1];
        System.arraycopy(times, 0, grown, 0, size);
        times = grown;
      }
      int at = size;
      while (at > 0 && times[at - 1] > time) {
        times[at] = times[at - 1];
        at--;
      }
      times[at] = time;
      size++;
      if (size > count) {
        System.arraycopy(times, size - count, times, 0, count);
        size = count;
      }
    }
  }
}
