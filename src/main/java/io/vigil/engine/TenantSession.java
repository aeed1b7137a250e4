package io.vigil.engine;

import io.vertx.core.Future;
import io.vigil.alert.AlertService;
import io.vigil.alert.RaisedAlert;
import io.vigil.rules.Event;
import io.vigil.store.EventJournal;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A tenant's {@link RuleSession} on its own thread ({@code vigil-engine-<tenant>}); no
 * KieSession call ever runs anywhere else.
 *
 * <p>Events reach it two ways. Live, the journal hands over each committed batch. When the
 * session is new (after a restart) or has fallen behind (its inbox overflowed), it reads
 * the journal itself from its last position until it has caught up, then goes live again;
 * batches handed over meanwhile are held and replayed by sequence number, so no event is
 * skipped or processed twice. A new session first replays, silently, the journal from its
 * stored position minus the rule set's retention, so windows and cooldowns come back as
 * they were before the restart without raising anything twice.
 *
 * <p>A session idle for {@code engine.idle_session_timeout} retires: it stores its raises and
 * position, closes its Drools session and stops its thread, so a tenant that stopped
 * sending holds no memory. The next event (or its next timer) builds a new session by the
 * same replay as a restart, then moves the clock silently to where the retired one stood,
 * so windows, cooldowns and timers are as if it had never left.
 */
final class TenantSession {
  private static final Logger log = LoggerFactory.getLogger(TenantSession.class);
  private static final int PAGE = 1000;

  private final String tenant;
  private final RuleEngine engine;
  private final ExecutorService thread;
  private final int inboxMax;
  /** Engine time the retired session before this one had reached (0: a first start); replayed silently. */
  private final long silentUntil;

  // Guarded by this: the handover between journal and engine thread.
  private boolean live;
  private boolean overflowed;
  private boolean retired;
  /** Offers so far and the engine-clock time of the last one: what "idle" is measured by. */
  private long offers;
  private long lastOfferAt;
  private int queuedEvents;
  private final ArrayDeque<Event> held = new ArrayDeque<>();
  /** Receive time of the first event of each batch queued live, oldest first: the lag. */
  private final ArrayDeque<Long> queuedSince = new ArrayDeque<>();
  /** Receive time of the last event processed; the lag while catching up from the journal. */
  private volatile long processedReceivedAt;
  /** What the Drools session holds and has evicted, as of its last batch or tick (for status). */
  private volatile int heldEvents;
  private volatile long evictedEvents; // written by the engine thread only

  // Engine thread only.
  private RuleSession rules;
  private long lastSeq;
  /** Evictions already reported; a silent replay's are not reported again. */
  private long evictedReported;
  private long evictedSinceWarning;
  private long lastEvictionWarningAt = Long.MIN_VALUE / 2;

