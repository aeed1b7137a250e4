package io.vigil.store;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * SQL for silences and for the alerts they hold back. Silences are never deleted: ending
 * one sets its end to now. Methods that take a {@link SqlClient} run inside the caller's
 * transaction; the alert updates only act on an alert still held by the silence named, so
 * running them twice, or from two places at once, changes an alert once.
 */
public final class SilenceStore {
  private static final String COLUMNS = "id, tenant, matchers::text, starts_at, ends_at, recurrence::text,"
      + " created_by, comment, created_key, created_at, updated_at, expired_by";
  private static final String HELD = "status = 'suppressed' AND suppressed_reason = 'silenced'";

  private final Pool pool;

  public SilenceStore(Pool pool) {
    this.pool = pool;
  }

  public Pool pool() {
    return pool;
  }

  public Future<Void> insert(StoredSilence s) {
    return pool.preparedQuery("INSERT INTO silences (id, tenant, matchers, starts_at, ends_at, recurrence, created_by,"
            + " comment, created_key, created_at, updated_at) VALUES ($1, $2, $3::text::jsonb, $4, $5, $6::text::jsonb,"
            + " $7, $8, $9, $10, $10)")
        .execute(Tuple.of(s.id(), s.tenant(), s.matchers().encode(), AlertStore.utc(s.startsAt()),
                AlertStore.utc(s.endsAt()), s.recurrence() == null ? null : s.recurrence().encode())
            .addString(s.createdBy()).addString(s.comment()).addString(s.createdKey())
            .addOffsetDateTime(AlertStore.utc(s.createdAt())))
        .mapEmpty();
  }

  public Future<Optional<StoredSilence>> get(String tenant, UUID id) {
    return pool.preparedQuery("SELECT " + COLUMNS + " FROM silences WHERE tenant = $1 AND id = $2")
        .execute(Tuple.of(tenant, id))
        .map(rows -> rows.size() == 0 ? Optional.<StoredSilence>empty() : Optional.of(of(rows.iterator().next())));
  }

  /**
   * A tenant's silences: {@code ended} null for all (newest first), true for those ended at
   * {@code now} (last ended first), false for those not ended (newest first).
   */
  public Future<List<StoredSilence>> list(String tenant, Boolean ended, Instant now, int limit) {
    if (ended == null) {
      return pool.preparedQuery("SELECT " + COLUMNS + " FROM silences WHERE tenant = $1"
              + " ORDER BY created_at DESC, id LIMIT $2")
          .execute(Tuple.of(tenant, limit))
          .map(SilenceStore::all);
    }
    return pool.preparedQuery("SELECT " + COLUMNS + " FROM silences WHERE tenant = $1"
            + (ended ? " AND ends_at <= $2 ORDER BY ends_at DESC, id"
                : " AND ends_at > $2 ORDER BY created_at DESC, id")
            + " LIMIT $3")
        .execute(Tuple.of(tenant, AlertStore.utc(now), limit))
        .map(SilenceStore::all);
  }

  /** Every tenant's silences that have not ended at {@code now}: what the alert path keeps in memory. */
  public Future<List<StoredSilence>> current(Instant now) {
    return pool.preparedQuery("SELECT " + COLUMNS + " FROM silences WHERE ends_at > $1 ORDER BY created_at, id")
        .execute(Tuple.of(AlertStore.utc(now)))
        .map(SilenceStore::all);
  }

  /**
   * Ends a tenant's silence at {@code now} (one not started yet starts and ends now); false
   * when the tenant has no such silence or it has already ended.
   */
  public Future<Boolean> expire(String tenant, UUID id, Instant now, String by) {
    return pool.preparedQuery("UPDATE silences SET ends_at = $3, starts_at = LEAST(starts_at, $3), expired_by = $4,"
            + " updated_at = $3 WHERE tenant = $1 AND id = $2 AND ends_at > $3")
        .execute(Tuple.of(tenant, id, AlertStore.utc(now), by))
        .map(rows -> rows.rowCount() > 0);
  }

  /** Marks a just-inserted alert as held back by {@code silence}. */
  public Future<Void> hold(SqlClient tx, UUID alertId, UUID silence) {
    return tx.preparedQuery("UPDATE alerts SET silence_id = $2 WHERE id = $1")
        .execute(Tuple.of(alertId, silence))
        .mapEmpty();
  }

