package io.vigil.store;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The embedded PostgreSQL in the data directory, with its unsafe library defaults replaced:
 * commits are synchronous and fsynced, data is kept on close, it listens on 127.0.0.1 only,
 * and logins need a generated password (scram-sha-256), not trust. A postmaster left behind
 * by a killed JVM is stopped before a new one starts; a lock file keeps two Vigil processes
 * off one data directory. A postmaster that dies while Vigil runs is started again by
 * {@link #restart()} on the same directory, port and password (the {@link Database}'s
 * watchdog calls it), so the connection pool only has to reconnect.
 *
 * <p>Blocking: call it from a worker thread.
 */
public final class EmbeddedPostgresServer {
  private static final Logger log = LoggerFactory.getLogger(EmbeddedPostgresServer.class);
  public static final String USER = "postgres";
  public static final String DATABASE = "vigil";

  private final Path pgDir;
  private final FileChannel lockChannel;
  private final FileLock lock;
  private final String password;
  private final int port;
  private volatile EmbeddedPostgres pg;
  private volatile Optional<ProcessHandle> postmaster;

  private EmbeddedPostgresServer(Path pgDir, FileChannel lockChannel, FileLock lock, EmbeddedPostgres pg, String password) {
    this.pgDir = pgDir;
    this.lockChannel = lockChannel;
    this.lock = lock;
    this.pg = pg;
    this.password = password;
    this.port = pg.getPort();
    this.postmaster = postmasterOf(pgDir);
  }

