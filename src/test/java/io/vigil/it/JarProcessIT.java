package io.vigil.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vigil.testing.Api;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The built jar, run as a user runs it, with its own embedded PostgreSQL in a data
 * directory: it generates the operator token (mode 0600), commits synchronously, requires a
 * password, keeps its data across restarts, survives SIGKILL (the orphaned postmaster is
 * stopped at the next start) with engine state intact, and stops cleanly on SIGTERM.
 */
class JarProcessIT {
  private static final Pattern PORT = Pattern.compile("listening on port (\\d+)");

  @TempDir Path dir;
  private final List<Process> processes = new ArrayList<>();

  @AfterEach
  void killAll() {
    processes.forEach(Process::destroyForcibly);
  }

  @Test
  @DisplayName("first start, kill -9, second start: data, token and engine state survive; SIGTERM stops cleanly")
  void survives_kill_and_restart() throws Exception {
    Files.writeString(dir.resolve("vigil.yaml"),
        "channels:\n  - name: secops-webhook\n    type: log\n  - name: audit-log\n    type: log\n");
    Path data = dir.resolve("data");

    Running first = start(data);
    assertTrue(first.log().contains("data: embedded PostgreSQL in " + data.resolve("pg").toAbsolutePath()),
        "startup says where the data is");
    assertTrue(first.log().contains("rules loaded: 10 rules"), "startup says how many rules loaded");
    assertTrue(first.log().contains("channels: secops-webhook (log), audit-log (log)"), "and which channels");
    Path tokenFile = data.resolve("admin-token");
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(tokenFile)));
    String token = Files.readString(tokenFile).trim();
    assertFalse(first.log().contains(token), "the token itself is never logged");

    try (Connection c = postgres(data, true); Statement s = c.createStatement()) {
      assertEquals("on", one(s, "SHOW synchronous_commit"));
      assertEquals("on", one(s, "SHOW fsync"));
      assertEquals("127.0.0.1", one(s, "SHOW listen_addresses"));
      assertEquals(0, Long.parseLong(one(s, "SELECT count(*) FROM api_keys WHERE token_hash = '" + token + "'")),
          "only the token's hash is stored");
    }
    assertThrows(SQLException.class, () -> postgres(data, false).close(), "a login without password is refused");

    Api api = new Api("http://127.0.0.1:" + first.port(), token);
    for (int i = 0; i < 4; i++) {
      assertEquals(202, api.post("/api/v1/events", failed()).status());
    }
    first.process().destroyForcibly().waitFor();

    Running second = start(data);
    assertTrue(second.log().contains("left running by a previous Vigil"), second.log());
    api = new Api("http://127.0.0.1:" + second.port(), token);
    assertEquals(202, api.post("/api/v1/events", failed()).status());
    Api a = api;
    await().atMost(Duration.ofSeconds(60)).until(
        () -> a.get("/api/v1/alerts?rule=Brute%20force%20login").items().size() == 1);

    second.process().destroy();
    assertTrue(second.process().waitFor(90, java.util.concurrent.TimeUnit.SECONDS), "SIGTERM stops the process");
    String log = second.log();
    assertTrue(log.contains("stopped"), log);
    assertFalse(postmasterRunning(data), "the embedded PostgreSQL stops with it");

    Running third = start(data);
    Api b = new Api("http://127.0.0.1:" + third.port(), token);
    assertEquals(1, b.get("/api/v1/alerts?rule=Brute%20force%20login").items().size(),
        "alerts created before are still listed");
    assertFalse(third.log().contains("left running by a previous Vigil"), "nothing was left behind");
  }

  @Test
  @DisplayName("an invalid configuration exits non-zero before listening and lists every problem")
  void invalid_config_exits_non_zero() throws Exception {
    Files.writeString(dir.resolve("vigil.yaml"),
        "http:\n  port: 99999\n  tls:\n    cert_file: missing.crt\n    key_file: missing.key\n"
            + "ingest:\n  max_lateness: soon\nchannels:\n  - name: x\n    type: carrier-pigeon\n");
    ProcessBuilder pb = command(dir.resolve("data"));
    pb.environment().remove("VIGIL_HTTP_PORT");
    Path out = dir.resolve("bad.log");
    pb.redirectOutput(out.toFile()).redirectErrorStream(true);
    Process p = pb.start();
    processes.add(p);
    assertTrue(p.waitFor(60, java.util.concurrent.TimeUnit.SECONDS));
    assertEquals(2, p.exitValue());
    String log = Files.readString(out);
    assertTrue(log.contains("http.port"), log);
    assertTrue(log.contains("ingest.max_lateness"), log);
    assertTrue(log.contains("carrier-pigeon"), log);
    assertTrue(log.contains("http.tls.cert_file: file missing.crt does not exist"), log);
    assertFalse(log.contains("listening on port"));
  }

  private static String failed() {
    return "{\"type\":\"auth.login_failed\",\"ip\":\"198.51.100.77\",\"time\":\"" + Instant.now() + "\"}";
  }

  private record Running(Process process, int port, Path logFile) {
    String log() throws IOException {
      return Files.readString(logFile, StandardCharsets.UTF_8);
    }
  }

  private ProcessBuilder command(Path data) {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    ProcessBuilder pb = new ProcessBuilder(java, "-Xmx512m", "-jar", Path.of("target/vigil.jar").toAbsolutePath().toString());
    pb.directory(dir.toFile());
    Map<String, String> env = pb.environment();
    env.keySet().removeIf(k -> k.startsWith("VIGIL_"));
    env.put("VIGIL_CONFIG", dir.resolve("vigil.yaml").toString());
    env.put("VIGIL_HTTP_PORT", "0");
    env.put("VIGIL_DATA_DIR", data.toString());
    env.put("VIGIL_RULES_DIR", Path.of("rules").toAbsolutePath().toString());
    env.put("VIGIL_TEMPLATES_DIR", Path.of("templates").toAbsolutePath().toString());
    return pb;
  }

  private Running start(Path data) throws Exception {
    Path log = dir.resolve("vigil-" + processes.size() + ".log");
    ProcessBuilder pb = command(data).redirectOutput(log.toFile()).redirectErrorStream(true);
    Process p = pb.start();
    processes.add(p);
    int port = await().atMost(Duration.ofSeconds(120)).until(() -> {
      if (!p.isAlive()) {
        throw new IllegalStateException("vigil exited: " + Files.readString(log));
      }
      Matcher m = PORT.matcher(Files.readString(log));
      return m.find() ? Integer.parseInt(m.group(1)) : -1;
    }, n -> n > 0);
    return new Running(p, port, log);
  }

  private static Connection postgres(Path data, boolean withPassword) throws Exception {
    List<String> pid = Files.readAllLines(data.resolve("pg/postmaster.pid"));
    String port = pid.get(3).trim();
    String password = withPassword ? Files.readString(data.resolve("pg-password")).trim() : "";
    return DriverManager.getConnection("jdbc:postgresql://127.0.0.1:" + port + "/vigil", "postgres", password);
  }

  private static boolean postmasterRunning(Path data) throws IOException {
    Path pidFile = data.resolve("pg/postmaster.pid");
    if (!Files.exists(pidFile)) {
      return false;
    }
    long pid = Long.parseLong(Files.readAllLines(pidFile).get(0).trim());
    Optional<ProcessHandle> h = ProcessHandle.of(pid);
    return h.isPresent() && h.get().isAlive();
  }

  private static String one(Statement s, String sql) throws SQLException {
    try (ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }
}
