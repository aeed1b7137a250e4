package io.vigil.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vigil.config.ConfigLoader;
import io.vigil.config.VigilConfig;
import io.vigil.testing.TestDatabase;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The delivery outbox against a real PostgreSQL. Invariants: a pending row is held by at most
 * one worker at a time (claims never overlap, a lease keeps a claimed row away from others
 * until it passes), only the worker holding the current attempt can record an outcome, and
 * rows that are delivered, failed or not yet due are never claimed. Time is passed in as
 * instants; nothing sleeps.
 */
class OutboxIT {
  private static final Instant T = Instant.parse("2026-03-01T10:00:00Z");

  Vertx vertx;
  VigilConfig config;
  Database database;
  Pool pool;
  AlertStore alerts;
  Outbox outbox;
  int fingerprints;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    config = ConfigLoader.load(null, Map.of("VIGIL_DB_URL", TestDatabase.url()));
    database = get(Database.start(vertx, config));
    pool = database.pool();
    alerts = new AlertStore(pool);
    outbox = new Outbox(pool);
    TestDatabase.truncate();
  }

  @AfterEach
  void stop() throws Exception {
    try {
      if (database != null) {
        get(database.stop());
      }
    } finally {
      get(vertx.close());
    }
  }

  static <T> T get(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  /** Inserts an active alert with the given deliveries, written (and due) at {@code now}; returns their ids. */
  List<UUID> alertWith(Instant now, List<AlertStore.NewDelivery> deliveries) throws Exception {
    AlertStore.NewAlert alert = new AlertStore.NewAlert(
        "acme", "Brute force login", "203.0.113.7", "fp-" + (++fingerprints), "high", "active",
        "5 failed logins from 203.0.113.7", List.of("auth", "ssh"), null, "[]", now, 0, now, null, Duration.ZERO,
        Duration.ZERO);
    UUID alertId = get(pool.withTransaction(tx -> alerts.insert(tx, alert, deliveries)));
    List<UUID> ids = new ArrayList<>();
    for (Map<String, Object> row :
        TestDatabase.query("SELECT id FROM deliveries WHERE alert_id = ? ORDER BY channel", alertId)) {
      ids.add((UUID) row.get("id"));
    }
    return ids;
  }

  UUID pendingDelivery(Instant now) throws Exception {
    return alertWith(now, List.of(new AlertStore.NewDelivery("secops-webhook", "pending", null, null))).get(0);
  }

  static Map<String, Object> row(UUID id) {
    return TestDatabase.query("SELECT * FROM deliveries WHERE id = ?", id).get(0);
  }

  static Instant instant(Object timestamp) {
    return timestamp == null ? null : ((Timestamp) timestamp).toInstant();
  }

  List<Outbox.Claimed> claim(Outbox o, Instant now) throws Exception {
    return get(o.claim(now, now.plusSeconds(60), 10));
  }

  /** Claims batches of 10 until a claim comes back empty; returns every id claimed, in order. */
  static Future<List<UUID>> drain(Outbox o, Instant now, List<UUID> into) {
    return o.claim(now, now.plusSeconds(60), 10)
        .compose(batch -> {
          if (batch.isEmpty()) {
            return Future.succeededFuture(into);
          }
          batch.forEach(c -> into.add(c.id()));
          return drain(o, now, into);
        });
  }

  @Test
  @DisplayName("two outboxes on separate pools claiming at once never get the same row and together get every row once")
  void concurrent_claims_never_overlap() throws Exception {
    Database second = get(Database.start(vertx, config));
    try {
      Outbox[] workers = {new Outbox(pool), new Outbox(second.pool())};
      for (int round = 0; round < 5; round++) {
        TestDatabase.truncate();
        Set<UUID> due = new HashSet<>();
        for (int i = 0; i < 40; i++) {
          due.addAll(alertWith(T, List.of(
              new AlertStore.NewDelivery("email", "pending", null, null),
              new AlertStore.NewDelivery("log", "pending", null, null),
              new AlertStore.NewDelivery("pagerduty", "pending", null, null),
              new AlertStore.NewDelivery("slack", "pending", null, null),
              new AlertStore.NewDelivery("webhook", "pending", null, null))));
        }
        assertEquals(200, due.size());

        // Each outbox runs three claim loops at once, as a worker with concurrency 3 would.
        List<Future<List<UUID>>> loops = new ArrayList<>();
        for (Outbox w : workers) {
          for (int l = 0; l < 3; l++) {
            loops.add(drain(w, T, new ArrayList<>()));
          }
        }
        get(Future.all(loops));

        Set<UUID> claimed = new HashSet<>();
        int total = 0;
        for (Future<List<UUID>> loop : loops) {
          for (UUID id : loop.result()) {
            assertTrue(claimed.add(id), "round " + round + ": row " + id + " was claimed twice");
            total++;
          }
        }
        assertEquals(200, total, "round " + round);
        assertEquals(due, claimed, "round " + round + ": every due row is claimed");
        assertEquals(200, TestDatabase.count(
            "SELECT count(*) FROM deliveries WHERE attempts = 1 AND lease_until = ?",
            T.plusSeconds(60).atOffset(ZoneOffset.UTC)), "round " + round + ": each row was claimed exactly once");
      }
    } finally {
      get(second.stop());
    }
  }

  @Test
  @DisplayName("a claim returns the delivery with its alert and counts the attempt")
  void claim_returns_delivery_and_alert() throws Exception {
    UUID id = pendingDelivery(T);

    List<Outbox.Claimed> claimed = claim(outbox, T);

    assertEquals(1, claimed.size());
    Outbox.Claimed c = claimed.get(0);
    assertEquals(id, c.id());
    assertEquals("acme", c.tenant());
    assertEquals("secops-webhook", c.channel());
    assertEquals("raised", c.kind());
    assertEquals(1, c.attempt());
    assertEquals("Brute force login", c.alert().getString("rule"));
    assertEquals("203.0.113.7", c.alert().getString("key"));
    assertEquals("high", c.alert().getString("severity"));
    assertEquals("active", c.alert().getString("status"));
    assertEquals(List.of("auth", "ssh"), c.alert().getJsonArray("tags").getList());
    assertEquals(T.toString(), c.alert().getString("first_seen"));
    assertEquals(1, c.alert().getInteger("occurrences"));
    Map<String, Object> row = row(id);
    assertEquals(1, row.get("attempts"));
    assertEquals(T.plusSeconds(60), instant(row.get("lease_until")));
  }

  @Test
  @DisplayName("a claimed row is not claimable again until its lease passes, and the next claim is attempt 2")
  void lease_keeps_a_claimed_row_away() throws Exception {
    UUID id = pendingDelivery(T);
    List<Outbox.Claimed> first = get(outbox.claim(T, T.plusSeconds(60), 10));
    assertEquals(1, first.size());
    assertEquals(1, first.get(0).attempt());

    assertEquals(List.of(), get(outbox.claim(T.plusSeconds(30), T.plusSeconds(90), 10)));
    assertEquals(1, row(id).get("attempts"), "an empty claim counts no attempt");

    List<Outbox.Claimed> second = get(outbox.claim(T.plusSeconds(61), T.plusSeconds(121), 10));
    assertEquals(1, second.size());
    assertEquals(id, second.get(0).id());
    assertEquals(2, second.get(0).attempt());
    assertEquals(2, row(id).get("attempts"));
    assertEquals(T.plusSeconds(121), instant(row(id).get("lease_until")));
  }

  @Test
  @DisplayName("a row is not claimed before it is due, and due rows are claimed oldest first")
  void only_due_rows_are_claimed_oldest_first() throws Exception {
    UUID later = pendingDelivery(T.plusSeconds(10));
    UUID earlier = pendingDelivery(T);

    assertEquals(List.of(), claim(outbox, T.minusSeconds(1)));
    List<Outbox.Claimed> one = get(outbox.claim(T.plusSeconds(20), T.plusSeconds(80), 1));
    assertEquals(List.of(earlier), one.stream().map(Outbox.Claimed::id).toList());
    List<Outbox.Claimed> next = get(outbox.claim(T.plusSeconds(20), T.plusSeconds(80), 1));
    assertEquals(List.of(later), next.stream().map(Outbox.Claimed::id).toList());
  }

  @Test
  @DisplayName("a retry recorded as pending with a later next attempt stays invisible until then")
  void pending_with_next_attempt_waits() throws Exception {
    UUID id = pendingDelivery(T);
    assertEquals(1, claim(outbox, T).size());

    get(outbox.recordAll(List.of(
        new Outbox.Outcome(id, 1, T, T.plusSeconds(1), "pending", "retry", 503, "HTTP 503", T.plusSeconds(300)))));

    Map<String, Object> row = row(id);
    assertEquals("pending", row.get("status"));
    assertNull(row.get("lease_until"), "recording an outcome releases the lease");
    assertEquals("HTTP 503", row.get("last_error"));
    assertEquals(503, row.get("last_status_code"));
    assertEquals(T.plusSeconds(300), instant(row.get("next_attempt_at")));
    assertNull(row.get("delivered_at"));
    List<Map<String, Object>> attempts =
        TestDatabase.query("SELECT attempt, outcome, status_code, error FROM delivery_attempts WHERE delivery_id = ?", id);
    assertEquals(List.of(Map.of("attempt", 1, "outcome", "retry", "status_code", 503, "error", "HTTP 503")), attempts);

    assertEquals(List.of(), claim(outbox, T.plusSeconds(120)));
    assertEquals(List.of(), claim(outbox, T.plusSeconds(299)));
    List<Outbox.Claimed> retry = claim(outbox, T.plusSeconds(300));
    assertEquals(1, retry.size());
    assertEquals(2, retry.get(0).attempt());
  }

  @Test
  @DisplayName("recording delivered sets delivered_at, adds an attempt row, and the row is never claimed again")
  void delivered_is_final() throws Exception {
    UUID id = pendingDelivery(T);
    assertEquals(1, claim(outbox, T).size());
    assertEquals(1, get(outbox.pendingCount()));

    get(outbox.recordAll(List.of(
        new Outbox.Outcome(id, 1, T, T.plusSeconds(2), "delivered", "delivered", 200, null, null))));

    Map<String, Object> row = row(id);
    assertEquals("delivered", row.get("status"));
    assertEquals(T.plusSeconds(2), instant(row.get("delivered_at")));
    assertNull(row.get("lease_until"));
    assertNull(row.get("last_error"));
    assertEquals(200, row.get("last_status_code"));
    List<Map<String, Object>> attempts = TestDatabase.query(
        "SELECT attempt, started_at, finished_at, outcome FROM delivery_attempts WHERE delivery_id = ?", id);
    assertEquals(1, attempts.size());
    assertEquals(1, attempts.get(0).get("attempt"));
    assertEquals(T, instant(attempts.get(0).get("started_at")));
    assertEquals(T.plusSeconds(2), instant(attempts.get(0).get("finished_at")));
    assertEquals("delivered", attempts.get(0).get("outcome"));
    assertEquals(0, get(outbox.pendingCount()));
    assertEquals(List.of(), claim(outbox, T.plusSeconds(86_400)));
  }

  @Test
  @DisplayName("a stale worker's record for an old attempt changes nothing; the current attempt's record does")
  void stale_worker_cannot_record() throws Exception {
    UUID id = pendingDelivery(T);
    assertEquals(1, claim(outbox, T).get(0).attempt());
    // The first worker's lease passes; another worker takes the row.
    assertEquals(2, get(outbox.claim(T.plusSeconds(61), T.plusSeconds(121), 10)).get(0).attempt());
    Map<String, Object> held = row(id);

    // The first worker comes back and would give the delivery up.
    get(outbox.recordAll(List.of(
        new Outbox.Outcome(id, 1, T, T.plusSeconds(62), "failed", "failed", 400, "HTTP 400", null))));

    assertEquals(held, row(id), "the delivery row is untouched by the stale attempt");
    assertEquals("pending", row(id).get("status"));
    assertEquals(2, row(id).get("attempts"));
    assertEquals(T.plusSeconds(121), instant(row(id).get("lease_until")), "the second worker keeps its lease");
    assertEquals(List.of(), claim(outbox, T.plusSeconds(90)), "nobody else can take the row meanwhile");

    get(outbox.recordAll(List.of(
        new Outbox.Outcome(id, 2, T.plusSeconds(61), T.plusSeconds(63), "delivered", "delivered", 200, null, null))));

    Map<String, Object> done = row(id);
    assertEquals("delivered", done.get("status"));
    assertEquals(T.plusSeconds(63), instant(done.get("delivered_at")));
    assertNull(done.get("lease_until"));
    assertNull(done.get("last_error"));
    assertEquals(200, done.get("last_status_code"));
    // Both sends really happened, so both stay in the attempt history.
    List<Map<String, Object>> attempts = TestDatabase.query(
        "SELECT attempt, outcome FROM delivery_attempts WHERE delivery_id = ? ORDER BY attempt", id);
    assertEquals(List.of(Map.of("attempt", 1, "outcome", "failed"), Map.of("attempt", 2, "outcome", "delivered")),
        attempts);
  }

  @Test
  @DisplayName("rows that are failed or delivered are never claimed, however late the claim")
  void failed_and_delivered_rows_are_never_claimed() throws Exception {
    List<UUID> ids = alertWith(T, List.of(
        new AlertStore.NewDelivery("a-failed", "failed", "unknown channel", null),
        new AlertStore.NewDelivery("b-delivered", "pending", null, null),
        new AlertStore.NewDelivery("c-pending", "pending", null, null)));
    UUID failed = ids.get(0);
    UUID delivered = ids.get(1);
    UUID pending = ids.get(2);
    TestDatabase.update("UPDATE deliveries SET status = 'delivered', delivered_at = ? WHERE id = ?",
        T.atOffset(ZoneOffset.UTC), delivered);
    assertEquals("failed", row(failed).get("status"));
    assertEquals("unknown channel", row(failed).get("last_error"));

    List<Outbox.Claimed> claimed = claim(outbox, T.plusSeconds(365L * 86_400));

    assertEquals(List.of(pending), claimed.stream().map(Outbox.Claimed::id).toList());
    assertEquals(0, row(failed).get("attempts"));
    assertEquals(0, row(delivered).get("attempts"));
    assertEquals(1, get(outbox.pendingCount()));
  }

  @Test
  @DisplayName("outcomes recorded together in one batch land exactly as each recorded alone, a stale one included")
  void record_all_is_each_record() throws Exception {
    List<UUID> ids = alertWith(T, List.of(
        new AlertStore.NewDelivery("a-ok", "pending", null, null),
        new AlertStore.NewDelivery("b-retry", "pending", null, null),
        new AlertStore.NewDelivery("c-gone", "pending", null, null),
        new AlertStore.NewDelivery("d-stale", "pending", null, null)));
    assertEquals(4, claim(outbox, T).size());
    // d's lease passes and another worker takes it: attempt 2 is d's current one.
    TestDatabase.update("UPDATE deliveries SET attempts = 2 WHERE id = ?", ids.get(3));
    Map<String, Object> staleBefore = row(ids.get(3));

    get(outbox.recordAll(List.of(
        new Outbox.Outcome(ids.get(0), 1, T, T.plusSeconds(1), "delivered", "delivered", 200, null, null),
        new Outbox.Outcome(ids.get(1), 1, T, T.plusSeconds(2), "pending", "retry", 503, "HTTP 503", T.plusSeconds(90)),
        new Outbox.Outcome(ids.get(2), 1, T, T.plusSeconds(3), "failed", "failed", 410, "HTTP 410", null),
        new Outbox.Outcome(ids.get(3), 1, T, T.plusSeconds(4), "failed", "failed", 400, "HTTP 400", null))));

    assertEquals("delivered", row(ids.get(0)).get("status"));
    assertEquals(T.plusSeconds(1), instant(row(ids.get(0)).get("delivered_at")));
    assertEquals("pending", row(ids.get(1)).get("status"));
    assertEquals(T.plusSeconds(90), instant(row(ids.get(1)).get("next_attempt_at")));
    assertEquals("HTTP 503", row(ids.get(1)).get("last_error"));
    assertEquals("failed", row(ids.get(2)).get("status"));
    assertEquals(410, row(ids.get(2)).get("last_status_code"));
    assertEquals(staleBefore, row(ids.get(3)), "the stale attempt's outcome leaves its row alone");
    for (UUID id : ids.subList(0, 3)) {
      assertNull(row(id).get("lease_until"), "every current outcome ends its lease");
    }
    List<Map<String, Object>> attempts = TestDatabase.query(
        "SELECT d.channel, t.outcome, t.status_code FROM delivery_attempts t JOIN deliveries d ON d.id = t.delivery_id"
            + " ORDER BY d.channel");
    assertEquals(List.of(
        Map.of("channel", "a-ok", "outcome", "delivered", "status_code", 200),
        Map.of("channel", "b-retry", "outcome", "retry", "status_code", 503),
        Map.of("channel", "c-gone", "outcome", "failed", "status_code", 410),
        Map.of("channel", "d-stale", "outcome", "failed", "status_code", 400)), attempts,
        "each send that happened is in the history, the stale one too");
  }

  @Test
  @DisplayName("a digest's outcome, recorded in a batch, is also that of the deliveries it carried; others are untouched")
  void digest_outcome_settles_what_it_carried() throws Exception {
    UUID digest = UUID.randomUUID();
    get(pool.withTransaction(tx -> Outbox.enqueue(tx, digest, "acme", "secops-webhook", "digest",
        new io.vertx.core.json.JsonObject().put("count", 2), T)));
    List<UUID> carried = alertWith(T, List.of(new AlertStore.NewDelivery("secops-webhook", "held", null, "digest_pending")));
    List<UUID> other = alertWith(T, List.of(new AlertStore.NewDelivery("secops-webhook", "held", null, "digest_pending")));
    TestDatabase.update("UPDATE deliveries SET digest_id = ? WHERE id = ?", digest, carried.get(0));
    assertEquals(List.of(digest), claim(outbox, T).stream().map(Outbox.Claimed::id).toList());

    get(outbox.recordAll(List.of(
        new Outbox.Outcome(digest, 1, T, T.plusSeconds(1), "failed", "failed", 400, "HTTP 400", null))));

    assertEquals("failed", row(digest).get("status"));
    Map<String, Object> held = row(carried.get(0));
    assertEquals("failed", held.get("status"));
    assertEquals("digest", held.get("reason"));
    assertEquals("digest " + digest + " failed: HTTP 400", held.get("last_error"));
    assertEquals("held", row(other.get(0)).get("status"), "a delivery another digest will carry stays held");
  }
}
