package io.vigil.store;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.sqlclient.Pool;
import io.vigil.config.ConfigLoader;
import io.vigil.config.VigilConfig;
import io.vigil.rules.Event;
import io.vigil.testing.TestDatabase;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The event journal against a real PostgreSQL. Invariants: an append completes only once its
 * rows are committed, each (tenant, id) is stored once, concurrent appends share inserts
 * (group commit), and the committed-listener sees every new event exactly once in seq order,
 * so no committed event ever lands below a seq the engine has already seen.
 */
class EventJournalIT {
  private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");

  Vertx vertx;
  Database database;
  Pool pool;

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    VigilConfig config = ConfigLoader.load(null, Map.of("VIGIL_DB_URL", TestDatabase.url()));
    database = get(Database.start(vertx, config));
    pool = database.pool();
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

  static Event event(String tenant, String id) {
    return event(tenant, id, T0.toEpochMilli());
  }

  static Event event(String tenant, String id, long receivedAtMs) {
    return new Event(0, tenant, id, "auth.login_failed", receivedAtMs - 500, receivedAtMs, "sshd", "high",
        "alice", "203.0.113.7", "bastion-1", Map.of("port", 22, "method", "password"));
  }

  EventJournal journal(int batchMaxRows, int queueMax, long writeTimeoutMs) {
    return new EventJournal(vertx, pool, batchMaxRows, queueMax, writeTimeoutMs);
  }

  static boolean[] allTrue(int n) {
    boolean[] out = new boolean[n];
    Arrays.fill(out, true);
    return out;
  }

  /** Makes every append at once from {@code threads} threads released together; returns results in order. */
  static List<EventJournal.AppendResult> appendConcurrently(
      EventJournal journal, int threads, List<List<Event>> appends) throws Exception {
    ExecutorService callers = Executors.newFixedThreadPool(threads);
    CountDownLatch go = new CountDownLatch(1);
    try {
      List<java.util.concurrent.Future<Future<EventJournal.AppendResult>>> submitted = new ArrayList<>();
      for (List<Event> batch : appends) {
        submitted.add(callers.submit(() -> {
          go.await();
          return journal.append(batch);
        }));
      }
      go.countDown();
      List<EventJournal.AppendResult> results = new ArrayList<>();
      for (var s : submitted) {
        results.add(get(s.get(30, TimeUnit.SECONDS)));
      }
      return results;
    } finally {
      callers.shutdownNow();
    }
  }

  static List<List<Event>> appendsOf(String tenant, int appends, int perAppend) {
    List<List<Event>> out = new ArrayList<>();
    for (int a = 0; a < appends; a++) {
      List<Event> batch = new ArrayList<>();
      for (int i = 0; i < perAppend; i++) {
        batch.add(event(tenant, "evt-" + a + "-" + i));
      }
      out.add(batch);
    }
    return out;
  }

  @Test
  @DisplayName("fifty concurrent appends all commit, each event once, in fewer inserts than appends")
  void concurrent_appends_are_group_committed() throws Exception {
    EventJournal journal = journal(100, 50_000, 10_000);
    AtomicInteger commits = new AtomicInteger();
    journal.onCommitted(events -> commits.incrementAndGet());

    List<EventJournal.AppendResult> results = appendConcurrently(journal, 8, appendsOf("acme", 50, 20));

    for (EventJournal.AppendResult r : results) {
      assertArrayEquals(allTrue(20), r.fresh());
    }
    assertEquals(1000, TestDatabase.count("SELECT count(*) FROM events"));
    assertEquals(1000, TestDatabase.count("SELECT count(DISTINCT (tenant, id)) FROM events"));
    // Each insert is its own transaction, so distinct xmin values count the inserts.
    long inserts = TestDatabase.count("SELECT count(DISTINCT xmin::text::bigint) FROM events");
    assertTrue(inserts < 50, "expected batching, but 50 appends took " + inserts + " inserts");
    assertEquals(inserts, commits.get(), "the listener is called once per committed insert");
    long biggest = TestDatabase.count(
        "SELECT max(n) FROM (SELECT count(*) AS n FROM events GROUP BY xmin::text::bigint) b");
    assertTrue(biggest <= 100, "a batch holds at most batchMaxRows rows, but one held " + biggest);
    assertEquals(0, journal.queuedRows());
  }

