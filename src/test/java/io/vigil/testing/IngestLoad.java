package io.vigil.testing;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Ingest clients that record every outcome, the oracle's client side: each request carries
 * one event with a unique id, and each answer (status, {@code Retry-After}, latency, or the
 * client error) is kept, so a test can check that every {@code 202}'d id is in the journal
 * and that nothing else came back but {@code 429}/{@code 503} with {@code Retry-After}.
 *
 * <p>Closed loop: N threads, each sending the next request when the last is answered.
 * Open loop: requests at a fixed rate whatever the answers, as real sources send; a cap on
 * requests in flight keeps the client itself bounded (what it could not send is counted as
 * {@code notSent}, never as offered).
 */
public final class IngestLoad implements AutoCloseable {
  public record Outcome(String id, long sentAtNanos, long latencyNanos, int status, String retryAfter, String error) {
    public boolean accepted() {
      return status == 202;
    }

    public double latencySeconds() {
      return latencyNanos / 1e9;
    }
  }

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5))
      .executor(Executors.newFixedThreadPool(4, r -> {
        Thread t = new Thread(r, "ingest-load-http");
        t.setDaemon(true);
        return t;
      }))
      .build();
  private final String url;
  private final String token;
  private final String idPrefix;
  private final String type;
  private final AtomicLong next = new AtomicLong();
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final ConcurrentLinkedQueue<Outcome> outcomes = new ConcurrentLinkedQueue<>();
  private final AtomicLong notSent = new AtomicLong();
  private final List<Thread> threads = new ArrayList<>();
  private ScheduledExecutorService ticker;
  private volatile long limit = Long.MAX_VALUE;

  public IngestLoad(String baseUrl, String token, String idPrefix, String type) {
    this.url = baseUrl + "/api/v1/events";
    this.token = token;
    this.idPrefix = idPrefix;
    this.type = type;
  }

  /** Sends at most {@code n} requests in all, so a slow server cannot make a test run longer and longer. */
  public IngestLoad limit(long n) {
    this.limit = n;
    return this;
  }

  /** Starts {@code n} threads sending one request after another. */
  public IngestLoad closedLoop(int n) {
    for (int i = 0; i < n; i++) {
      Thread t = new Thread(() -> {
        while (running.get() && next.get() < limit) {
          sendBlocking();
        }
      }, "ingest-load-" + i);
      t.setDaemon(true);
      t.start();
      threads.add(t);
    }
    return this;
  }

  /** Sends {@code perSecond} requests a second in 10 ms slots, at most {@code maxInFlight} unanswered. */
  public IngestLoad openLoop(int perSecond, int maxInFlight) {
    Semaphore inFlight = new Semaphore(maxInFlight);
    ticker = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "ingest-load-ticker");
      t.setDaemon(true);
      return t;
    });
    long perSlot = Math.max(1, perSecond / 100);
    ticker.scheduleAtFixedRate(() -> {
      for (int i = 0; i < perSlot && running.get() && next.get() < limit; i++) {
        if (!inFlight.tryAcquire()) {
          notSent.incrementAndGet();
          continue;
        }
        String id = idPrefix + next.incrementAndGet();
        long sent = System.nanoTime();
        http.sendAsync(request(id), HttpResponse.BodyHandlers.ofString()).whenComplete((r, e) -> {
          inFlight.release();
          record(id, sent, r, e);
        });
      }
    }, 0, 10, TimeUnit.MILLISECONDS);
    return this;
  }

  private void sendBlocking() {
    String id = idPrefix + next.incrementAndGet();
    long sent = System.nanoTime();
    try {
      record(id, sent, http.send(request(id), HttpResponse.BodyHandlers.ofString()), null);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      record(id, sent, null, e);
    }
  }

  private HttpRequest request(String id) {
    return HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
        .header("Authorization", "Bearer " + token).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"id\":\"" + id + "\",\"type\":\"" + type + "\"}")).build();
  }

  private void record(String id, long sent, HttpResponse<String> r, Throwable e) {
    long latency = System.nanoTime() - sent;
    if (r != null) {
      outcomes.add(new Outcome(id, sent, latency, r.statusCode(), r.headers().firstValue("Retry-After").orElse(null),
          null));
    } else {
      outcomes.add(new Outcome(id, sent, latency, -1, null, String.valueOf(e)));
    }
  }

  /** Stops sending and waits for every answer (bounded by the request timeout). */
  public List<Outcome> stop() {
    running.set(false);
    if (ticker != null) {
      ticker.shutdown();
    }
    for (Thread t : threads) {
      try {
        t.join(60_000);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    long sent = next.get();
    org.awaitility.Awaitility.await().atMost(Duration.ofSeconds(60)).until(() -> outcomes.size() >= sent);
    return List.copyOf(outcomes);
  }

  /** Answers so far (a live view for awaiting a condition). */
  public List<Outcome> outcomes() {
    return List.copyOf(outcomes);
  }

  /** How many answers so far, cheaply. */
  public int answered() {
    return outcomes.size();
  }

  /** The last {@code n} answers (the queue is in arrival order). */
  public List<Outcome> lastOutcomes(int n) {
    List<Outcome> all = List.copyOf(outcomes);
    return all.subList(Math.max(0, all.size() - n), all.size());
  }

  public long notSent() {
    return notSent.get();
  }

  @Override
  public void close() {
    running.set(false);
    if (ticker != null) {
      ticker.shutdownNow();
    }
  }
}
