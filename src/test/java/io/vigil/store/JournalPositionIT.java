package io.vigil.store;

import static io.vigil.store.EventJournalIT.event;
import static io.vigil.store.EventJournalIT.get;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vigil.config.ConfigLoader;
import io.vigil.rules.Event;
import io.vigil.testing.TcpProxy;
import io.vigil.testing.TestDatabase;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The engine's processed position never skips a committed event (issue 7). The engine takes
 * events from the journal's listener in seq order and, when catching up, reads the journal
 * after its position; both are only safe if no event can commit below a seq already seen.
 * Checked where that could break: a write whose answer is lost but which commits after all,
 * and two writers (as two processes on one database) appending while a reader follows.
 */
class JournalPositionIT {
  Vertx vertx;
  List<Database> databases = new ArrayList<>();

  @BeforeEach
  void start() throws Exception {
    vertx = Vertx.vertx();
    database(TestDatabase.url()); // migrates the schema when this class runs first
    TestDatabase.truncate();
  }

  @AfterEach
  void stop() throws Exception {
    try (Connection c = TestDatabase.connect(); Statement s = c.createStatement()) {
      s.execute("DROP TRIGGER IF EXISTS test_slow_commit ON events");
      s.execute("DROP FUNCTION IF EXISTS test_slow_commit()");
    }
    for (Database d : databases) {
      get(d.stop());
    }
    get(vertx.close());
  }

  Database database(String url) throws Exception {
    Database d = get(Database.start(vertx, ConfigLoader.load(null, Map.of("VIGIL_DB_URL", url))));
    databases.add(d);
    return d;
  }

  @Test
  @DisplayName("a write whose answer is lost but which commits is handed to the engine before any later event")
  void lost_answer_commit_is_still_published_in_order() throws Exception {
    try (Connection c = TestDatabase.connect(); Statement s = c.createStatement()) {
      // Holds the commit of rows with a slow- id for 2 s, so the connection can be cut while
      // PostgreSQL is committing: the client sees a failure, the rows commit anyway.
      s.execute("CREATE FUNCTION test_slow_commit() RETURNS trigger LANGUAGE plpgsql AS $$"
          + " BEGIN IF NEW.id LIKE 'slow-%' THEN PERFORM pg_sleep(2); END IF; RETURN NULL; END $$");
      s.execute("CREATE CONSTRAINT TRIGGER test_slow_commit AFTER INSERT ON events"
          + " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION test_slow_commit()");
    }
    String url = TestDatabase.url();
    int pgPort = Integer.parseInt(url.replaceAll(".*:(\\d+)/.*", "$1"));
    try (TcpProxy proxy = new TcpProxy("127.0.0.1", pgPort)) {
      Database db = database(url.replace(":" + pgPort + "/", ":" + proxy.port() + "/"));
      EventJournal journal = new EventJournal(vertx, db.pool(), 2_000, 50_000, 10_000);
      List<Event> published = new CopyOnWriteArrayList<>();
      journal.onCommitted(published::addAll);

      Future<EventJournal.AppendResult> lost = journal.append(List.of(event("acme", "slow-1"), event("acme", "slow-2")));
      await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20))
          .until(() -> TestDatabase.count("SELECT count(*) FROM pg_stat_activity WHERE wait_event = 'PgSleep'") > 0);
      proxy.down(); // every connection open now is reset, both sides
      proxy.heal();
      assertThrows(ExecutionException.class, () -> get(lost), "the client never hears of the commit");
      await().atMost(Duration.ofSeconds(10)).until(
          () -> TestDatabase.count("SELECT count(*) FROM events WHERE id LIKE 'slow-%'") == 2);

      get(journal.append(List.of(event("acme", "after-1"))));
      await().atMost(Duration.ofSeconds(10)).until(() -> published.size() == 3);
      assertEquals(List.of("slow-1", "slow-2", "after-1"), published.stream().map(Event::getId).toList(),
          "the rows that committed without an answer reach the engine, before the later one");
      for (int i = 1; i < published.size(); i++) {
        assertTrue(published.get(i).getSeq() > published.get(i - 1).getSeq(), "in seq order");
      }
    }
  }

  @Test
  @DisplayName("two writers appending while a reader follows the journal by position: the reader misses nothing")
  void reader_following_two_writers_misses_nothing() throws Exception {
    String url = TestDatabase.url();
    EventJournal first = new EventJournal(vertx, database(url).pool(), 50, 50_000, 10_000);
    EventJournal second = new EventJournal(vertx, database(url).pool(), 50, 50_000, 10_000);
    EventJournal reader = new EventJournal(vertx, database(url).pool(), 50, 50_000, 10_000);

    AtomicBoolean writing = new AtomicBoolean(true);
    CompletableFuture<Set<String>> seen = CompletableFuture.supplyAsync(() -> {
      // The engine's catch-up loop: read after the last seq seen, move the position to the last row.
      Set<String> ids = new HashSet<>();
      long position = 0;
      try {
        while (true) {
          boolean last = !writing.get();
          List<Event> page = get(reader.readAfter("acme", position, 200));
          for (Event e : page) {
            ids.add(e.getId());
            position = e.getSeq();
          }
          if (last && page.isEmpty()) {
            return ids;
          }
        }
      } catch (Exception e) {
        throw new IllegalStateException(e);
      }
    });
    List<Future<EventJournal.AppendResult>> appends = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      List<Event> batch = new ArrayList<>();
      for (int j = 0; j < 10; j++) {
        batch.add(event("acme", "w-" + i + "-" + j));
      }
      appends.add((i % 2 == 0 ? first : second).append(batch));
    }
    for (Future<EventJournal.AppendResult> f : appends) {
      get(f);
    }
    writing.set(false);
    Set<String> ids = seen.get();
    assertEquals(2_000, TestDatabase.count("SELECT count(*) FROM events WHERE tenant = 'acme'"));
    assertEquals(2_000, ids.size(), "every committed event was read by the position-following reader");
  }
}
