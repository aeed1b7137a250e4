package io.vigil.bench;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vigil.testing.TestDatabase;
import io.vigil.testing.TestServer;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Durable ingest over HTTP against the whole server (in this JVM, on a free port, with the
 * embedded PostgreSQL and its engine running): batches of 1,000 events, then one event a
 * request from 64 concurrent clients. Each is measured against a plain Vert.x endpoint
 * inserting into the same PostgreSQL, in the same run, so Vigil's overhead reads as a
 * ratio. The load generator shares the machine's cores with the server. Run with
 * bench/run.sh; not part of CI.
 */
@Tag("bench")
class IngestBenchIT {
  private static final int RUNS = 3;
  private static final double SECONDS = Double.parseDouble(System.getProperty("bench.ingest.seconds", "10"));
  private static final AtomicLong IDS = new AtomicLong();

  static String event() {
    long n = IDS.incrementAndGet();
    return "{\"id\":\"ing-" + n + "\",\"type\":\"bench.ingest\",\"ip\":\"10.1." + (n % 250) + "." + (n / 250 % 250)
        + "\",\"user\":\"u" + (n % 1000) + "\",\"attributes\":{\"n\":" + n + "}}";
  }

  static String batch(int size) {
    StringBuilder b = new StringBuilder(size * 110).append('[');
    for (int i = 0; i < size; i++) {
      b.append(i == 0 ? "" : ",").append(event());
    }
    return b.append(']').toString();
  }

  /** Three measured runs after one short warm-up; events/s or requests/s of each. */
  static List<Double> measure(LoadClient load, String path, int concurrency, int perRequest, boolean eventsPerSecond,
      List<String> notes) throws Exception {
    Supplier<String> body = perRequest == 1 ? IngestBenchIT::event : () -> batch(perRequest);
    load.closedLoop(path, concurrency, 3, perRequest, body);
    List<Double> out = new ArrayList<>();
    for (int r = 0; r < RUNS; r++) {
      LoadClient.Outcome o = load.closedLoop(path, concurrency, SECONDS, perRequest, body);
      assertTrue(o.ok() > 0, "nothing accepted: " + o);
      out.add(eventsPerSecond ? o.eventsPerSecond() : o.requestsPerSecond());
      notes.add("ok=" + o.ok() + " rejected=" + o.rejected() + " failed=" + o.failed());
    }
    return out;
  }

  @Test
  void batched_then_single_events_against_a_plain_insert_baseline() throws Exception {
    BenchReport.write(BenchReport.machine());
    TestDatabase.truncate();
    List<String> vigilBatch = new ArrayList<>();
    List<String> vigilSingle = new ArrayList<>();
    List<Double> batched;
    List<Double> single;
    try (TestServer server = TestServer.builder().start();
        LoadClient load = new LoadClient(server.port(), TestServer.OPERATOR_TOKEN, 64)) {
      batched = measure(load, "/api/v1/events", 4, 1000, true, vigilBatch);
      single = measure(load, "/api/v1/events", 64, 1, false, vigilSingle);
    }
    List<String> plainBatch = new ArrayList<>();
    List<String> plainSingle = new ArrayList<>();
    List<Double> plainBatched;
    List<Double> plainSingles;
    try (PlainInsertServer plain = new PlainInsertServer(TestDatabase.url());
        LoadClient load = new LoadClient(plain.port(), "none", 64)) {
      plainBatched = measure(load, "/", 4, 1000, true, plainBatch);
      plainSingles = measure(load, "/", 64, 1, false, plainSingle);
    }
    BenchReport.line("durable ingest, batched 1,000 events a request, 4 clients", "events/s", batched, ">= 50000",
        "plain Vert.x insert baseline median=" + BenchReport.format(BenchReport.median(plainBatched))
            + " ratio=" + ratio(batched, plainBatched) + " " + vigilBatch);
    BenchReport.line("durable ingest, 1 event a request, 64 concurrent clients", "requests/s", single, ">= 10000",
        "plain Vert.x insert baseline median=" + BenchReport.format(BenchReport.median(plainSingles))
            + " ratio=" + ratio(single, plainSingles) + " " + vigilSingle);
  }

  private static String ratio(List<Double> vigil, List<Double> plain) {
    return BenchReport.format(BenchReport.median(vigil) / BenchReport.median(plain));
  }
}
