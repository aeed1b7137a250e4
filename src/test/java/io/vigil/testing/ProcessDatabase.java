package io.vigil.testing;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The child process's embedded database, read by the oracle: counts and rows straight from
 * the tables, so a fault test asserts what was stored, not only what the API answered. A
 * connection per call, because the child (and with it its PostgreSQL port) may have been
 * restarted in between.
 */
public final class ProcessDatabase {
  private final VigilProcess vigil;

  public ProcessDatabase(VigilProcess vigil) {
    this.vigil = vigil;
  }

  public long count(String sql, Object... params) {
    return ((Number) query(sql, params).get(0).values().iterator().next()).longValue();
  }

  public List<Map<String, Object>> query(String sql, Object... params) {
    try (Connection c = vigil.sql(); PreparedStatement s = c.prepareStatement(sql)) {
      for (int i = 0; i < params.length; i++) {
        s.setObject(i + 1, params[i]);
      }
      List<Map<String, Object>> rows = new ArrayList<>();
      try (ResultSet rs = s.executeQuery()) {
        ResultSetMetaData md = rs.getMetaData();
        while (rs.next()) {
          Map<String, Object> row = new LinkedHashMap<>();
          for (int i = 1; i <= md.getColumnCount(); i++) {
            row.put(md.getColumnLabel(i), rs.getObject(i));
          }
          rows.add(row);
        }
      }
      return rows;
    } catch (Exception e) {
      throw new IllegalStateException(sql + ": " + e, e);
    }
  }

  /** Every tenant's engine has processed up to its last journal row. */
  public boolean engineCaughtUp() {
    return count("SELECT count(*) FROM (SELECT tenant, max(seq) AS m FROM events GROUP BY tenant) e"
        + " LEFT JOIN engine_positions p USING (tenant) WHERE p.seq IS NULL OR p.seq < e.m") == 0;
  }
}
