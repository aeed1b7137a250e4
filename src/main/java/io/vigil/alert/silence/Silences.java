package io.vigil.alert.silence;

import io.vertx.core.Future;
import io.vertx.sqlclient.SqlClient;
import io.vigil.store.AlertStore.NewDelivery;
import io.vigil.store.SilenceStore;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every tenant's silences that have not ended, in memory, so that writing an alert never
 * queries for them: loaded at start, updated by the API when one is created or ended,
 * pruned once they end. Readers see immutable lists that writers replace whole.
 */
public final class Silences {
  private static final Logger log = LoggerFactory.getLogger(Silences.class);
  public static final String REASON = "silenced";

  private final SilenceStore store;
  private final Map<String, List<Silence>> byTenant = new ConcurrentHashMap<>();

  public Silences(SilenceStore store) {
    this.store = store;
  }

  public SilenceStore store() {
    return store;
  }

  /** Reads every silence that has not ended at {@code now}; returns how many. */
  public Future<Integer> load(Instant now) {
    return store.current(now).map(all -> {
      byTenant.clear();
      int n = 0;
      for (SilenceStore.StoredSilence s : all) {
        try {
          put(SilenceParser.fromStored(s));
          n++;
        } catch (RuntimeException e) {
          log.error("silence {} of tenant {} cannot be read and is not applied: {}", s.id(), s.tenant(),
              e.getMessage());
        }
      }
      return n;
    });
  }

  /** Adds a silence, or replaces the one with its id (after it was ended, say). */
  public void put(Silence s) {
    byTenant.compute(s.tenant(), (t, old) -> {
      List<Silence> next = new ArrayList<>();
      if (old != null) {
        old.stream().filter(x -> !x.id().equals(s.id())).forEach(next::add);
      }
      next.add(s);
      return List.copyOf(next);
    });
  }

  public boolean any(String tenant) {
    return byTenant.containsKey(tenant);
  }

  /** The first silence (in creation order) of the tenant that is active at {@code now} and covers the alert. */
  public Optional<Silence> matching(String tenant, AlertFields alert, Instant now) {
    for (Silence s : byTenant.getOrDefault(tenant, List.of())) {
      if (s.activeAt(now) && s.matches(alert)) {
        return Optional.of(s);
      }
    }
    return Optional.empty();
  }

  /** The ids of every silence, of any tenant, active at {@code now}. */
  public Set<UUID> activeIds(Instant now) {
    Set<UUID> out = new LinkedHashSet<>();
    byTenant.values().forEach(list -> list.stream().filter(s -> s.activeAt(now)).forEach(s -> out.add(s.id())));
    return out;
  }

  /** Forgets silences that have ended at {@code now}: they can never match again. */
  public void prune(Instant now) {
    for (String tenant : List.copyOf(byTenant.keySet())) {
      byTenant.computeIfPresent(tenant, (t, list) -> {
        List<Silence> left = list.stream().filter(s -> s.endsAt().isAfter(now)).toList();
        return left.isEmpty() ? null : left;
      });
    }
  }

  /** The deliveries of a silenced raise: each one that would have been sent is skipped, reason {@code silenced}. */
  public static List<NewDelivery> held(List<NewDelivery> deliveries) {
    return deliveries.stream()
        .map(d -> "pending".equals(d.status()) ? new NewDelivery(d.channel(), "skipped", null, REASON) : d)
        .toList();
  }

  /** Records in the alert-writing transaction which silence holds the new alert back. */
  public Future<Void> hold(SqlClient tx, UUID alertId, Silence s) {
    return store.hold(tx, alertId, s.id());
  }
}
