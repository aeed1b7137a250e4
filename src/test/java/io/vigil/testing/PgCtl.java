package io.vigil.testing;

import io.vigil.store.EmbeddedPostgresServer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

/**
 * {@code pg_ctl stop -m immediate} for a running PostgreSQL data directory, for fault tests:
 * PostgreSQL's own crash simulation (no checkpoint; the next start replays the WAL).
 */
public final class PgCtl {
  private PgCtl() {}

  /**
   * Crashes the PostgreSQL running in {@code pgDir}, as {@code pg_ctl stop -m immediate} does
   * (SIGQUIT to the postmaster); returns once it is gone. Sent directly rather than through
   * pg_ctl, whose wait takes a postmaster that has exited but is not reaped yet (a zombie,
   * which in a container can stay one for a while) for a live one, and timed out in CI.
   */
  public static void stopImmediate(Path pgDir) throws IOException, InterruptedException {
    long pid = Long.parseLong(Files.readAllLines(pgDir.resolve("postmaster.pid")).get(0).trim());
    Process kill = new ProcessBuilder("kill", "-QUIT", Long.toString(pid)).redirectErrorStream(true).start();
    if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new IllegalStateException("kill -QUIT " + pid + " failed: " + new String(kill.getInputStream().readAllBytes()));
    }
    try {
      org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30))
          .pollInterval(java.time.Duration.ofMillis(20)).until(() -> ProcessHandle.of(pid).map(EmbeddedPostgresServer::exited).orElse(true));
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      throw new IllegalStateException("postmaster " + pid + " still running 30 s after SIGQUIT", e);
    }
  }
}
