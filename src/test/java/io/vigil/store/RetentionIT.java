package io.vigil.store;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vigil.config.ConfigLoader;
import io.vigil.config.VigilConfig;
import io.vigil.config.VigilConfig.RetentionConfig;
import io.vigil.rules.Event;
import io.vigil.testing.SettableClock;
import io.vigil.testing.TestDatabase;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Retention against a real PostgreSQL, one pass at a time on a settable clock. Invariants:
 * an old event loses its payload but keeps its id for the idempotency window, so a resend is
 * still a duplicate; nothing the engine has not processed, and nothing within the longest
 * rule window of the processed position, is touched; only resolved alerts whose deliveries
 * are all finished go, with their deliveries and attempts; and any number of rows is pruned
 * in batches of the configured size.
 */
class RetentionIT {
  private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");
  private static final Duration WINDOW = Duration.ofMinutes(10);

  Vertx vertx;
  Database database;
  EventJournal journal;
  SettableClock clock;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    VigilConfig config = ConfigLoader.load(null, Map.of("VIGIL_DB_URL", TestDatabase.url()));
    database = get(Database.start(vertx, config));
    TestDatabase.truncate();
    journal = new EventJournal(vertx, database.pool(), 1000, 10_000, 10_000);
    clock = new SettableClock(T0);
  }

  @AfterEach
  void stop() throws Exception {
    try {
      get(database.stop());
    } finally {
      get(vertx.close());
    }
  }

  static <T> T get(Future<T> future) throws Exception {
    return future.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
  }

  private Retention retention(Duration events, Duration alerts, Duration eventIds, int batch, Duration window) {
    return new Retention(vertx, database.pool(), new RetentionConfig(events, alerts, eventIds, Duration.ofMinutes(10),
        batch), clock, () -> Optional.of(window));
  }

  private boolean append(String tenant, String id, Instant receivedAt) throws Exception {
    long at = receivedAt.toEpochMilli();
    Event e = new Event(0, tenant, id, "auth.login_failed", at, at, "sshd", "high", "alice", "203.0.113.7", "bastion-1",
        Map.of("port", 22));
    return get(journal.append(List.of(e))).fresh()[0];
  }

  /** The tenant's engine has processed everything up to and including this event. */
  private static void processedUpTo(String tenant, String id) {
    TestDatabase.update("UPDATE engine_positions SET seq = (SELECT seq FROM events WHERE tenant = ? AND id = ?)"
        + " WHERE tenant = ?", tenant, id, tenant);
  }

  private static Set<String> ids(String tenant) {
    Set<String> out = new TreeSet<>();
    TestDatabase.query("SELECT id FROM events WHERE tenant = ?", tenant).forEach(r -> out.add((String) r.get("id")));
    return out;
  }

  private static boolean hasPayload(String tenant, String id) {
    return TestDatabase.count("SELECT count(*) FROM events WHERE tenant = ? AND id = ? AND body IS NOT NULL",
        tenant, id) == 1;
  }

  @Test
  @DisplayName("an old event loses its payload, keeps its id until the idempotency window ends, and a resend is a duplicate")
  void payload_pruned_id_kept() throws Exception {
    Retention r = retention(Duration.ofDays(1), Duration.ofDays(90), Duration.ofDays(7), 1000, WINDOW);
    assertTrue(append("acme", "old-1", T0));
    assertTrue(append("acme", "new-1", T0.plus(Duration.ofDays(2))));
    processedUpTo("acme", "new-1");
    clock.set(T0.plus(Duration.ofDays(2)).plus(Duration.ofHours(1)));

    Retention.Pass pass = get(r.runOnce());

    assertEquals(new Retention.Pass(1, 0, 0, 0), pass);
    assertFalse(hasPayload("acme", "old-1"), "the old event's payload is pruned");
    assertTrue(hasPayload("acme", "new-1"));
    assertEquals(Set.of("old-1", "new-1"), ids("acme"), "its id is kept");
    assertFalse(append("acme", "old-1", clock.instant()), "a late resend is still a duplicate");
    assertEquals(1, TestDatabase.count("SELECT count(*) FROM events WHERE id = 'old-1'"), "stored once");

    clock.set(T0.plus(Duration.ofDays(8)));
    assertEquals(new Retention.Pass(0, 1, 0, 0), get(r.runOnce()));
    assertEquals(Set.of("new-1"), ids("acme"), "after the idempotency window the id is gone too");
    assertTrue(append("acme", "old-1", clock.instant()), "and a resend after it is a new event");
    assertEquals(1, r.eventsPruned());
    assertEquals(1, r.eventIdsExpired());
    assertEquals(2, r.passes());
  }

  @Test
  @DisplayName("unprocessed events, the event at the position and events within the rule window before it stay")
  void engine_guards() throws Exception {
    Duration window = Duration.ofHours(3);
    Retention r = retention(Duration.ofMinutes(1), Duration.ofDays(90), Duration.ofMinutes(1), 1000, window);
    Instant later = T0.plus(Duration.ofDays(10));
    append("a", "a1", T0);
    append("a", "a2", later.minus(Duration.ofHours(2)));
    append("a", "a3", later.minus(Duration.ofHours(1)));
    processedUpTo("a", "a3");
    append("b", "b1", T0);
    append("b", "b2", T0.plus(Duration.ofDays(1)));
    processedUpTo("b", "b2");
    // Committed after the position but stamped earlier (a clock stepped back): still unprocessed.
    append("b", "b3", T0.plus(Duration.ofHours(1)));
    append("c", "c1", T0);
    clock.set(T0.plus(Duration.ofDays(20)));

    Retention.Pass pass = get(r.runOnce());

    assertEquals(Set.of("a2", "a3"), ids("a"), "a2 is within the window before the processed a3");
    assertTrue(hasPayload("a", "a2"));
    assertEquals(Set.of("b2", "b3"), ids("b"), "b2 is the position, b3 is not processed yet");
    assertEquals(Set.of("c1"), ids("c"), "tenant c has processed nothing");
    assertEquals(new Retention.Pass(2, 2, 0, 0), pass);
  }

  @Test
  @DisplayName("more events than one batch are all pruned, payloads first and ids later, and a later pass finds nothing")
  void events_in_batches() throws Exception {
    Retention r = retention(Duration.ofDays(1), Duration.ofDays(90), Duration.ofDays(7), 4, WINDOW);
    for (int i = 0; i < 25; i++) {
      append("acme", "e" + i, T0.plus(Duration.ofMinutes(i)));
    }
    append("acme", "last", T0.plus(Duration.ofDays(3)));
    processedUpTo("acme", "last");
    clock.set(T0.plus(Duration.ofDays(3)).plus(Duration.ofHours(1)));

    assertEquals(new Retention.Pass(25, 0, 0, 0), get(r.runOnce()));
    assertEquals(25, TestDatabase.count("SELECT count(*) FROM events WHERE body IS NULL"));
    clock.set(clock.instant().plus(Duration.ofHours(1)));
    assertEquals(new Retention.Pass(0, 0, 0, 0), get(r.runOnce()), "nothing is pruned twice");

    clock.set(T0.plus(Duration.ofDays(9)));
    assertEquals(new Retention.Pass(0, 25, 0, 0), get(r.runOnce()));
    assertEquals(Set.of("last"), ids("acme"));
  }

  @Test
  @DisplayName("resolved alerts whose deliveries are all finished go with their deliveries; open or pending ones stay")
  void alerts() throws Exception {
    Retention r = retention(Duration.ofDays(30), Duration.ofDays(30), Duration.ofDays(7), 3, WINDOW);
    Instant now = T0.plus(Duration.ofDays(60));
    clock.set(now);
    UUID done = alert("resolved", T0, T0);
    UUID delivered = delivery(done, "delivered");
    attempt(delivered, 1);
    attempt(delivered, 2);
    delivery(done, "failed");
    delivery(done, "skipped");
    UUID pending = alert("resolved", T0, T0);
    delivery(pending, "delivered");
    delivery(pending, "pending");
    UUID active = alert("active", T0, null);
    UUID acknowledged = alert("acknowledged", T0, null);
    UUID suppressed = alert("suppressed", T0, null);
    UUID recent = alert("resolved", now.minus(Duration.ofDays(1)), now.minus(Duration.ofDays(1)));
    UUID cooling = alert("resolved", now.minus(Duration.ofMinutes(1)), T0);
    List<UUID> bare = new ArrayList<>();
    for (int i = 0; i < 7; i++) {
      bare.add(alert("resolved", T0, T0));
    }

    Retention.Pass pass = get(r.runOnce());

    assertEquals(new Retention.Pass(0, 0, 8, 3), pass);
    Set<String> left = new TreeSet<>();
    TestDatabase.query("SELECT id::text FROM alerts").forEach(row -> left.add((String) row.get("id")));
    assertEquals(new TreeSet<>(List.of(pending.toString(), active.toString(), acknowledged.toString(),
        suppressed.toString(), recent.toString(), cooling.toString())), left);
    assertEquals(0, TestDatabase.count("SELECT count(*) FROM deliveries WHERE alert_id = ?", done));
    assertEquals(0, TestDatabase.count("SELECT count(*) FROM delivery_attempts"));
    assertEquals(2, TestDatabase.count("SELECT count(*) FROM deliveries WHERE alert_id = ?", pending));
    assertEquals(8, r.alertsPruned());
    assertEquals(3, r.deliveriesPruned());
  }

  @Test
  @DisplayName("an alert held for a digest stays; finished digests and notices go by age, unfinished ones stay")
  void digests_and_notices() throws Exception {
    Retention r = retention(Duration.ofDays(30), Duration.ofDays(30), Duration.ofDays(7), 3, WINDOW);
    Instant now = T0.plus(Duration.ofDays(60));
    clock.set(now);
    UUID held = alert("resolved", T0, T0);
    delivery(held, "held");
    List<UUID> oldFinished = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      oldFinished.add(batch(i % 2 == 0 ? "digest" : "notice", i < 2 ? "delivered" : "failed", T0));
    }
    UUID oldPending = batch("digest", "pending", T0);
    UUID recent = batch("notice", "delivered", now.minus(Duration.ofDays(1)));
    UUID digested = alert("resolved", T0, T0);
    UUID inDigest = delivery(digested, "delivered");
    TestDatabase.update("UPDATE deliveries SET digest_id = ? WHERE id = ?", oldFinished.get(0), inDigest);

    Retention.Pass pass = get(r.runOnce());

    assertEquals(new Retention.Pass(0, 0, 1, 5), pass, "the digested alert and its row, and four batches");
    assertEquals(1, TestDatabase.count("SELECT count(*) FROM alerts WHERE id = ?", held));
    Set<String> left = new TreeSet<>();
    TestDatabase.query("SELECT id::text FROM deliveries WHERE alert_id IS NULL")
        .forEach(row -> left.add((String) row.get("id")));
    assertEquals(new TreeSet<>(List.of(oldPending.toString(), recent.toString())), left);
  }

  private static UUID batch(String kind, String status, Instant at) {
    UUID id = UUID.randomUUID();
    TestDatabase.update("INSERT INTO deliveries (id, tenant, channel, kind, status, next_attempt_at, payload,"
        + " created_at, updated_at) VALUES (?, 'acme', 'audit-log', ?, ?, ?, '{}'::jsonb, ?, ?)",
        id, kind, status, utc(at), utc(at), utc(at));
    return id;
  }

  private static UUID alert(String status, Instant lastSeen, Instant resolvedAt) {
    UUID id = UUID.randomUUID();
    TestDatabase.update("INSERT INTO alerts (id, tenant, rule, key, fingerprint, severity, status, summary, first_seen,"
            + " last_seen, resolved_at) VALUES (?, 'acme', 'r', ?, ?, 'high', ?, 's', ?, ?, ?)",
        id, id.toString(), id.toString(), status, utc(lastSeen), utc(lastSeen), resolvedAt == null ? null : utc(resolvedAt));
    return id;
  }

  private static UUID delivery(UUID alert, String status) {
    UUID id = UUID.randomUUID();
    TestDatabase.update("INSERT INTO deliveries (id, alert_id, tenant, channel, kind, status, next_attempt_at,"
        + " created_at, updated_at) VALUES (?, ?, 'acme', 'audit-log', 'raised', ?, ?, ?, ?)",
        id, alert, status, utc(T0), utc(T0), utc(T0));
    return id;
  }

  private static void attempt(UUID delivery, int n) {
    TestDatabase.update("INSERT INTO delivery_attempts (delivery_id, attempt, started_at, finished_at, outcome)"
        + " VALUES (?, ?, ?, ?, 'delivered')", delivery, n, utc(T0), utc(T0));
  }

  private static OffsetDateTime utc(Instant t) {
    return t.atOffset(ZoneOffset.UTC);
  }
}