  /** Up to {@code limit} alerts held by a silence that is not in {@code active}, oldest first. */
  public Future<List<HeldAlert>> heldByOthers(UUID[] active, int limit) {
    return pool.preparedQuery("SELECT id, tenant, rule, key, severity, tags, evidence::text, last_seen, silence_id"
            + " FROM alerts WHERE " + HELD + " AND NOT (silence_id = ANY($1)) ORDER BY aseq LIMIT $2")
        .execute(Tuple.of(active, limit))
        .map(rows -> {
          List<HeldAlert> out = new ArrayList<>();
          for (Row r : rows) {
            String[] tags = r.getArrayOfStrings("tags");
            out.add(new HeldAlert(r.getUUID("id"), r.getString("tenant"), r.getString("rule"), r.getString("key"),
                r.getString("severity"), tags == null ? List.of() : List.of(tags), r.getString("evidence"),
                r.getOffsetDateTime("last_seen").toInstant(), r.getUUID("silence_id")));
          }
          return out;
        });
  }

  /** Hands a held alert from silence {@code from} to {@code to}; false when {@code from} no longer holds it. */
  public Future<Boolean> reassign(SqlClient tx, UUID alertId, UUID from, UUID to, Instant now) {
    return tx.preparedQuery("UPDATE alerts SET silence_id = $3, updated_at = $4 WHERE id = $1 AND silence_id = $2 AND "
            + HELD)
        .execute(Tuple.of(alertId, from, to, AlertStore.utc(now)))
        .map(rows -> rows.rowCount() > 0);
  }

  /**
   * Makes an alert held by {@code from} active again (the silence id stays, as history);
   * false when {@code from} no longer holds it.
   */
  public Future<Boolean> release(SqlClient tx, UUID alertId, UUID from, Instant now) {
    return tx.preparedQuery("UPDATE alerts SET status = 'active', suppressed_reason = NULL, updated_at = $3"
            + " WHERE id = $1 AND silence_id = $2 AND " + HELD)
        .execute(Tuple.of(alertId, from, AlertStore.utc(now)))
        .map(rows -> rows.rowCount() > 0);
  }

  /**
   * Resolves an alert held by {@code from} that is no longer raised; it keeps its reason,
   * so it shows why it was never delivered. False when {@code from} no longer holds it.
   */
  public Future<Boolean> resolve(SqlClient tx, UUID alertId, UUID from, Instant now, String note) {
    return tx.preparedQuery("UPDATE alerts SET status = 'resolved', resolved_at = $3, resolved_by = 'vigil',"
            + " note = COALESCE(note, $4), updated_at = $3 WHERE id = $1 AND silence_id = $2 AND " + HELD)
        .execute(Tuple.of(alertId, from, AlertStore.utc(now), note))
        .map(rows -> rows.rowCount() > 0);
  }

  /** The channels an alert's raise was held back from (its deliveries skipped as {@code silenced}). */
  public Future<List<String>> silencedChannels(SqlClient tx, UUID alertId) {
    return tx.preparedQuery("SELECT channel FROM deliveries WHERE alert_id = $1 AND kind = 'raised'"
            + " AND status = 'skipped' AND reason = 'silenced' ORDER BY created_at, channel")
        .execute(Tuple.of(alertId))
        .map(AlertStore::distinctChannels);
  }

  private static List<StoredSilence> all(Iterable<Row> rows) {
    List<StoredSilence> out = new ArrayList<>();
    rows.forEach(r -> out.add(of(r)));
    return out;
  }

  private static StoredSilence of(Row r) {
    String recurrence = r.getString("recurrence");
    return new StoredSilence(r.getUUID("id"), r.getString("tenant"), new JsonArray(r.getString("matchers")),
        r.getOffsetDateTime("starts_at").toInstant(), r.getOffsetDateTime("ends_at").toInstant(),
        recurrence == null ? null : new JsonObject(recurrence), r.getString("created_by"), r.getString("comment"),
        r.getString("created_key"), r.getOffsetDateTime("created_at").toInstant(),
        r.getOffsetDateTime("updated_at").toInstant(), r.getString("expired_by"));
  }

  /** A silence row: matchers and recurrence as the API takes them ({@code recurrence} null when none). */
  public record StoredSilence(
      UUID id, String tenant, JsonArray matchers, Instant startsAt, Instant endsAt, JsonObject recurrence,
      String createdBy, String comment, String createdKey, Instant createdAt, Instant updatedAt, String expiredBy) {}

  /** An alert a silence holds back, with what matching and releasing it needs. */
  public record HeldAlert(
      UUID id, String tenant, String rule, String key, String severity, List<String> tags, String evidenceJson,
      Instant lastSeen, UUID silenceId) {}
}
