package io.vigil.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;

/**
 * Where the machine's CPU went during a run, by process: the Vigil server, its PostgreSQL
 * (the postmaster and every backend under it) and this JVM (load generator and receiver),
 * in cores, from {@code /proc/<pid>/stat} user plus system time. Backends that come and go
 * within the run are missed, which undercounts PostgreSQL a little; Vigil's pool keeps its
 * connections open. Linux only; elsewhere it reports nothing.
 */
final class CpuSplit {
  /** Clock ticks per second of /proc times; 100 on every Linux this runs on. */
  private static final double TICKS = 100.0;

  private final long server;
  private final Optional<ProcessHandle> postmaster;
  private final long startNanos;
  private final long[] start;

  private CpuSplit(long server, Optional<ProcessHandle> postmaster) {
    this.server = server;
    this.postmaster = postmaster;
    this.startNanos = System.nanoTime();
    this.start = ticks();
  }

  static CpuSplit start(long serverPid, Optional<ProcessHandle> postmaster) {
    return new CpuSplit(serverPid, postmaster);
  }

  /** "server=0.71 postgres=0.64 load+receiver=0.42 other+idle=0.23 of 2 cores" since the start. */
  String stop() {
    long[] end = ticks();
    double seconds = (System.nanoTime() - startNanos) / 1e9;
    int cores = Runtime.getRuntime().availableProcessors();
    double[] used = new double[3];
    for (int i = 0; i < 3; i++) {
      used[i] = (end[i] - start[i]) / TICKS / seconds;
    }
    // Processes not tracked (Maven, the OS) fall into the remainder with idle time.
    return String.format(Locale.ROOT, "server=%.2f postgres=%.2f load+receiver=%.2f other+idle=%.2f of %d cores",
        used[0], used[1], used[2], cores - used[0] - used[1] - used[2], cores);
  }

  private long[] ticks() {
    long pg = 0;
    if (postmaster.isPresent()) {
      List<Long> pids = new ArrayList<>();
      pids.add(postmaster.get().pid());
      postmaster.get().descendants().forEach(h -> pids.add(h.pid()));
      for (long pid : pids) {
        pg += ticksOf(pid);
      }
    }
    return new long[] {ticksOf(server), pg, ticksOf(ProcessHandle.current().pid())};
  }

  /** utime + stime of a process (its threads included), or 0 if it is gone or not on Linux. */
  static long ticksOf(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      // The command name (field 2) may hold spaces; the fields after its closing ')' are fixed.
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    } catch (IOException | RuntimeException e) {
      return 0;
    }
  }
}