  public static EmbeddedPostgresServer start(Path dataDir, int port) throws IOException, SQLException {
    Files.createDirectories(dataDir);
    restrict(dataDir, "rwx------");
    FileChannel lockChannel =
        FileChannel.open(dataDir.resolve("vigil.lock"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
    FileLock lock = lockChannel.tryLock();
    if (lock == null) {
      lockChannel.close();
      throw new IllegalStateException(
          "another Vigil process is using the data directory " + dataDir.toAbsolutePath());
    }
    try {
      Path pgDir = dataDir.resolve("pg");
      stopOrphan(pgDir);
      String password = passwordFor(dataDir);
      EmbeddedPostgres pg = launch(pgDir, port, password);
      secure(pg, pgDir, password);
      return new EmbeddedPostgresServer(pgDir, lockChannel, lock, pg, password);
    } catch (IOException | SQLException | RuntimeException e) {
      lock.release();
      lockChannel.close();
      throw e;
    }
  }

  private static EmbeddedPostgres launch(Path pgDir, int port, String password) throws IOException {
    return EmbeddedPostgres.builder()
        .setDataDirectory(pgDir)
        .setCleanDataDirectory(false)
        // Vigil stops it last, after draining; a JVM hook would race that.
        .setRegisterShutdownHook(false)
        .setPort(port)
        .setPGStartupWait(Duration.ofSeconds(60))
        .setServerConfig("listen_addresses", "127.0.0.1")
        .setServerConfig("synchronous_commit", "on")
        .setServerConfig("fsync", "on")
        .setServerConfig("full_page_writes", "on")
        .setServerConfig("max_connections", "100")
        .setServerConfig("password_encryption", "scram-sha-256")
        .setConnectConfig("password", password)
        .start();
  }

  public int port() {
    return port;
  }

  /**
   * Whether the postmaster is still alive. It is a process Vigil started, so its pid (from
   * {@code postmaster.pid}, read at start) is the cheapest truth: no connection, no query.
   */
  public boolean running() {
    return postmaster.map(p -> !exited(p)).orElse(false);
  }

  /**
   * Whether a process has ended. A postmaster is not our child (pg_ctl daemonizes it), so
   * when it dies it stays a zombie until init reaps it, which can take seconds in a
   * container; {@link ProcessHandle#isAlive()} still says true for a zombie. The fault tests
   * wait for a crashed postmaster with it too.
   */
  public static boolean exited(ProcessHandle p) {
    if (!p.isAlive()) {
      return true;
    }
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(p.pid()), "stat"), StandardCharsets.UTF_8);
      // "pid (comm) S ...": the state follows the last ')' (comm itself may hold parentheses).
      int end = stat.lastIndexOf(')');
      return end > 0 && end + 2 < stat.length() && stat.charAt(end + 2) == 'Z';
    } catch (IOException | RuntimeException e) {
      return !p.isAlive(); // gone meanwhile, or no /proc: trust isAlive
    }
  }

  /**
   * Starts the postmaster again after it died (crash, OOM killer, {@code pg_ctl stop -m
   * immediate}): same directory, port and password, so open pools just reconnect; PostgreSQL
   * runs crash recovery from its WAL, so every committed transaction is still there.
   * Blocking: call it from a worker thread.
   */
  public synchronized void restart() throws IOException {
    if (running()) {
      return;
    }
    EmbeddedPostgres dead = pg;
    try {
      // Releases the library's lock on the data directory; its pg_ctl stop finds nothing to stop.
      dead.close();
    } catch (IOException | RuntimeException e) {
      log.debug("closing the dead embedded PostgreSQL: {}", e.toString());
    }
    stopOrphan(pgDir);
    pg = launch(pgDir, port, password);
    postmaster = postmasterOf(pgDir);
  }

  private static Optional<ProcessHandle> postmasterOf(Path pgDir) {
    try {
      List<String> lines = Files.readAllLines(pgDir.resolve("postmaster.pid"), StandardCharsets.UTF_8);
      return ProcessHandle.of(Long.parseLong(lines.get(0).trim()));
    } catch (IOException | RuntimeException e) {
      log.warn("cannot read the embedded postmaster's pid: {}", e.toString());
      return Optional.empty();
    }
  }

  public String password() {
    return password;
  }

  Path directory() {
    return pgDir;
  }

  /** Synchronized with {@link #restart()}: a stop during a restart would leave a postmaster behind. */
  public synchronized void stop() {
    try {
      pg.close();
    } catch (IOException e) {
      log.warn("embedded PostgreSQL did not stop cleanly: {}", e.toString());
    }
    try {
      lock.release();
      lockChannel.close();
    } catch (IOException e) {
      log.debug("releasing the data directory lock: {}", e.toString());
    }
  }

  /**
   * A JVM killed with SIGKILL leaves its postmaster running (pg_ctl daemonizes it). Stop it
   * gracefully (SIGTERM: its clients died with the JVM), forcibly if it will not go.
   */
  private static void stopOrphan(Path pgDir) throws IOException {
    Path pidFile = pgDir.resolve("postmaster.pid");
    if (!Files.exists(pidFile)) {
      return;
    }
    List<String> lines = Files.readAllLines(pidFile, StandardCharsets.UTF_8);
    long pid;
    try {
      pid = Long.parseLong(lines.get(0).trim());
    } catch (RuntimeException e) {
      Files.deleteIfExists(pidFile);
      return;
    }
    Optional<ProcessHandle> handle = ProcessHandle.of(pid);
    boolean isPostgres =
        handle.isPresent()
            && handle.get().info().command().map(c -> c.endsWith("postgres")).orElse(false);
    if (!isPostgres) {
      log.info("removing stale postmaster.pid (pid {} is not running)", pid);
      Files.deleteIfExists(pidFile);
      return;
    }
    log.warn("a PostgreSQL left running by a previous Vigil (pid {}) is being stopped", pid);
    ProcessHandle p = handle.get();
    p.destroy();
    if (!waitForExit(p, 30)) {
      log.warn("PostgreSQL pid {} did not stop within 30s; killing it", pid);
      p.destroyForcibly();
      waitForExit(p, 10);
    }
  }

  /** Polls (on this worker thread) rather than onExit(), which waits until a zombie is reaped. */
  private static boolean waitForExit(ProcessHandle p, int seconds) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (!exited(p)) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      java.util.concurrent.locks.LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
    }
    return true;
  }

  private static String passwordFor(Path dataDir) throws IOException {
    Path file = dataDir.resolve("pg-password");
    if (Files.exists(file)) {
      return Files.readString(file, StandardCharsets.UTF_8).trim();
    }
    byte[] raw = new byte[24];
    new SecureRandom().nextBytes(raw);
    String password = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
    writePrivate(file, password);
    return password;
  }

  /** Sets the password, requires it for every connection, and creates the database. */
  private static void secure(EmbeddedPostgres pg, Path pgDir, String password) throws SQLException, IOException {
    try (Connection c = pg.getPostgresDatabase().getConnection();
        Statement s = c.createStatement()) {
      s.execute("ALTER ROLE " + USER + " PASSWORD '" + password.replace("'", "''") + "'");
      Files.writeString(
          pgDir.resolve("pg_hba.conf"),
          "# Written by Vigil: password logins only, loopback only.\n"
              + "local all all scram-sha-256\n"
              + "host all all 127.0.0.1/32 scram-sha-256\n"
              + "host all all ::1/128 scram-sha-256\n",
          StandardCharsets.UTF_8);
      s.execute("SELECT pg_reload_conf()");
      try (ResultSet rs = s.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + DATABASE + "'")) {
        if (!rs.next()) {
          s.execute("CREATE DATABASE " + DATABASE);
        }
      }
    }
  }

  static void writePrivate(Path file, String content) throws IOException {
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.deleteIfExists(tmp);
    Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(tmp, content, StandardCharsets.UTF_8);
    Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
  }

  private static void restrict(Path dir, String perms) {
    try {
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString(perms));
    } catch (IOException | UnsupportedOperationException e) {
      log.debug("cannot restrict permissions of {}: {}", dir, e.toString());
    }
  }
}
