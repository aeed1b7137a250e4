package io.vigil.store;

import io.vertx.core.Context;
import io.vertx.core.Future;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.Pool;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.Tuple;
import io.vigil.rules.Event;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * The event journal, written with group commit: appends from concurrent requests queue up
 * while one insert is in flight, and the next insert takes them all in one multi-row
 * statement. Each append completes only when its rows are committed, which, with {@code
 * synchronous_commit=on}, is what {@code 202} promises.
 *
 * <p>There is one writer and one insert in flight at a time, so {@code seq} order is commit
 * order: a reader that has seen every event up to {@code seq N} can never later find a
 * committed event below N. The engine relies on that.
 *
 * <p>Every append has a deadline of {@code writeTimeoutMs} from the moment it arrives, queued
 * or in flight: when the database hangs (a partition without a reset), the single insert
 * in flight can hang with it, and the requests queued behind it must still get their
 * {@code 503} in time rather than wait for the connection to die.
 *
 * <p>One case breaks "one insert in flight" from the database's side: a write whose answer
 * is lost (connection dropped, PostgreSQL crashed after its WAL flush) may have committed
 * after all, yet its events were never handed to the engine, and the client's resend only
 * finds duplicates. Such a write is <em>in doubt</em>: before the next insert, the journal
 * looks its ids up and hands over whatever committed, so they still reach the engine before
 * any later (higher) seq. Every insert holds a transaction-scoped advisory lock, which the
 * look-up takes too, so it waits for a write whose backend is still finishing its commit
 * (and two Vigil processes on one external database never interleave their seqs either).
 */
public final class EventJournal {
  /** Held by every journal insert and by the look-up of writes in doubt, until their commit. */
  static final long WRITE_LOCK = 0x5649_4749_4c4aL; // "VIGILJ"
  private static final String INSERT =
      "WITH lock AS MATERIALIZED (SELECT pg_advisory_xact_lock(" + WRITE_LOCK + ") IS NULL AS l),"
          + " ins AS ("
          + " INSERT INTO events (tenant, id, type, time, received_at, body)"
          // Joined with the lock so it is taken before any row (and any seq) is produced.
          + " SELECT t, i, ty, tm, r, b::jsonb FROM unnest($1::text[], $2::text[], $3::text[],"
          + "   $4::timestamptz[], $5::timestamptz[], $6::text[]) AS u(t, i, ty, tm, r, b), lock"
          + " ON CONFLICT (tenant, id) DO NOTHING RETURNING seq, tenant, id),"
          + " pos AS (INSERT INTO engine_positions (tenant, seq)"
          + "   SELECT DISTINCT t, 0 FROM unnest($7::text[]) AS p(t) ON CONFLICT (tenant) DO NOTHING)"
          + " SELECT seq, tenant, id FROM ins";
  private static final String COLUMNS = "SELECT seq, tenant, received_at, body::text FROM events ";

  private final Vertx vertx;
  private final Pool pool;
  private final Context writer;
  private final int batchMaxRows;
  private final int queueMax;
  private final long writeTimeoutMs;
  private final AtomicInteger queuedRows = new AtomicInteger();
  private final ArrayDeque<Pending> queue = new ArrayDeque<>();
  private final Set<String> knownTenants = new HashSet<>();
  private volatile Consumer<List<Event>> committedListener = events -> {};
  private boolean writing;
  /** How many of the next requests to write one at a time, after a batch failed on its data. */
  private int isolate;
  /** Events of writes that failed without a clear answer; looked up before the next insert. */
  private final Map<EventKey, Event> inDoubt = new HashMap<>();
  /** The highest seq handed to the engine by this process. */
  private long publishedSeq;

  public EventJournal(Vertx vertx, Pool pool, int batchMaxRows, int queueMax, long writeTimeoutMs) {
    this.vertx = vertx;
    this.pool = pool;
    this.writer = vertx.getOrCreateContext();
    this.batchMaxRows = batchMaxRows;
    this.queueMax = queueMax;
    this.writeTimeoutMs = writeTimeoutMs;
    writer.runOnContext(v -> vertx.setPeriodic(Math.max(10, Math.min(100, writeTimeoutMs / 4)), t -> expireQueued()));
  }

  /** Fails appends still queued at their deadline (the queue is FIFO, so the oldest are first). */
  private void expireQueued() {
    long now = System.nanoTime();
    while (!queue.isEmpty() && now - queue.peek().deadlineNanos >= 0) {
      Pending p = queue.poll();
      queuedRows.addAndGet(-p.events.size());
      p.complete(Future.failedFuture(new TimeoutException("journal write timed out while queued")));
    }
  }

