package io.vigil.store;

import io.vertx.core.Future;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;

/** Which rules are switched off, kept across restarts. */
public final class RuleStateStore {
  private final Pool pool;

  public RuleStateStore(Pool pool) {
    this.pool = pool;
  }

  public Future<Set<String>> disabled() {
    return pool.query("SELECT rule FROM rule_states WHERE NOT enabled").execute().map(rows -> {
      Set<String> out = new HashSet<>();
      rows.forEach(r -> out.add(r.getString(0)));
      return out;
    });
  }

  public Future<Void> set(String rule, boolean enabled, String by, Instant at) {
    return pool.preparedQuery("INSERT INTO rule_states (rule, enabled, updated_at, updated_by) VALUES ($1, $2, $3, $4)"
            + " ON CONFLICT (rule) DO UPDATE SET enabled = EXCLUDED.enabled, updated_at = EXCLUDED.updated_at,"
            + " updated_by = EXCLUDED.updated_by")
        .execute(Tuple.of(rule, enabled, AlertStore.utc(at), by))
        .mapEmpty();
  }
}
