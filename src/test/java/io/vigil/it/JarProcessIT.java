package io.vigil.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vigil.testing.Api;
import io.vigil.testing.VigilProcess;
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
import java.util.Map;
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
  @TempDir Path dir;
  VigilProcess vigil;

  @AfterEach
  void stop() throws Exception {
    if (vigil != null) {
      vigil.close();
    }
  }

  @Test
  @DisplayName("first start, kill -9, second start: data, token and engine state survive; SIGTERM stops cleanly")
  void survives_kill_and_restart() throws Exception {
    // No VIGIL_ADMIN_TOKEN: the first start must generate the token itself.
    vigil = VigilProcess.in(dir.resolve("jarprocess"),
        "channels:\n  - name: secops-webhook\n    type: log\n  - name: audit-log\n    type: log\n", Map.of())
        .unset("VIGIL_ADMIN_TOKEN");
    Path data = vigil.dataDir();

    vigil.start();
    String log = vigil.log();
    assertTrue(log.contains("data: embedded PostgreSQL in " + data.resolve("pg").toAbsolutePath()),
        "startup says where the data is");
    assertTrue(log.contains("rules loaded: 10 rules"), "startup says how many rules loaded");
    assertTrue(log.contains("channels: secops-webhook (log), audit-log (log)"), "and which channels");
    Path tokenFile = data.resolve("admin-token");
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(tokenFile)));
    String token = Files.readString(tokenFile).trim();
    assertFalse(log.contains(token), "the token itself is never logged");

    try (Connection c = vigil.sql(); Statement s = c.createStatement()) {
      assertEquals("on", one(s, "SHOW synchronous_commit"));
      assertEquals("on", one(s, "SHOW fsync"));
      assertEquals("127.0.0.1", one(s, "SHOW listen_addresses"));
      assertEquals(0, Long.parseLong(one(s, "SELECT count(*) FROM api_keys WHERE token_hash = '" + token + "'")),
          "only the token's hash is stored");
    }
    String url = "jdbc:postgresql://127.0.0.1:" + vigil.postgresPort() + "/vigil";
    assertThrows(SQLException.class, () -> DriverManager.getConnection(url, "postgres", "").close(),
        "a login without password is refused");

    Api api = new Api(vigil.baseUrl(), token);
    for (int i = 0; i < 4; i++) {
      assertEquals(202, api.post("/api/v1/events", failed()).status());
    }
    vigil.kill();

    vigil.start();
    assertTrue(vigil.log().contains("left running by a previous Vigil"), vigil.log());
    Api second = new Api(vigil.baseUrl(), token);
    assertEquals(202, second.post("/api/v1/events", failed()).status());
    await().atMost(Duration.ofSeconds(60)).until(
        () -> second.get("/api/v1/alerts?rule=Brute%20force%20login").items().size() == 1);

    assertTrue(vigil.terminate(Duration.ofSeconds(90)), "SIGTERM stops the process");
    assertTrue(vigil.log().contains("stopped"), vigil.log());
    assertTrue(vigil.postmaster().isEmpty(), "the embedded PostgreSQL stops with it");

    vigil.start();
    Api third = new Api(vigil.baseUrl(), token);
    assertEquals(1, third.get("/api/v1/alerts?rule=Brute%20force%20login").items().size(),
        "alerts created before are still listed");
    assertFalse(vigil.log().contains("left running by a previous Vigil"), "nothing was left behind");
  }

  @Test
  @DisplayName("an invalid configuration exits non-zero before listening and lists every problem")
  void invalid_config_exits_non_zero() throws Exception {
    // The port comes from the file here, so the harness's VIGIL_HTTP_PORT=0 must not override it.
    vigil = VigilProcess.in(dir.resolve("badconfig"),
        "http:\n  port: 99999\n  tls:\n    cert_file: missing.crt\n    key_file: missing.key\n"
            + "ingest:\n  max_lateness: soon\nchannels:\n  - name: x\n    type: carrier-pigeon\n", Map.of())
        .unset("VIGIL_HTTP_PORT");
    assertEquals(2, vigil.startExpectingExit(Duration.ofSeconds(60)));
    String log = vigil.log();
    assertTrue(log.contains("http.port"), log);
    assertTrue(log.contains("ingest.max_lateness"), log);
    assertTrue(log.contains("carrier-pigeon"), log);
    assertTrue(log.contains("http.tls.cert_file: file missing.crt does not exist"), log);
    assertFalse(log.contains("listening on port"));
  }

  private static String failed() {
    return "{\"type\":\"auth.login_failed\",\"ip\":\"198.51.100.77\",\"time\":\"" + Instant.now() + "\"}";
  }

  private static String one(Statement s, String sql) throws SQLException {
    try (ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getString(1);
    }
  }
}
