package io.vigil.testing;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntSupplier;

/**
 * A fault-test client, the oracle's source of truth: it posts one tenant's events with
 * unique ids (single events, JSON arrays and NDJSON, mixed) and records every id the server
 * acknowledged with {@code 202}. A request that fails in any way (connection refused while
 * the process is dead, {@code 503} while PostgreSQL is down) is sent again with the same
 * ids, after the server's {@code Retry-After} or when the test says the server is back.
 * Every answer that is not a {@code 202} or a {@code 503} with {@code Retry-After}, and
 * every request slower than the hang bound, is counted so the test can assert on it.
 */
public final class IngestClient implements Runnable {
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).version(HttpClient.Version.HTTP_1_1).build();

  private final String tenant;
  private final String token;
  private final IntSupplier port;
  private final List<List<String>> batches;
  private final String type;
  private final Random random;
  private final Duration hangBound;
  /** ids acknowledged with 202, over every client (shared, so the test can await progress). */
  private final Set<String> acked;
  private final AtomicLong ackedCount;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private volatile int generation;

  public final AtomicInteger requests = new AtomicInteger();
  public final AtomicInteger retries = new AtomicInteger();
  public final AtomicInteger unavailable = new AtomicInteger();
  public final AtomicInteger refused = new AtomicInteger();
  public final AtomicInteger duplicatesReported = new AtomicInteger();
  public final List<String> unexpected = new java.util.concurrent.CopyOnWriteArrayList<>();
  public final AtomicLong slowestMs = new AtomicLong();

  public IngestClient(String tenant, String token, IntSupplier port, String idPrefix, int events, String type,
      long seed, Duration hangBound, Set<String> acked, AtomicLong ackedCount) {
    this.tenant = tenant;
    this.token = token;
    this.port = port;
    this.type = type;
    this.random = new Random(seed);
    this.hangBound = hangBound;
    this.acked = acked;
    this.ackedCount = ackedCount;
    this.batches = new ArrayList<>();
    int i = 0;
    while (i < events) {
      // One in three requests a single event, the rest batches of up to 40.
      int size = random.nextInt(3) == 0 ? 1 : 1 + random.nextInt(40);
      List<String> ids = new ArrayList<>();
      for (int j = 0; j < size && i < events; j++, i++) {
        ids.add(idPrefix + "-" + i);
      }
      batches.add(ids);
    }
  }

  public static Set<String> ackedSet() {
    return ConcurrentHashMap.newKeySet();
  }

  public String tenant() {
    return tenant;
  }

  /** Wakes clients waiting for the server to come back (call after a restart). */
  public void serverChanged() {
    lock.lock();
    try {
      generation++;
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void run() {
    for (List<String> ids : batches) {
      while (true) {
        int seen = generation;
        long retryAfterMs = send(ids);
        if (retryAfterMs < 0) {
          break;
        }
        retries.incrementAndGet();
        waitForServer(seen, retryAfterMs);
      }
    }
  }

  /** -1 when acknowledged, else how long to wait at most before sending again. */
  private long send(List<String> ids) {
    requests.incrementAndGet();
    String now = Instant.now().toString();
    String body;
    String contentType;
    int format = ids.size() == 1 ? 0 : random.nextInt(2) + 1;
    if (format == 0) {
      body = event(ids.get(0), now).encode();
      contentType = "application/json";
    } else if (format == 1) {
      JsonArray a = new JsonArray();
      ids.forEach(id -> a.add(event(id, now)));
      body = a.encode();
      contentType = "application/json";
    } else {
      StringBuilder sb = new StringBuilder();
      ids.forEach(id -> sb.append(event(id, now).encode()).append('\n'));
      body = sb.toString();
      contentType = "application/x-ndjson";
    }
    HttpRequest request = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port.getAsInt() + "/api/v1/events"))
        .timeout(Duration.ofSeconds(30))
        .header("Authorization", "Bearer " + token)
        .header("Content-Type", contentType)
        .POST(HttpRequest.BodyPublishers.ofString(body))
        .build();
    long t0 = System.nanoTime();
    HttpResponse<String> r;
    try {
      r = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      // The process is dead or dying: the events may or may not be stored; send them again.
      refused.incrementAndGet();
      return 1_000;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } finally {
      long ms = (System.nanoTime() - t0) / 1_000_000;
      slowestMs.accumulateAndGet(ms, Math::max);
      if (ms > hangBound.toMillis()) {
        unexpected.add("request took " + ms + "ms");
      }
    }
    if (r.statusCode() == 202) {
      JsonObject answer = new JsonObject(r.body());
      if (!answer.getJsonArray("ids").getList().equals(ids)) {
        unexpected.add("202 with other ids: " + r.body());
      }
      duplicatesReported.addAndGet(answer.getInteger("duplicates"));
      for (String id : ids) {
        if (acked.add(tenant + "/" + id)) {
          ackedCount.incrementAndGet();
        }
      }
      return -1;
    }
    if (r.statusCode() == 503 && r.headers().firstValue("Retry-After").isPresent()) {
      unavailable.incrementAndGet();
      long seconds = Long.parseLong(r.headers().firstValue("Retry-After").get());
      // Honour Retry-After but cap it: the test's own faults are short.
      return Math.min(1_000, seconds * 1_000);
    }
    unexpected.add(r.statusCode() + " " + r.body());
    return 1_000;
  }

  private JsonObject event(String id, String time) {
    return new JsonObject().put("id", id).put("type", type).put("time", time)
        .put("ip", "198.51.100." + (1 + random.nextInt(200))).put("user", "u" + random.nextInt(50))
        .put("attributes", new JsonObject(Map.of("n", id)));
  }

  /** Waits (a client's backoff, not test synchronisation) until the server changed or the delay passed. */
  private void waitForServer(int seen, long maxMs) {
    lock.lock();
    try {
      long nanos = maxMs * 1_000_000L;
      while (generation == seen && nanos > 0) {
        nanos = changed.awaitNanos(nanos);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } finally {
      lock.unlock();
    }
  }

  public int batchCount() {
    return batches.size();
  }
}
