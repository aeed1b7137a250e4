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

  /** Crashes the PostgreSQL running in {@code pgDir}; returns once it is gone. */
  public static void stopImmediate(Path pgDir) throws IOException, InterruptedException {
    run(pgDir, "stop", "-m", "immediate");
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
