package io.vigil.bench;

import com.sun.management.OperatingSystemMXBean;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * One line per measure: the median of the runs, every run, and the target beside
 * it, printed and appended to {@code target/bench/results.txt} so a reader can keep the
 * whole result of {@code bench/run.sh}. The machine line says what produced the numbers,
 * including the load average: on a shared machine the numbers are only indicative.
 */
final class BenchReport {
  static final Path RESULTS = Path.of("target", "bench", "results.txt");

  private BenchReport() {}

  static double median(List<Double> runs) {
    List<Double> s = new ArrayList<>(runs);
    Collections.sort(s);
    int n = s.size();
    return n % 2 == 1 ? s.get(n / 2) : (s.get(n / 2 - 1) + s.get(n / 2)) / 2;
  }

  static String machine() {
    OperatingSystemMXBean os = (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    return String.format(Locale.ROOT,
        "MACHINE cores=%d memory=%.1fGiB jdk=%s (%s) max_heap=%dMiB load_average_1m=%.2f",
        Runtime.getRuntime().availableProcessors(), os.getTotalMemorySize() / (1024.0 * 1024 * 1024),
        System.getProperty("java.version"), System.getProperty("java.vm.name"),
        Runtime.getRuntime().maxMemory() / (1024 * 1024), os.getSystemLoadAverage());
  }

  /** Prints and records {@code BENCH <measure>: median=<m> <unit> runs=[...] target <target> <extra>}. */
  static void line(String measure, String unit, List<Double> runs, String target, String extra) {
    String line = String.format(Locale.ROOT, "BENCH %s: median=%s %s runs=[%s] target %s%s", measure,
        format(median(runs)), unit, runs.stream().map(BenchReport::format).collect(Collectors.joining(", ")), target,
        extra.isEmpty() ? "" : " | " + extra);
    write(line);
  }

  /** Prints and records one free-form line (the machine, a note about a run). */
  static synchronized void write(String line) {
    System.out.println(line);
    try {
      Files.createDirectories(RESULTS.getParent());
      Files.writeString(RESULTS, line + "\n", StandardCharsets.UTF_8, StandardOpenOption.CREATE,
          StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new IllegalStateException("cannot write " + RESULTS, e);
    }
  }

  static String format(double v) {
    return v >= 100 ? String.format(Locale.ROOT, "%.0f", v) : String.format(Locale.ROOT, "%.2f", v);
  }
}
