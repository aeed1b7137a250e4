package io.vigil.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * {@code pg_ctl} for a running PostgreSQL data directory, taken from next to the binary its
 * postmaster runs (zonky's extracted binaries), for fault tests: {@code stop -m immediate}
 * is PostgreSQL's own crash simulation (no checkpoint; the next start replays the WAL).
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
          .pollInterval(java.time.Duration.ofMillis(20)).until(() -> exitedOrZombie(pid));
    } catch (org.awaitility.core.ConditionTimeoutException e) {
      throw new IllegalStateException("postmaster " + pid + " still running 30 s after SIGQUIT: state " + state(pid), e);
    }
  }

  private static boolean exitedOrZombie(long pid) {
    String state = state(pid);
    return state.isEmpty() || state.equals("Z") || state.equals("X");
  }

  /** The process state letter from /proc (R, S, D, Z, ...), empty when there is no such process. */
  private static String state(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      return stat.substring(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    } catch (IOException e) {
      return "";
    }
  }

  public static void run(Path pgDir, String... args) throws IOException, InterruptedException {
    long pid = Long.parseLong(Files.readAllLines(pgDir.resolve("postmaster.pid")).get(0).trim());
    ProcessHandle pm = ProcessHandle.of(pid).orElseThrow(() -> new IllegalStateException("no postmaster " + pid));
    Path pgCtl = Path.of(pm.info().command().orElseThrow()).resolveSibling("pg_ctl");
    List<String> cmd = new ArrayList<>();
    if ("root".equals(System.getProperty("user.name"))) {
      // pg_ctl refuses to run as root. In a fresh user namespace without a uid mapping it
      // sees itself as "nobody" while the kernel still checks files and signals as root,
      // which is what the data directory and the postmaster (both root's here) need.
      cmd.addAll(List.of("unshare", "-U"));
    }
    cmd.addAll(List.of(pgCtl.toString(), "-D", pgDir.toString(), "-w", "-t", "30"));
    cmd.addAll(List.of(args));
    Path out = Files.createTempFile("pg_ctl", ".log");
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(out.toFile()).start();
      if (!p.waitFor(60, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IllegalStateException("pg_ctl " + String.join(" ", args) + " did not return");
      }
      if (p.exitValue() != 0) {
        throw new IllegalStateException("pg_ctl " + String.join(" ", args) + " failed: " + Files.readString(out));
      }
    } finally {
      Files.deleteIfExists(out);
    }
  }
}
