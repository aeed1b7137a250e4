package io.vigil.store;

import io.vertx.core.Future;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.SqlClient;
import io.vertx.sqlclient.Tuple;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

/**
 * SQL for hourly rate limits: alerts let through to a channel per clock hour ({@code
 * channel_hour_counts}) and alerts held back per channel, hour and rule ({@code held_back}),
 * each counted in one statement so concurrent writers never let more through than the cap.
 * Every method runs in the caller's transaction.
 */
public final class HeldBackStore {
  /** Alert ids kept per held-back row, for the notice's payload; the count has them all. */
  public static final int MAX_ALERT_IDS = 100;

  private HeldBackStore() {}

  /**
   * Counts one alert let through to a channel in {@code hour}, unless {@code max} are
   * already counted there; answers whether it was let through.
   */
  public static Future<Boolean> admit(SqlClient tx, String tenant, String channel, Instant hour, int max) {
    return tx.preparedQuery(
            "INSERT INTO channel_hour_counts (tenant, channel, hour, alerts) VALUES ($1, $2, $3, 1)"
                + " ON CONFLICT (tenant, channel, hour) DO UPDATE SET alerts = channel_hour_counts.alerts + 1"
                + " WHERE channel_hour_counts.alerts < $4 RETURNING alerts")
        .execute(Tuple.of(tenant, channel, AlertStore.utc(hour), max))
        .map(rows -> rows.size() == 1);
  }

  /** Counts an alert held back from a channel in {@code hour}: by a rule's cap, or by the channel's when rule is "". */
  public static Future<Void> hold(SqlClient tx, String tenant, String channel, Instant hour, String rule, UUID alertId) {
    return tx.preparedQuery(
            "INSERT INTO held_back (tenant, channel, hour, rule, count, alert_ids) VALUES ($1, $2, $3, $4, 1, ARRAY[$5::uuid])"
                + " ON CONFLICT (tenant, channel, hour, rule) DO UPDATE SET count = held_back.count + 1,"
                + " alert_ids = CASE WHEN cardinality(held_back.alert_ids) < " + MAX_ALERT_IDS
                + " THEN held_back.alert_ids || $5::uuid ELSE held_back.alert_ids END")
        .execute(Tuple.of(tenant, channel, AlertStore.utc(hour), rule, alertId))
        .mapEmpty();
  }

  /**
   * Rows of hours that started at or before {@code lastEndedHour} and have no notice yet,
   * oldest first, locked until the transaction ends (rows another process holds are skipped).
   */
  public static Future<List<Held>> due(SqlClient tx, Instant lastEndedHour, int limit) {
    return tx.preparedQuery(
            "SELECT tenant, channel, hour, rule, count, alert_ids FROM held_back"
                + " WHERE noticed_at IS NULL AND hour <= $1 ORDER BY hour, tenant, channel, rule LIMIT $2"
                + " FOR UPDATE SKIP LOCKED")
        .execute(Tuple.of(AlertStore.utc(lastEndedHour), limit))
        .map(rows -> {
          List<Held> out = new ArrayList<>();
          for (Row r : rows) {
            UUID[] ids = r.getArrayOfUUIDs("alert_ids");
            out.add(new Held(r.getString("tenant"), r.getString("channel"),
                r.getOffsetDateTime("hour").toInstant(), r.getString("rule"), r.getInteger("count"),
                ids == null ? List.of() : Arrays.asList(ids)));
          }
          return out;
        });
  }

  /** Marks a row's notice as made (noticeId null when the channel takes none): it is never made again. */
  public static Future<Void> noticed(SqlClient tx, Held h, UUID noticeId, Instant now) {
    return tx.preparedQuery(
            "UPDATE held_back SET noticed_at = $5, notice_id = $6"
                + " WHERE tenant = $1 AND channel = $2 AND hour = $3 AND rule = $4")
        .execute(Tuple.of(h.tenant(), h.channel(), AlertStore.utc(h.hour()), h.rule(), AlertStore.utc(now), noticeId))
        .mapEmpty();
  }

  /** Forgets counts of hours before {@code before} (their notices, if any, are made). */
  public static Future<Void> prune(SqlClient tx, Instant before) {
    return tx.preparedQuery("DELETE FROM channel_hour_counts WHERE hour < $1")
        .execute(Tuple.of(AlertStore.utc(before)))
        .compose(v -> tx.preparedQuery("DELETE FROM held_back WHERE noticed_at IS NOT NULL AND hour < $1")
            .execute(Tuple.of(AlertStore.utc(before))))
        .mapEmpty();
  }

  /** One channel's held-back count for one hour; {@code rule} "" when the channel's own cap held them. */
  public record Held(String tenant, String channel, Instant hour, String rule, int count, List<UUID> alertIds) {}
}
