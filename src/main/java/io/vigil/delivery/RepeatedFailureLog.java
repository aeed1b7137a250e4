package io.vigil.delivery;

import java.time.Duration;
import org.slf4j.Logger;

/**
 * Logs a job that fails pass after pass (the database is down) as an operator wants to read
 * it: the first failure, then one line a minute with the count, then the recovery, rather
 * than a warning per pass. Used from one context only.
 */
final class RepeatedFailureLog {
  private static final long EVERY_NANOS = Duration.ofMinutes(1).toNanos();
  private final Logger log;
  private final String name;
  private final Duration interval;
  private int failures;
  private long loggedAtNanos;

  RepeatedFailureLog(Logger log, String name, Duration interval) {
    this.log = log;
    this.name = name;
    this.interval = interval;
  }

  void succeeded() {
    if (failures > 0) {
      log.info("{} works again after {} failed passes", name, failures);
      failures = 0;
    }
  }

  void failed(Throwable cause) {
    failures++;
    long now = System.nanoTime();
    if (failures == 1 || now - loggedAtNanos >= EVERY_NANOS) {
      loggedAtNanos = now;
      log.warn("{} failed ({} in a row), trying again every {}: {}", name, failures, interval, cause.toString());
    }
  }
}
