package io.vigil.testing;

import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The built {@code target/vigil.jar} as a child process, run the way an operator runs it:
 * its own data directory (embedded PostgreSQL in {@code <data>/pg}), a YAML file, the
 * shipped rules and templates, port 0 (the port is read from the log). It can be killed
 * with SIGKILL and started again on the same data any number of times; each start has its
 * own log file. {@link #close()} kills the process and the postmaster it leaves behind, so
 * no test leaks a PostgreSQL.
 */
public final class VigilProcess implements AutoCloseable {
  public static final String TOKEN = "vgl_fault-test-operator-token-0123456789";
  private static final Pattern PORT = Pattern.compile("listening on port (\\d+)");

  private final Path dir;
  private final Path data;
  private final Map<String, String> env;
  private final List<String> unset = new ArrayList<>();
  private final List<Process> started = new ArrayList<>();
  /** A small heap and the serial collector, so fault tests' heap figures are about Vigil. */
  private List<String> jvmArgs = List.of("-Xmx512m", "-XX:+UseSerialGC");
  private Process process;
  private Path logFile;
  private int port;

  private VigilProcess(Path dir, Map<String, String> env) {
    this.dir = dir;
    this.data = dir.resolve("data");
    this.env = env;
  }

  /** A process in {@code dir} with {@code yaml} as its vigil.yaml and extra VIGIL_* variables. */
  public static VigilProcess in(Path dir, String yaml, Map<String, String> env) throws IOException {
    Files.createDirectories(dir);
    Files.writeString(dir.resolve("vigil.yaml"), yaml);
    return new VigilProcess(dir, new LinkedHashMap<>(env));
  }

  /** Other JVM flags for the child (none: the JVM's defaults, as {@code java -jar} runs it). */
  public VigilProcess jvmArgs(String... args) {
    jvmArgs = List.of(args);
    return this;
  }

  /**
   * Leaves out variables the harness sets by default ({@code VIGIL_ADMIN_TOKEN},
   * {@code VIGIL_HTTP_PORT}, ...), for a test of what the process does with its YAML or its
   * own defaults instead: generating the token, refusing a bad port.
   */
  public VigilProcess unset(String... names) {
    unset.addAll(List.of(names));
    return this;
  }

  /** Starts the jar and waits until it listens and {@code /ready} says 200; returns how long that took. */
  public Duration start() throws IOException {
    long t0 = System.nanoTime();
    Process p = launch();
    Path log = logFile;
    port = await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(50)).until(() -> {
      if (!p.isAlive()) {
        throw new IllegalStateException("vigil exited " + p.exitValue() + ": " + Files.readString(log));
      }
      Matcher m = PORT.matcher(Files.readString(log));
      return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }, n -> n > 0);
    Api a = new Api(baseUrl(), null);
    await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(50))
        .until(() -> a.get("/ready").status() == 200);
    return Duration.ofNanos(System.nanoTime() - t0);
  }

  /** Starts the jar for a configuration it must refuse, and returns its exit code (-1 if still running after {@code limit}). */
  public int startExpectingExit(Duration limit) throws IOException, InterruptedException {
    Process p = launch();
    return p.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS) ? p.exitValue() : -1;
  }

  private Process launch() throws IOException {
    logFile = dir.resolve("vigil-" + started.size() + ".log");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    List<String> command = new ArrayList<>();
    command.add(java);
    command.addAll(jvmArgs);
    command.addAll(List.of("-jar", Path.of("target/vigil.jar").toAbsolutePath().toString()));
    ProcessBuilder pb = new ProcessBuilder(command);
    pb.directory(dir.toFile());
    Map<String, String> e = pb.environment();
    e.keySet().removeIf(k -> k.startsWith("VIGIL_"));
    e.put("VIGIL_CONFIG", dir.resolve("vigil.yaml").toString());
    e.put("VIGIL_HTTP_PORT", "0");
    e.put("VIGIL_DATA_DIR", data.toString());
    e.put("VIGIL_ADMIN_TOKEN", TOKEN);
    e.put("VIGIL_RULES_DIR", Path.of("rules").toAbsolutePath().toString());
    e.put("VIGIL_TEMPLATES_DIR", Path.of("templates").toAbsolutePath().toString());
    e.putAll(env);
    unset.forEach(e::remove);
    pb.redirectOutput(logFile.toFile()).redirectErrorStream(true);
    Process p = pb.start();
    process = p;
    started.add(p);
    return p;
  }

  /** SIGKILL, and wait until the process is gone (its postmaster stays behind, as in production). */
  public void kill() throws InterruptedException {
    if (process != null && process.isAlive()) {
      process.destroyForcibly();
      process.waitFor(30, TimeUnit.SECONDS);
    }
  }

  /** SIGTERM, the operator's stop; true when the process exited within {@code limit}. */
  public boolean terminate(Duration limit) throws InterruptedException {
    process.destroy();
    return process.waitFor(limit.toMillis(), TimeUnit.MILLISECONDS);
  }

  /** The current process's pid, for {@code jcmd}. */
  public long pid() {
    return process.pid();
  }

  /**
   * A full GC in the child ({@code jcmd <pid> GC.run}, the same as its own System.gc()), so
   * a heap figure read after it is what stays live, not garbage the collector has not
   * reached yet.
   */
  public void collectGarbage() throws IOException, InterruptedException {
    String jcmd = Path.of(System.getProperty("java.home"), "bin", "jcmd").toString();
    Process p = new ProcessBuilder(jcmd, Long.toString(pid()), "GC.run").redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException("jcmd " + pid() + " GC.run failed: " + out);
    }
  }

  public boolean alive() {
    return process != null && process.isAlive();
  }

  public int port() {
    return port;
  }

  public String baseUrl() {
    return "http://127.0.0.1:" + port;
  }

  /** The operator's API (tenant {@code default}). */
  public Api api() {
    return new Api(baseUrl(), TOKEN);
  }

  public Path dataDir() {
    return data;
  }

  /** The log of the current (last started) process. */
  public String log() throws IOException {
    return Files.readString(logFile, StandardCharsets.UTF_8);
  }

  /** The embedded postmaster's pid, if its pid file names a live process. */
  public Optional<ProcessHandle> postmaster() throws IOException {
    Path pidFile = data.resolve("pg/postmaster.pid");
    if (!Files.exists(pidFile)) {
      return Optional.empty();
    }
    List<String> lines = Files.readAllLines(pidFile);
    if (lines.isEmpty()) {
      return Optional.empty();
    }
    return ProcessHandle.of(Long.parseLong(lines.get(0).trim())).filter(ProcessHandle::isAlive);
  }

  /**
   * PostgreSQL's crash simulation on the process's embedded PostgreSQL: {@code pg_ctl stop
   * -m immediate} (no checkpoint; the next start runs crash recovery). Returns when pg_ctl
   * returns.
   */
  public void crashPostgres() throws IOException, InterruptedException {
    PgCtl.stopImmediate(data.resolve("pg"));
  }

  /** A JDBC connection to the embedded database, as the test's oracle reads it. */
  public Connection sql() throws IOException, SQLException {
    String password = Files.readString(data.resolve("pg-password")).trim();
    return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + postgresPort() + "/vigil", "postgres", password);
  }

  /** The embedded PostgreSQL's port, from its pid file. */
  public int postgresPort() throws IOException {
    return Integer.parseInt(Files.readAllLines(data.resolve("pg/postmaster.pid")).get(3).trim());
  }

  /** Kills the process and stops the postmaster it left behind; its logs are kept in target/fault-logs/. */
  @Override
  public void close() throws Exception {
    Path keep = Path.of("target", "fault-logs", dir.getFileName().toString());
    Files.createDirectories(keep);
    try (var logs = Files.list(dir)) {
      for (Path log : logs.filter(f -> f.getFileName().toString().endsWith(".log")).toList()) {
        Files.copy(log, keep.resolve(log.getFileName()), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
      }
    }
    for (Process p : started) {
      if (p.isAlive()) {
        p.destroyForcibly();
        p.waitFor(30, TimeUnit.SECONDS);
      }
    }
    Optional<ProcessHandle> pm = postmaster();
    if (pm.isPresent()) {
      ProcessHandle h = pm.get();
      h.destroy(); // SIGTERM: smart shutdown of an idle server
      try {
        h.onExit().get(30, TimeUnit.SECONDS);
      } catch (Exception e) {
        h.destroyForcibly();
      }
    }
  }
}