  /** Called on the writer's context with each committed batch's new events, in seq order. */
  public void onCommitted(Consumer<List<Event>> listener) {
    this.committedListener = listener;
  }

  /** Rows waiting to be written: the ingest queue depth. */
  public int queuedRows() {
    return queuedRows.get();
  }

  /**
   * Appends events (each carrying its tenant and id). Completes once committed, with one
   * flag per input event: true if new, false if the tenant already had that id.
   */
  public Future<AppendResult> append(List<Event> events) {
    int n = events.size();
    if (queuedRows.addAndGet(n) > queueMax) {
      queuedRows.addAndGet(-n);
      return Future.failedFuture(new JournalFullException());
    }
    List<String> bodies = EventCodec.toJson(events);
    Context caller = Vertx.currentContext();
    Promise<AppendResult> promise = Promise.promise();
    Pending p = new Pending(events, bodies, promise, caller, System.nanoTime() + writeTimeoutMs * 1_000_000L);
    writer.runOnContext(v -> {
      queue.add(p);
      if (!writing) {
        flush();
      }
    });
    return promise.future();
  }

  private void flush() {
    if (!inDoubt.isEmpty()) {
      resolveInDoubt();
      return;
    }
    List<Pending> batch = new ArrayList<>();
    int rows = 0;
    int maxRequests = isolate > 0 ? 1 : Integer.MAX_VALUE;
    if (isolate > 0) {
      isolate--;
    }
    while (!queue.isEmpty() && batch.size() < maxRequests
        && (batch.isEmpty() || rows + queue.peek().events.size() <= batchMaxRows)) {
      Pending p = queue.poll();
      batch.add(p);
      rows += p.events.size();
    }
    if (batch.isEmpty()) {
      writing = false;
      return;
    }
    writing = true;
    int size = rows;
    Map<EventKey, Event> unique = new HashMap<>();
    List<Event> toInsert = new ArrayList<>(size);
    List<String> bodies = new ArrayList<>(size);
    for (Pending p : batch) {
      for (int i = 0; i < p.events.size(); i++) {
        Event e = p.events.get(i);
        // A duplicate within one batch: the first occurrence wins, the rest are duplicates.
        if (unique.putIfAbsent(EventKey.of(e), e) == null) {
          toInsert.add(e);
          bodies.add(p.bodies.get(i));
        }
      }
    }
    Set<String> newTenants = new HashSet<>();
    for (Event e : toInsert) {
      if (!knownTenants.contains(e.getTenant())) {
        newTenants.add(e.getTenant());
      }
    }
    Tuple params = tuple(toInsert, bodies, newTenants);
    Promise<List<Row>> result = Promise.promise();
    // The batch's oldest request sets the time left, so no request waits past its own deadline.
    long leftMs = Math.max(1, (batch.get(0).deadlineNanos - System.nanoTime()) / 1_000_000L);
    long timer = vertx.setTimer(leftMs, t -> result.tryFail(new TimeoutException("journal write timed out")));
    pool.preparedQuery(INSERT)
        .execute(params)
        .onComplete(ar -> {
          vertx.cancelTimer(timer);
          if (ar.failed() && batch.size() > 1 && isDataError(ar.cause()) && !result.future().isComplete()) {
            // One request's data broke the shared insert: write each request of the batch
            // on its own, so only the one at fault is refused.
            for (int i = batch.size() - 1; i >= 0; i--) {
              queue.addFirst(batch.get(i));
            }
            isolate = batch.size();
            flush();
            return;
          }
          if (ar.succeeded()) {
            List<Row> out = new ArrayList<>();
            ar.result().forEach(out::add);
            if (!result.tryComplete(out)) {
              // Timed out, then committed after all: the engine must still see the events.
              publish(out, unique);
            }
            knownTenants.addAll(newTenants);
          } else {
            if (!isDataError(ar.cause())) {
              // No answer is not a "no": the rows may have committed. Find out before the next insert.
              inDoubt.putAll(unique);
            }
            result.tryFail(ar.cause());
          }
          flush();
        });
    result.future().onComplete(ar -> {
      queuedRows.addAndGet(-size);
      if (ar.failed()) {
        for (Pending p : batch) {
          p.complete(Future.failedFuture(ar.cause()));
        }
        return;
      }
      Map<EventKey, Long> inserted = publish(ar.result(), unique);
      Set<EventKey> claimed = new HashSet<>();
      for (Pending p : batch) {
        boolean[] fresh = new boolean[p.events.size()];
        for (int i = 0; i < fresh.length; i++) {
          EventKey k = EventKey.of(p.events.get(i));
          fresh[i] = inserted.containsKey(k) && claimed.add(k);
        }
        p.complete(Future.succeededFuture(new AppendResult(fresh)));
      }
    });
  }