  TenantSession(String tenant, RuleEngine engine, int inboxMax, long silentUntil, long createdAt) {
    this.tenant = tenant;
    this.engine = engine;
    this.inboxMax = inboxMax;
    this.silentUntil = silentUntil;
    this.lastOfferAt = createdAt;
    this.thread = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "vigil-engine-" + tenant);
      t.setDaemon(true);
      return t;
    });
  }

  String tenant() {
    return tenant;
  }

  /** Starts recovery: silent replay of the retention window, then catch-up, then live. */
  CompletableFuture<Void> start() {
    return CompletableFuture.runAsync(this::recover, thread);
  }

  /**
   * Hands over committed events (seq order). Never blocks; overflow switches to catch-up.
   * False if this session has retired: the engine then builds a new one and offers there.
   */
  synchronized boolean offer(List<Event> events, long nowMillis) {
    if (retired) {
      return false;
    }
    offers++;
    lastOfferAt = nowMillis;
    if (!live) {
      if (held.size() + events.size() > inboxMax) {
        held.clear();
        overflowed = true;
      } else {
        held.addAll(events);
      }
      return true;
    }
    if (queuedEvents + events.size() > inboxMax) {
      live = false;
      overflowed = false;
      log.warn("engine inbox full tenant={} queued={}; catching up from the journal", tenant, queuedEvents);
      thread.execute(this::catchUp);
      return true;
    }
    queuedEvents += events.size();
    queuedSince.addLast(events.get(0).getReceivedAt());
    thread.execute(() -> {
      processLive(events);
      synchronized (this) {
        queuedEvents -= events.size();
        queuedSince.pollFirst();
      }
    });
    return true;
  }

  synchronized int queuedEvents() {
    return queuedEvents + held.size();
  }

  /** Whether events are handed over as they commit (not recovering or catching up). */
  synchronized boolean live() {
    return live;
  }

  /**
   * How long the oldest event this session has not processed has waited: 0 when it is
   * up to date. While it catches up from the journal, the age of the event it processed
   * last (it reads in order, so that is how far behind it is).
   */
  synchronized long lagMillis(long nowMillis) {
    long since;
    if (live) {
      if (queuedSince.isEmpty()) {
        return 0;
      }
      since = queuedSince.peekFirst();
    } else if (processedReceivedAt > 0) {
      since = processedReceivedAt;
    } else if (!held.isEmpty()) {
      since = held.peekFirst().getReceivedAt();
    } else {
      return 0;
    }
    return Math.max(0, nowMillis - since);
  }

  /** Moves the clock to wall time so timers and absence rules fire; skipped while behind. */
  void tick(long nowMillis) {
    execute(() -> {
      synchronized (this) {
        if (!live || queuedEvents > 0 || retired) {
          return;
        }
      }
      submit(rules.advanceTo(nowMillis), 0);
      noteHeldEvents();
      retireIfIdle(nowMillis);
    });
  }

  /**
   * On the engine thread, after a tick: retires the session if no event came for the idle
   * timeout and no timer is due within it (a session with a timer about to fire would only
   * be rebuilt to fire it). Everything it raised is stored first, because the next session
   * resumes from the stored position.
   */
  private void retireIfIdle(long nowMillis) {
    long idleMs = engine.idleTimeoutMillis();
    long seen;
    long idleFor;
    synchronized (this) {
      idleFor = nowMillis - lastOfferAt;
      if (idleMs <= 0 || !live || queuedEvents > 0 || !held.isEmpty() || idleFor < idleMs) {
        return;
      }
      seen = offers;
    }
    long wakeAt = rules.nextTimerAt();
    if (wakeAt >= 0 && wakeAt - nowMillis < idleMs) {
      return;
    }
    if (!engine.alertsStored(tenant, 5_000)) {
      return;
    }
    if (!engine.retire(this, seen, rules.now(), wakeAt)) {
      return;
    }
    rules.close();
    rules = null;
    thread.shutdown();
    log.info("engine session retired tenant={} idleMs={} wakeAt={}", tenant, idleFor, wakeAt);
  }

  /**
   * Called by the engine, holding this session's monitor: marks it retired if nothing was
   * offered since {@code seen}. Offers after this return false and go to a new session.
   */
  boolean markRetiredIfUnchanged(long seen) {
    if (retired || offers != seen || queuedEvents > 0 || !held.isEmpty()) {
      return false;
    }
    retired = true;
    return true;
  }

  /** Queues a task on the engine thread; a retired session's thread has stopped, so it is skipped. */
  private void execute(Runnable task) {
    try {
      thread.execute(task);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      log.debug("engine session retired tenant={}; task skipped", tenant);
    }
  }

  /**
   * Queues, behind the work already queued, a pause at the swap barrier: the last session
   * to arrive moves the shared container to the new rule set while every session is parked
   * between fireAllRules() calls; then each session fires what the change made due.
   */
  CompletableFuture<Void> swapAt(CyclicBarrier barrier, RuleSet next, long timeoutMs) {
    return call(() -> {
      barrier.await(timeoutMs, TimeUnit.MILLISECONDS);
      if (rules != null) {
        submit(rules.ruleSetChanged(next), 0);
      }
      return null;
    });
  }

  /** Runs a task on the engine thread (for tests and the API). */
  <T> CompletableFuture<T> call(java.util.concurrent.Callable<T> task) {
    CompletableFuture<T> f = new CompletableFuture<>();
    try {
      thread.execute(() -> {
        try {
          f.complete(task.call());
        } catch (Throwable e) {
          f.completeExceptionally(e);
        }
      });
    } catch (java.util.concurrent.RejectedExecutionException e) {
      f.completeExceptionally(new IllegalStateException("engine session of tenant " + tenant + " has retired", e));
    }
    return f;
  }

  /** Finishes the work already queued, then stops the thread and disposes the session. */
  void stop(long timeoutMs) {
    execute(() -> {
      if (rules != null) {
        rules.close();
      }
    });
    thread.shutdown();
    try {
      if (!thread.awaitTermination(timeoutMs, TimeUnit.MILLISECONDS)) {
        log.warn("engine for tenant={} did not finish within {}ms", tenant, timeoutMs);
        thread.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void processLive(List<Event> events) {
    List<RaisedAlert> raised = new ArrayList<>();
    long before = lastSeq;
    for (Event e : events) {
      if (e.getSeq() <= lastSeq) {
        continue;
      }
      raised.addAll(rules.process(e));
      lastSeq = e.getSeq();
      processedReceivedAt = e.getReceivedAt();
    }
    if (lastSeq > before) {
      submit(raised, lastSeq);
    }
    noteHeldEvents();
  }

  int heldEvents() {
    return heldEvents;
  }

  /** Events this session evicted to stay within its cap, not counting its silent replay. */
  long evictedEvents() {
    return evictedEvents;
  }

  /**
   * Publishes what the session holds, counts new evictions, and warns: at the first
   * eviction, then at most once a minute while they go on, because an eviction means a
   * window shorter than its rule says and an operator must size the cap or the heap.
   */
  private void noteHeldEvents() {
    heldEvents = rules.heldEvents();
    long evicted = rules.evicted();
    if (evicted == evictedReported) {
      return;
    }
    long fresh = evicted - evictedReported;
    evictedReported = evicted;
    evictedEvents += fresh;
    evictedSinceWarning += fresh;
    engine.evicted(tenant, fresh);
    long now = System.currentTimeMillis();
    if (now - lastEvictionWarningAt >= 60_000) {
      long oldest = rules.oldestHeldAt();
      log.warn("engine session full tenant={} held={} evicted={} windowsReachBackSeconds={}: the oldest events left"
              + " their windows early; raise engine.max_session_events (and the heap) or shorten the windows",
          tenant, rules.heldEvents(), evictedSinceWarning, oldest < 0 ? 0 : (rules.now() - oldest) / 1000);
      lastEvictionWarningAt = now;
      evictedSinceWarning = 0;
    }
  }

  private void submit(List<RaisedAlert> raised, long position) {
    if (raised.isEmpty() && position == 0) {
      return;
    }
    engine.fired(tenant, raised);
    try {
      engine.alerts().submit(tenant, raised, position);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private void recover() {
    long started = System.nanoTime();
    rules = engine.newRuleSession(this);
    EventJournal.Position position = await(() -> engine.journal().position(tenant));
    lastSeq = position.seq();
    int replayed = 0;
    if (position.seq() > 0 && position.receivedAt().isPresent()) {
      Instant since = position.receivedAt().get().minus(engine.ruleSet().retention()).minus(RuleCompiler.EXPIRY_SLACK);
      long after = 0;
      while (true) {
        long from = after;
        List<Event> page = await(() -> engine.journal().readRange(tenant, from, position.seq(), since, PAGE));
        for (Event e : page) {
          // Silent: windows, Alert facts and cooldowns are rebuilt; these alerts already exist.
          rules.process(e);
          after = e.getSeq();
        }
        replayed += page.size();
        if (page.size() < PAGE) {
          break;
        }
      }
    }
    // The replay rebuilt the evictions the previous session had already reported.
    evictedReported = rules.evicted();
    if (silentUntil > 0) {
      // Rebuilt after retiring: the retired session had already fired what fell due up to
      // here (timers, absences), so reaching its clock raises nothing again.
      rules.advanceTo(silentUntil);
    }
    int caughtUp = catchUpLoop();
    log.info("engine session ready tenant={} position={} replayed={} caughtUp={} tookMs={}",
        tenant, lastSeq, replayed, caughtUp, (System.nanoTime() - started) / 1_000_000);
  }

  private void catchUp() {
    catchUpLoop();
  }

  /** Reads the journal after {@code lastSeq} until nothing is left, then goes live. */
  private int catchUpLoop() {
    int total = 0;
    while (true) {
      while (true) {
        List<Event> page = await(() -> engine.journal().readAfter(tenant, lastSeq, PAGE));
        processLive(page);
        total += page.size();
        if (page.size() < PAGE) {
          break;
        }
      }
      List<Event> pending;
      synchronized (this) {
        if (overflowed) {
          overflowed = false;
          held.clear();
          continue;
        }
        live = true;
        pending = new ArrayList<>(held);
        held.clear();
      }
      processLive(pending);
      return total;
    }
  }

  /** Blocks this engine thread on a database read, retrying until the database answers. */
  private <T> T await(Supplier<Future<T>> read) {
    int failures = 0;
    while (true) {
      try {
        return read.get().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("engine thread interrupted", e);
      } catch (Exception e) {
        failures++;
        long delay = Math.min(5_000L, 100L << Math.min(failures, 6));
        log.warn("engine journal read failed tenant={} attempt={} retryInMs={} error={}",
            tenant, failures, delay, e.toString());
        try {
          // A dedicated engine thread, not an event loop: waiting here only pauses this tenant.
          Thread.sleep(delay);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("engine thread interrupted", ie);
        }
      }
    }
  }
}