  @Test
  @DisplayName("an append's events are committed and already handed to the listener when the append completes")
  void append_completes_after_commit() throws Exception {
    EventJournal journal = journal(2_000, 50_000, 10_000);
    Set<String> seen = Collections.synchronizedSet(new HashSet<>());
    journal.onCommitted(events -> events.forEach(e -> seen.add(e.getId())));

    EventJournal.AppendResult r = get(journal.append(List.of(event("acme", "a"), event("acme", "b"))));

    assertArrayEquals(new boolean[] {true, true}, r.fresh());
    assertEquals(Set.of("a", "b"), seen);
    assertEquals(2, TestDatabase.count("SELECT count(*) FROM events WHERE tenant = 'acme' AND id IN ('a', 'b')"));
  }

  @Test
  @DisplayName("the listener sees every new event exactly once, with its seq, in increasing seq order across calls")
  void listener_sees_every_new_event_once_in_seq_order() throws Exception {
    EventJournal journal = journal(50, 50_000, 10_000);
    List<List<Event>> calls = new CopyOnWriteArrayList<>();
    journal.onCommitted(calls::add);

    // Two tenants, and every id of tenant acme is appended twice by different appends.
    List<List<Event>> appends = new ArrayList<>();
    appends.addAll(appendsOf("acme", 30, 10));
    appends.addAll(appendsOf("acme", 30, 10));
    appends.addAll(appendsOf("globex", 20, 7));
    Collections.shuffle(appends, new java.util.Random(7));
    List<EventJournal.AppendResult> results = appendConcurrently(journal, 6, appends);

    Set<String> fresh = new HashSet<>();
    for (int a = 0; a < appends.size(); a++) {
      for (int i = 0; i < appends.get(a).size(); i++) {
        Event e = appends.get(a).get(i);
        if (results.get(a).fresh()[i]) {
          assertTrue(fresh.add(e.getTenant() + "/" + e.getId()), "fresh twice: " + e.getId());
        }
      }
    }
    assertEquals(300 + 140, fresh.size(), "each (tenant, id) is fresh exactly once");

    Map<String, Long> stored = new HashMap<>();
    for (Map<String, Object> row : TestDatabase.query("SELECT tenant, id, seq FROM events")) {
      stored.put(row.get("tenant") + "/" + row.get("id"), ((Number) row.get("seq")).longValue());
    }
    assertEquals(fresh, stored.keySet());

    long last = 0;
    Set<String> delivered = new HashSet<>();
    for (List<Event> call : calls) {
      assertFalse(call.isEmpty(), "the listener is never called with nothing");
      for (Event e : call) {
        String key = e.getTenant() + "/" + e.getId();
        assertTrue(e.getSeq() > last, "seq " + e.getSeq() + " after " + last + ": not in commit order");
        last = e.getSeq();
        assertTrue(delivered.add(key), "delivered twice: " + key);
        assertEquals(stored.get(key), e.getSeq(), "the listener's seq is the stored seq of " + key);
        assertEquals("auth.login_failed", e.getType());
      }
    }
    assertEquals(fresh, delivered, "every committed event reaches the listener");
  }

  @Test
  @DisplayName("re-appending stored ids reports them as duplicates and stores nothing new")
  void reappended_ids_are_duplicates() throws Exception {
    EventJournal journal = journal(2_000, 50_000, 10_000);
    List<Event> events = List.of(event("acme", "a"), event("acme", "b"), event("acme", "c"));
    assertArrayEquals(new boolean[] {true, true, true}, get(journal.append(events)).fresh());
    List<Event> published = new CopyOnWriteArrayList<>();
    journal.onCommitted(published::addAll);

    EventJournal.AppendResult again = get(journal.append(events));

    assertArrayEquals(new boolean[] {false, false, false}, again.fresh());
    assertEquals(3, TestDatabase.count("SELECT count(*) FROM events"));
    assertTrue(published.isEmpty(), "duplicates are not handed to the engine: " + published);
  }

  @Test
  @DisplayName("the same id twice in one append is fresh the first time and a duplicate the second")
  void duplicate_within_one_append() throws Exception {
    EventJournal journal = journal(2_000, 50_000, 10_000);
    List<Event> published = new CopyOnWriteArrayList<>();
    journal.onCommitted(published::addAll);

    EventJournal.AppendResult r = get(journal.append(List.of(event("acme", "x"), event("acme", "x"))));

    assertArrayEquals(new boolean[] {true, false}, r.fresh());
    assertEquals(1, TestDatabase.count("SELECT count(*) FROM events"));
    assertEquals(1, published.size());
  }

  @Test
  @DisplayName("concurrent appends of the same id report it fresh exactly once")
  void same_id_in_concurrent_appends_is_fresh_once() throws Exception {
    EventJournal journal = journal(2_000, 50_000, 10_000);
    List<List<Event>> appends = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      appends.add(List.of(event("acme", "shared"), event("acme", "own-" + i)));
    }