  /**
   * Looks up the events of writes in doubt (under the write lock, so a write still committing
   * is waited for) and hands those that did commit to the engine, before any later insert can
   * take a higher seq. While the database cannot answer, the requests queued meanwhile fail
   * (the client sees {@code 503} and resends) and the look-up is tried again.
   */
  private void resolveInDoubt() {
    writing = true;
    List<Event> doubt = new ArrayList<>(inDoubt.values());
    String[] tenants = new String[doubt.size()];
    String[] ids = new String[doubt.size()];
    for (int i = 0; i < doubt.size(); i++) {
      tenants[i] = doubt.get(i).getTenant();
      ids[i] = doubt.get(i).getId();
    }
    Promise<List<Row>> result = Promise.promise();
    long timer = vertx.setTimer(writeTimeoutMs, t -> result.tryFail(new TimeoutException("journal look-up timed out")));
    pool.withTransaction(tx -> tx.query("SELECT pg_advisory_xact_lock(" + WRITE_LOCK + ")").execute()
            .compose(v -> tx.preparedQuery("SELECT e.seq, e.tenant, e.id FROM events e"
                    + " JOIN unnest($1::text[], $2::text[]) AS d(t, i) ON e.tenant = d.t AND e.id = d.i")
                .execute(Tuple.tuple().addArrayOfString(tenants).addArrayOfString(ids))))
        .onComplete(ar -> {
          vertx.cancelTimer(timer);
          if (ar.succeeded()) {
            List<Row> found = new ArrayList<>();
            ar.result().forEach(found::add);
            result.tryComplete(found);
          } else {
            result.tryFail(ar.cause());
          }
        });
    result.future().onComplete(ar -> {
      if (ar.succeeded()) {
        Map<EventKey, Event> byKey = new HashMap<>(inDoubt);
        inDoubt.clear();
        // A found row at or below the last published seq is an id that was already stored
        // (a resend inside the failed write), not one the failed write added.
        List<Row> added = ar.result().stream().filter(r -> r.getLong(0) > publishedSeq).toList();
        publish(added, byKey);
        flush();
        return;
      }
      List<Pending> failed = new ArrayList<>(queue);
      queue.clear();
      for (Pending p : failed) {
        queuedRows.addAndGet(-p.events.size());
        p.complete(Future.failedFuture(ar.cause()));
      }
      // Try again shortly even if nothing new arrives, so committed events do not wait for traffic.
      vertx.setTimer(500, t -> writer.runOnContext(x -> {
        if (!writing) {
          flush();
        }
      }));
      writing = false;
    });
  }

  private static boolean isDataError(Throwable e) {
    return e instanceof PgException pg && pg.getSqlState() != null && pg.getSqlState().startsWith("22");
  }

  /** Hands newly committed events to the engine in seq order; returns key to seq. */
  private Map<EventKey, Long> publish(List<Row> rows, Map<EventKey, Event> byKey) {
    Map<EventKey, Long> inserted = new HashMap<>();
    List<Event> committed = new ArrayList<>(rows.size());
    for (Row r : rows) {
      EventKey k = new EventKey(r.getString(1), r.getString(2));
      long seq = r.getLong(0);
      inserted.put(k, seq);
      committed.add(byKey.get(k).withSeq(seq));
    }
    committed.sort(Comparator.comparingLong(Event::getSeq));
    if (!committed.isEmpty()) {
      publishedSeq = Math.max(publishedSeq, committed.get(committed.size() - 1).getSeq());
      committedListener.accept(committed);
    }
    return inserted;
  }

