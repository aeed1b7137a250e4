package io.vigil.testing;

import io.vigil.store.EmbeddedPostgresServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One real embedded PostgreSQL per test JVM, started on first use with Vigil's own hardened
 * settings; servers under test point at it with {@code VIGIL_DB_URL} and migrate it
 * themselves. {@link #truncate()} empties every table between tests. Queries here are
 * blocking JDBC: tests may block, the server never does.
 */
public final class TestDatabase {
  private static EmbeddedPostgresServer pg;
  private static Path dir;

  private TestDatabase() {}

  public static synchronized String url() {
    if (pg == null) {
      try {
        dir = Files.createTempDirectory("vigil-test-pg");
        pg = EmbeddedPostgresServer.start(dir, 0);
        Runtime.getRuntime().addShutdownHook(new Thread(pg::stop, "test-postgres-stop"));
      } catch (Exception e) {
        throw new IllegalStateException("cannot start the test PostgreSQL", e);
      }
    }
    return "postgresql://" + EmbeddedPostgresServer.USER + ":" + pg.password() + "@127.0.0.1:" + pg.port() + "/"
        + EmbeddedPostgresServer.DATABASE;
  }

  /** The shared database's port on 127.0.0.1 (e.g. for a {@link TcpProxy} in front of it). */
  public static int port() {
    url();
    return pg.port();
  }

  /** The URL of the shared database reached through another port on 127.0.0.1 (a proxy). */
  public static String urlThrough(int port) {
    url();
    return "postgresql://" + EmbeddedPostgresServer.USER + ":" + pg.password() + "@127.0.0.1:" + port + "/"
        + EmbeddedPostgresServer.DATABASE;
  }

  public static Connection connect() throws SQLException {
    url();
    return DriverManager.getConnection(
        "jdbc:postgresql://127.0.0.1:" + pg.port() + "/" + EmbeddedPostgresServer.DATABASE,
        EmbeddedPostgresServer.USER, pg.password());
  }

  /** Empties every Vigil table (the schema stays). */
  public static void truncate() {
    try (Connection c = connect(); Statement s = c.createStatement()) {
      try (ResultSet rs = s.executeQuery("SELECT to_regclass('events') IS NOT NULL")) {
        rs.next();
        if (!rs.getBoolean(1)) {
          return;
        }
      }
      s.execute("TRUNCATE events, engine_positions, alerts, deliveries, delivery_attempts, api_keys, rule_states,"
          + " policies, audit_log, channels, silences, channel_hour_counts, held_back, alert_events RESTART IDENTITY CASCADE");
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  public static long count(String sql, Object... args) {
    List<Map<String, Object>> rows = query(sql, args);
    return ((Number) rows.get(0).values().iterator().next()).longValue();
  }

  public static List<Map<String, Object>> query(String sql, Object... args) {
    try (Connection c = connect(); PreparedStatement s = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        s.setObject(i + 1, args[i]);
      }
      List<Map<String, Object>> out = new ArrayList<>();
      try (ResultSet rs = s.executeQuery()) {
        int n = rs.getMetaData().getColumnCount();
        while (rs.next()) {
          Map<String, Object> row = new LinkedHashMap<>();
          for (int i = 1; i <= n; i++) {
            row.put(rs.getMetaData().getColumnLabel(i), rs.getObject(i));
          }
          out.add(row);
        }
      }
      return out;
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  public static int update(String sql, Object... args) {
    try (Connection c = connect(); PreparedStatement s = c.prepareStatement(sql)) {
      for (int i = 0; i < args.length; i++) {
        s.setObject(i + 1, args[i]);
      }
      return s.executeUpdate();
    } catch (SQLException e) {
      throw new IllegalStateException(e);
    }
  }

  /** True when every tenant's engine has processed (and stored the alerts of) all its events. */
  public static boolean engineCaughtUp() {
    return count("SELECT count(*) FROM (SELECT tenant, max(seq) AS m FROM events GROUP BY tenant) e"
        + " LEFT JOIN engine_positions p USING (tenant) WHERE p.seq IS NULL OR p.seq < e.m") == 0;
  }

  /** Row counts of every table, to show a rejected request changed nothing. */
  public static Map<String, Long> snapshot() {
    Map<String, Long> counts = new LinkedHashMap<>();
    for (String t : List.of("events", "engine_positions", "alerts", "deliveries", "delivery_attempts", "api_keys",
        "rule_states", "policies", "audit_log", "channels", "silences",
        "channel_hour_counts", "held_back", "alert_events")) {
      counts.put(t, count("SELECT count(*) FROM " + t));
    }
    return counts;
  }
}
