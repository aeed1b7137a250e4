package io.vigil.alert.silence;

import io.vigil.alert.silence.MaintenanceWindow.Window;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

/**
 * A silence: while it is active, new alerts of its tenant that every matcher accepts are
 * stored {@code suppressed} and not delivered. It is active from {@code startsAt}
 * (inclusive) to {@code endsAt} (exclusive), and, when it recurs, only inside its
 * maintenance windows. Matchers on the alert's own fields must all hold; matchers on
 * evidence events ({@code event.*}) must all hold for one and the same evidence event.
 */
public record Silence(
    UUID id,
    String tenant,
    List<SilenceMatcher> matchers,
    Instant startsAt,
    Instant endsAt,
    Optional<MaintenanceWindow> recurrence,
    String createdBy,
    String comment,
    String createdKey,
    Instant createdAt,
    Instant updatedAt,
    String expiredBy) {

  /** Where a silence is in its life, as the API shows it. */
  public enum Status {
    PENDING,
    ACTIVE,
    EXPIRED;

    public String label() {
      return name().toLowerCase(Locale.ROOT);
    }

    public static Optional<Status> parse(String s) {
      for (Status v : values()) {
        if (v.label().equals(s)) {
          return Optional.of(v);
        }
      }
      return Optional.empty();
    }
  }

  public boolean activeAt(Instant t) {
    return !t.isBefore(startsAt) && t.isBefore(endsAt) && recurrence.map(r -> r.at(t).isPresent()).orElse(true);
  }

  /**
   * {@code expired} from {@code endsAt} on; {@code active} while it silences; otherwise
   * {@code pending} (not started yet, or between two maintenance windows).
   */
  public Status status(Instant t) {
    if (!t.isBefore(endsAt)) {
      return Status.EXPIRED;
    }
    return activeAt(t) ? Status.ACTIVE : Status.PENDING;
  }

  /**
   * For a recurring silence, the maintenance window in effect at {@code t} or the next one,
   * cut to the silence's own start and end; empty when none is left.
   */
  public Optional<Window> window(Instant t) {
    if (recurrence.isEmpty() || !t.isBefore(endsAt)) {
      return Optional.empty();
    }
    Instant from = t.isBefore(startsAt) ? startsAt : t;
    return recurrence.get().currentOrNext(from)
        .filter(w -> w.start().isBefore(endsAt))
        .map(w -> new Window(w.start().isBefore(startsAt) ? startsAt : w.start(),
            w.end().isAfter(endsAt) ? endsAt : w.end()));
  }

  /** Whether the silence covers this alert (whatever the time). */
  public boolean matches(AlertFields a) {
    boolean onEvents = false;
    for (SilenceMatcher m : matchers) {
      if (m.onEvent()) {
        onEvents = true;
      } else if (!m.matchesAlert(a)) {
        return false;
      }
    }
    if (!onEvents) {
      return true;
    }
    // An alert without evidence is matched as one event with no fields.
    List<Map<String, Object>> events = a.events().isEmpty() ? List.of(Map.of()) : a.events();
    for (Map<String, Object> e : events) {
      if (matchers.stream().filter(SilenceMatcher::onEvent).allMatch(m -> m.matchesEvent(e))) {
        return true;
      }
    }
    return false;
  }
}