  private static Tuple tuple(List<Event> events, List<String> bodies, Set<String> newTenants) {
    int n = events.size();
    String[] tenants = new String[n];
    String[] ids = new String[n];
    String[] types = new String[n];
    OffsetDateTime[] times = new OffsetDateTime[n];
    OffsetDateTime[] received = new OffsetDateTime[n];
    for (int i = 0; i < n; i++) {
      Event e = events.get(i);
      tenants[i] = e.getTenant();
      ids[i] = e.getId();
      types[i] = e.getType();
      // A request's events share one receive time, and often one event time.
      times[i] = i > 0 && e.getTime() == events.get(i - 1).getTime() ? times[i - 1] : utc(e.getTime());
      received[i] = i > 0 && e.getReceivedAt() == events.get(i - 1).getReceivedAt()
          ? received[i - 1] : utc(e.getReceivedAt());
    }
    return Tuple.of(tenants, ids, types, times, received, bodies.toArray(new String[0]))
        .addArrayOfString(newTenants.toArray(new String[0]));
  }

  static OffsetDateTime utc(long epochMillis) {
    return Instant.ofEpochMilli(epochMillis).atOffset(ZoneOffset.UTC);
  }

  /** Events of a tenant after a position, in order: the engine catching up. */
  public Future<List<Event>> readAfter(String tenant, long afterSeq, int limit) {
    return pool.preparedQuery(COLUMNS + "WHERE tenant = $1 AND seq > $2 ORDER BY seq LIMIT $3")
        .execute(Tuple.of(tenant, afterSeq, limit))
        .map(EventJournal::toEvents);
  }

  /**
   * Events of a tenant in (afterSeq, uptoSeq] received at or after {@code since}: a replay.
   * Events whose payload retention has pruned are left out (only a rule set whose windows
   * grew after they were pruned reaches back that far).
   */
  public Future<List<Event>> readRange(String tenant, long afterSeq, long uptoSeq, Instant since, int limit) {
    return pool.preparedQuery(
            COLUMNS + "WHERE tenant = $1 AND seq > $2 AND seq <= $3 AND received_at >= $4 AND body IS NOT NULL"
                + " ORDER BY seq LIMIT $5")
        .execute(Tuple.of(tenant, afterSeq, uptoSeq, since.atOffset(ZoneOffset.UTC), limit))
        .map(EventJournal::toEvents);
  }

  private static List<Event> toEvents(Iterable<Row> rows) {
    List<Event> out = new ArrayList<>();
    for (Row r : rows) {
      out.add(EventCodec.fromJson(
          r.getLong(0), r.getString(1), r.getOffsetDateTime(2).toInstant().toEpochMilli(), r.getString(3)));
    }
    return out;
  }

  /** The tenant's processed position and the receive time of the event at it, if any. */
  public Future<Position> position(String tenant) {
    return pool.preparedQuery(
            "SELECT p.seq, e.received_at FROM engine_positions p"
                + " LEFT JOIN events e ON e.tenant = p.tenant AND e.seq = p.seq WHERE p.tenant = $1")
        .execute(Tuple.of(tenant))
        .map(rows -> {
          if (rows.size() == 0) {
            return new Position(0, Optional.empty());
          }
          Row r = rows.iterator().next();
          OffsetDateTime at = r.getOffsetDateTime(1);
          return new Position(r.getLong(0), Optional.ofNullable(at).map(OffsetDateTime::toInstant));
        });
  }

  /** Tenants with committed events their engine has not processed yet. */
  public Future<List<String>> tenantsWithBacklog() {
    return pool.query(
            "SELECT p.tenant FROM engine_positions p"
                + " WHERE EXISTS (SELECT 1 FROM events e WHERE e.tenant = p.tenant AND e.seq > p.seq)")
        .execute()
        .map(rows -> {
          List<String> out = new ArrayList<>();
          rows.forEach(r -> out.add(r.getString(0)));
          return out;
        });
  }

  /**
   * A tenant's event id, the journal's idempotency key. A record rather than a joined string:
   * the id strings keep their cached hashes, where a string built per lookup is hashed anew
   * each time (three times per event per batch).
   */
  private record EventKey(String tenant, String id) {
    static EventKey of(Event e) {
      return new EventKey(e.getTenant(), e.getId());
    }
  }

  /** Per input event: true if it was new, false if a duplicate of an id already stored. */
  public record AppendResult(boolean[] fresh) {}

  public record Position(long seq, Optional<Instant> receivedAt) {}

  private record Pending(
      List<Event> events, List<String> bodies, Promise<AppendResult> promise, Context caller, long deadlineNanos) {
    void complete(Future<AppendResult> outcome) {
      Runnable done = () -> promise.handle(outcome);
      if (caller != null) {
        caller.runOnContext(v -> done.run());
      } else {
        done.run();
      }
    }
  }
}