    List<EventJournal.AppendResult> results = appendConcurrently(journal, 8, appends);

    long freshShared = results.stream().filter(r -> r.fresh()[0]).count();
    assertEquals(1, freshShared);
    results.forEach(r -> assertTrue(r.fresh()[1]));
    assertEquals(21, TestDatabase.count("SELECT count(*) FROM events"));
  }

  @Test
  @DisplayName("one append mixing stored and new ids of two tenants stores each new one once, as its JSON form")
  void append_mixing_new_and_stored_ids() throws Exception {
    EventJournal journal = journal(2_000, 50_000, 10_000);
    get(journal.append(List.of(event("acme", "old"), event("globex", "old"))));
    List<Event> published = new CopyOnWriteArrayList<>();
    journal.onCommitted(published::addAll);
    List<Event> mixed = List.of(event("acme", "old"), event("acme", "new"), event("globex", "old"),
        event("globex", "new"), event("acme", "new"));

    EventJournal.AppendResult r = get(journal.append(mixed));

    assertArrayEquals(new boolean[] {false, true, false, true, false}, r.fresh());
    assertEquals(4, TestDatabase.count("SELECT count(*) FROM events"));
    assertEquals(List.of("acme/new", "globex/new"),
        published.stream().map(e -> e.getTenant() + "/" + e.getId()).toList());
    List<Event> stored = get(journal.readAfter("globex", 0, 10));
    assertEquals(List.of("old", "new"), stored.stream().map(Event::getId).toList());
    assertEquals(EventCodec.toMap(mixed.get(3)), EventCodec.toMap(stored.get(1)), "the body reads back as written");
  }

  @Test
  @DisplayName("ids are per tenant: the same id in two tenants is two rows, both fresh")
  void ids_are_per_tenant() throws Exception {
    EventJournal journal = journal(2_000, 50_000, 10_000);

    EventJournal.AppendResult r = get(journal.append(List.of(event("acme", "same"), event("globex", "same"))));

    assertArrayEquals(new boolean[] {true, true}, r.fresh());
    assertEquals(2, TestDatabase.count("SELECT count(*) FROM events WHERE id = 'same'"));
    assertArrayEquals(new boolean[] {true}, get(journal.append(List.of(event("initech", "same")))).fresh());
    assertEquals(3, TestDatabase.count("SELECT count(*) FROM events WHERE id = 'same'"));
  }

  @Test
  @DisplayName("an append beyond the queue's capacity fails with JournalFullException and stores nothing")
  void full_queue_rejects_the_append() throws Exception {
    EventJournal journal = journal(2_000, 5, 30_000);
    Future<EventJournal.AppendResult> first;
    Future<EventJournal.AppendResult> rejected;
    // Hold the insert in flight so its rows stay queued while the next append arrives.
    try (Connection c = TestDatabase.connect(); Statement s = c.createStatement()) {
      c.setAutoCommit(false);
      s.execute("LOCK TABLE events IN EXCLUSIVE MODE");
      first = journal.append(List.of(
          event("acme", "q1"), event("acme", "q2"), event("acme", "q3"), event("acme", "q4"), event("acme", "q5")));
      rejected = journal.append(List.of(event("acme", "over")));

      assertTrue(rejected.failed(), "the append beyond capacity fails at once");
      assertInstanceOf(JournalFullException.class, rejected.cause());
      assertEquals(5, journal.queuedRows(), "a rejected append takes no capacity");
      assertFalse(first.isComplete(), "the first append waits for its commit");
      c.rollback();
    }

    assertArrayEquals(allTrue(5), get(first).fresh());
    assertEquals(5, TestDatabase.count("SELECT count(*) FROM events"));
    assertEquals(0, TestDatabase.count("SELECT count(*) FROM events WHERE id = 'over'"));
    assertEquals(0, journal.queuedRows());
    assertArrayEquals(new boolean[] {true}, get(journal.append(List.of(event("acme", "over")))).fresh(),
        "capacity is back once the queue drains");
  }

  @Test
  @DisplayName("a request whose data PostgreSQL refuses fails alone; the requests batched with it are committed")
  void poison_request_fails_alone() throws Exception {
    EventJournal journal = journal(2_000, 1_000, 30_000);
    Future<EventJournal.AppendResult> blocker;
    Future<EventJournal.AppendResult> good1;
    Future<EventJournal.AppendResult> poison;
    Future<EventJournal.AppendResult> good2;
    try (Connection c = TestDatabase.connect(); Statement s = c.createStatement()) {
      c.setAutoCommit(false);
      s.execute("LOCK TABLE events IN EXCLUSIVE MODE");
      blocker = journal.append(List.of(event("acme", "b1")));
      good1 = journal.append(List.of(event("acme", "g1")));
      // Bypasses ingest validation, which refuses NUL: here it stands for any data the
      // database refuses that validation did not foresee.
      poison = journal.append(List.of(new Event(0, "acme", "p1", "x", T0.toEpochMilli(), T0.toEpochMilli(), null,
          null, null, null, null, Map.of("v", "nul\u0000here"))));
      good2 = journal.append(List.of(event("acme", "g2")));
      c.rollback();
    }
    assertArrayEquals(new boolean[] {true}, get(blocker).fresh());
    assertArrayEquals(new boolean[] {true}, get(good1).fresh());
    assertArrayEquals(new boolean[] {true}, get(good2).fresh());
    Exception e = assertThrows(Exception.class, () -> get(poison));
    assertTrue(e.getMessage().contains("22") || e.getCause() != null, e.toString());
    assertEquals(3, TestDatabase.count("SELECT count(*) FROM events"));
    assertEquals(0, TestDatabase.count("SELECT count(*) FROM events WHERE id = 'p1'"));
    assertEquals(0, journal.queuedRows());
  }

  @Test
  @DisplayName("an append larger than the whole queue fails even when the queue is empty")
  void append_larger_than_queue_fails() throws Exception {
    EventJournal journal = journal(2_000, 2, 30_000);

    Future<EventJournal.AppendResult> f =
        journal.append(List.of(event("acme", "a"), event("acme", "b"), event("acme", "c")));

    assertTrue(f.failed());
    assertInstanceOf(JournalFullException.class, f.cause());
    assertEquals(0, journal.queuedRows());
    assertEquals(0, TestDatabase.count("SELECT count(*) FROM events"));
  }

  @Test
  @DisplayName("a write that times out fails the append, and if it commits after all the listener still gets it")
  void timed_out_write_that_commits_is_still_published() throws Exception {
    EventJournal journal = journal(2_000, 50_000, 300);
    List<Event> published = new CopyOnWriteArrayList<>();
    journal.onCommitted(published::addAll);
    try (Connection c = TestDatabase.connect(); Statement s = c.createStatement()) {
      c.setAutoCommit(false);
      s.execute("LOCK TABLE events IN EXCLUSIVE MODE");
      Future<EventJournal.AppendResult> slow = journal.append(List.of(event("acme", "late")));
      ExecutionException e = assertThrows(ExecutionException.class, () -> get(slow));
      assertInstanceOf(TimeoutException.class, e.getCause());
      c.rollback();
    }

    await().atMost(Duration.ofSeconds(10)).until(() -> published.size() == 1);
    assertEquals("late", published.get(0).getId());
    assertEquals(1, TestDatabase.count("SELECT count(*) FROM events WHERE id = 'late'"));
    assertArrayEquals(new boolean[] {false}, get(journal.append(List.of(event("acme", "late")))).fresh(),
        "a client retrying after the timeout gets a duplicate, not a second row");
  }

  @Test
  @DisplayName("readAfter returns a tenant's events after a seq, in order, up to the limit, as they were appended")
  void read_after() throws Exception {
    EventJournal journal = journal(2_000, 50_000, 10_000);
    List<Event> acme = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      acme.add(event("acme", "a" + i, T0.plusSeconds(i).toEpochMilli()));
    }
    get(journal.append(acme));
    get(journal.append(List.of(event("globex", "g0"), event("globex", "g1"))));

    List<Event> all = get(journal.readAfter("acme", 0, 100));
    assertEquals(List.of("a0", "a1", "a2", "a3", "a4"), all.stream().map(Event::getId).toList());
    for (int i = 1; i < all.size(); i++) {
      assertTrue(all.get(i).getSeq() > all.get(i - 1).getSeq());
    }
    Event first = all.get(0);
    Event original = acme.get(0);
    assertEquals("acme", first.getTenant());
    assertEquals(original.getType(), first.getType());
    assertEquals(original.getTime(), first.getTime());
    assertEquals(original.getReceivedAt(), first.getReceivedAt());
    assertEquals(original.getSource(), first.getSource());
    assertEquals(original.getSeverity(), first.getSeverity());
    assertEquals(original.getUser(), first.getUser());
    assertEquals(original.getIp(), first.getIp());
    assertEquals(original.getHost(), first.getHost());
    assertEquals(original.getAttributes(), first.getAttributes());

    List<Event> page = get(journal.readAfter("acme", all.get(1).getSeq(), 2));
    assertEquals(List.of("a2", "a3"), page.stream().map(Event::getId).toList());
    assertEquals(List.of(), get(journal.readAfter("acme", all.get(4).getSeq(), 100)));
    assertEquals(List.of("g0", "g1"), get(journal.readAfter("globex", 0, 100)).stream().map(Event::getId).toList());
    assertEquals(List.of(), get(journal.readAfter("nobody", 0, 100)));
  }

  @Test
  @DisplayName("readRange returns events in (after, upto] received at or after since, in order, up to the limit")
  void read_range() throws Exception {
    EventJournal journal = journal(2_000, 50_000, 10_000);
    List<Event> acme = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      acme.add(event("acme", "a" + i, T0.plusSeconds(i).toEpochMilli()));
    }
    get(journal.append(acme));
    get(journal.append(List.of(event("globex", "g0", T0.plusSeconds(3).toEpochMilli()))));
    List<Long> seq = get(journal.readAfter("acme", 0, 100)).stream().map(Event::getSeq).toList();

    // After a0, up to and including a4, received at or after a2's receive time.
    List<Event> range = get(journal.readRange("acme", seq.get(0), seq.get(4), T0.plusSeconds(2), 100));
    assertEquals(List.of("a2", "a3", "a4"), range.stream().map(Event::getId).toList());
    assertEquals(List.of(seq.get(2), seq.get(3), seq.get(4)), range.stream().map(Event::getSeq).toList());

    List<Event> limited = get(journal.readRange("acme", seq.get(0), seq.get(4), T0.plusSeconds(2), 2));
    assertEquals(List.of("a2", "a3"), limited.stream().map(Event::getId).toList());

    List<Event> sinceBefore = get(journal.readRange("acme", 0, seq.get(1), T0.minusSeconds(60), 100));
    assertEquals(List.of("a0", "a1"), sinceBefore.stream().map(Event::getId).toList());

    assertEquals(List.of(), get(journal.readRange("acme", 0, seq.get(5), T0.plusSeconds(10), 100)));
  }

  @Test
  @DisplayName("position is seq 0 for a new tenant, then the saved seq with that event's receive time; it never moves back")
  void position() throws Exception {
    EventJournal journal = journal(2_000, 50_000, 10_000);
    assertEquals(new EventJournal.Position(0, Optional.empty()), get(journal.position("acme")));

    List<Event> acme = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      acme.add(event("acme", "a" + i, T0.plusSeconds(i).toEpochMilli()));
    }
    get(journal.append(acme));
    assertEquals(new EventJournal.Position(0, Optional.empty()), get(journal.position("acme")),
        "an appended tenant starts at 0");
    List<Long> seq = get(journal.readAfter("acme", 0, 100)).stream().map(Event::getSeq).toList();

    AlertStore alerts = new AlertStore(pool);
    get(pool.withTransaction(tx -> alerts.savePosition(tx, "acme", seq.get(1))));
    assertEquals(new EventJournal.Position(seq.get(1), Optional.of(T0.plusSeconds(1))), get(journal.position("acme")));

    get(pool.withTransaction(tx -> alerts.savePosition(tx, "acme", seq.get(0))));
    assertEquals(seq.get(1), get(journal.position("acme")).seq(), "a position never moves backwards");
  }

  @Test
  @DisplayName("tenantsWithBacklog lists exactly the tenants with committed events beyond their position")
  void tenants_with_backlog() throws Exception {
    EventJournal journal = journal(2_000, 50_000, 10_000);
    assertEquals(List.of(), get(journal.tenantsWithBacklog()));

    get(journal.append(List.of(event("acme", "a0"), event("acme", "a1"), event("globex", "g0"))));
    assertEquals(Set.of("acme", "globex"), new HashSet<>(get(journal.tenantsWithBacklog())));

    List<Long> acme = get(journal.readAfter("acme", 0, 100)).stream().map(Event::getSeq).toList();
    AlertStore alerts = new AlertStore(pool);
    get(pool.withTransaction(tx -> alerts.savePosition(tx, "acme", acme.get(0))));
    assertEquals(Set.of("acme", "globex"), new HashSet<>(get(journal.tenantsWithBacklog())),
        "acme still has a1 to process");

    get(pool.withTransaction(tx -> alerts.savePosition(tx, "acme", acme.get(1))));
    assertEquals(List.of("globex"), get(journal.tenantsWithBacklog()));

    get(journal.append(List.of(event("acme", "a2"))));
    assertEquals(Set.of("acme", "globex"), new HashSet<>(get(journal.tenantsWithBacklog())));
  }
}
