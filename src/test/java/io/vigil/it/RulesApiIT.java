package io.vigil.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vigil.testing.Api;
import io.vigil.testing.TestDatabase;
import io.vigil.testing.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The rules API over HTTP against the whole server: every change validates the complete
 * new rule set first, is swapped in live, and is audited; every rejected change leaves the
 * files, the live rules and their behaviour exactly as they were.
 */
class RulesApiIT {
  static final String DOOR = """
      package test.doors;
      import io.vigil.rules.Event;
      global io.vigil.rules.Alerts alerts;

      rule "Door opened"
          @channels("audit-log")
      when
          $e : Event(type == "door.opened", $host : host)
      then
          alerts.raise(kcontext, $host);
      end
      """;

  TestServer server;
  Api api;
  Path rulesDir;

  @BeforeEach
  void start() {
    TestDatabase.truncate();
    server = TestServer.builder().sampleRules().logChannel("audit-log").logChannel("secops-webhook")
        .env("VIGIL_ENGINE_RELOAD_DEBOUNCE", "200ms").start();
    api = server.api();
    rulesDir = server.root().resolve("rules");
  }

  @AfterEach
  void stop() {
    server.close();
  }

  String version() {
    return api.get("/api/v1/rules").json().getString("version");
  }

  List<String> ruleNames() {
    return api.get("/api/v1/rules").json().getJsonArray("rules").stream()
        .map(r -> ((JsonObject) r).getString("name")).toList();
  }

  void post(String json) {
    Api.Response r = api.post("/api/v1/events", json);
    assertEquals(202, r.status(), r.body());
  }

  long alertsOf(String rule) {
    await().atMost(Duration.ofSeconds(30)).until(TestDatabase::engineCaughtUp);
    return TestDatabase.count("SELECT count(*) FROM alerts WHERE rule = ?", rule);
  }

  @Test
  @DisplayName("a file written over the API is validated, written, swapped in live and audited")
  void put_get_delete_file() throws Exception {
    String before = version();
    Api.Response put = api.send("PUT", "/api/v1/rules/files/doors.drl", DOOR, "text/plain");
    assertEquals(201, put.status(), put.body());
    assertTrue(put.json().getBoolean("ok"));
    assertNotEquals(before, put.json().getString("version"));
    assertEquals(DOOR, Files.readString(rulesDir.resolve("doors.drl")));
    assertEquals(DOOR, api.get("/api/v1/rules/files/doors.drl").body());
    assertTrue(ruleNames().contains("Door opened"));
    post("{\"type\":\"door.opened\",\"host\":\"lab\"}");
    assertEquals(1, alertsOf("Door opened"));

    Api.Response replaced = api.send("PUT", "/api/v1/rules/files/doors.drl", DOOR.replace("door.opened", "door.forced"),
        "text/plain");
    assertEquals(200, replaced.status(), replaced.body());
    Map<String, Object> audit = TestDatabase.query(
        "SELECT actor, action, target, content_hash, result FROM audit_log WHERE action = 'rules.file.put'"
            + " ORDER BY id").get(0);
    assertEquals("key_operator", audit.get("actor"));
    assertEquals("doors.drl", audit.get("target"));
    assertEquals(64, ((String) audit.get("content_hash")).length());
    assertEquals("ok", audit.get("result"));

    Api.Response deleted = api.delete("/api/v1/rules/files/doors.drl");
    assertEquals(200, deleted.status(), deleted.body());
    assertFalse(Files.exists(rulesDir.resolve("doors.drl")));
    assertFalse(ruleNames().contains("Door opened"));
    assertEquals(404, api.delete("/api/v1/rules/files/doors.drl").status());
    assertEquals(404, api.get("/api/v1/rules/files/doors.drl").status());
    assertEquals(400, api.get("/api/v1/rules/files/..%2Fsecret.drl").status());
  }

  @Test
  @DisplayName("a file that does not compile is 422 with file:line:column, is not written, and changes nothing")
  void bad_file_changes_nothing() {
    String before = version();
    List<String> rules = ruleNames();
    Map<String, Long> rows = TestDatabase.snapshot();
    Api.Response r = api.send("PUT", "/api/v1/rules/files/broken.drl",
        "package x;\nimport io.vigil.rules.Event;\nrule \"Broken\"\nwhen\n  Event(tpye == \"x\")\nthen\nend\n", "text/plain");
    assertEquals(422, r.status(), r.body());
    assertEquals("invalid_rule", r.errorCode());
    JsonObject detail = r.json().getJsonObject("error").getJsonArray("details").getJsonObject(0);
    assertEquals("broken.drl", detail.getString("file"));
    assertEquals(5, detail.getInteger("line"));
    assertEquals(9, detail.getInteger("column"));
    assertFalse(Files.exists(rulesDir.resolve("broken.drl")));
    assertEquals(before, version());
    assertEquals(rules, ruleNames());
    assertEquals(rows.get("alerts"), TestDatabase.snapshot().get("alerts"));
    for (int i = 0; i < 5; i++) {
      post("{\"type\":\"auth.login_failed\",\"ip\":\"192.0.2.5\"}");
    }
    assertEquals(1, alertsOf("Brute force login"), "the old rules keep firing");
  }

  @Test
  @DisplayName("only an operator key may write, delete, validate, reload or switch rules")
  void operator_only() {
    String admin = server.newKey("default", "admin", "read", "respond", "ingest");
    Api a = server.api(admin);
    String before = version();
    assertEquals(403, a.send("PUT", "/api/v1/rules/files/doors.drl", DOOR, "text/plain").status());
    assertEquals(403, a.delete("/api/v1/rules/files/brute-force.drl").status());
    assertEquals(403, a.post("/api/v1/rules/validate", DOOR, "text/plain").status());
    assertEquals(403, a.post("/api/v1/rules/reload", "").status());
    assertEquals(403, a.post("/api/v1/rules/Brute%20force%20login/disable", "").status());
    assertEquals(403, a.post("/api/v1/rules/test", "{\"rules\":{\"x.drl\":\"package x;\"},\"events\":[]}").status());
    assertEquals(200, a.get("/api/v1/rules").status());
    assertEquals(200, a.get("/api/v1/rules/files/brute-force.drl").status());
    assertEquals(before, version());
    assertFalse(Files.exists(rulesDir.resolve("doors.drl")));
    assertTrue(Files.exists(rulesDir.resolve("brute-force.drl")));
  }

  @Test
  @DisplayName("validate reports syntax errors, unknown types and fields, bad metadata and runtime type errors")
  void validate() {
    Api.Response ok = api.post("/api/v1/rules/validate", DOOR, "text/plain");
    assertEquals(200, ok.status(), ok.body());
    assertTrue(ok.json().getBoolean("valid"));
    Map<String, int[]> cases = Map.of(
        "package x;\nrule \"S\"\nwhen\n  Event(type == \"x\"\nthen\nend\n", new int[] {5, 1},
        "package x;\nrule \"T\"\nwhen\n  Nope(type == \"x\")\nthen\nend\n", new int[] {4, 3},
        "package x;\nimport io.vigil.rules.Event;\nrule \"F\"\nwhen\n  Event(tpye == \"x\")\nthen\nend\n",
        new int[] {5, 9},
        "package x;\nimport io.vigil.rules.Event;\nrule \"C\" @cooldown(\"ten minutes\")\nwhen\n  Event()\nthen\nend\n",
        new int[] {3, 10},
        "package x;\nimport io.vigil.rules.Event;\nrule \"L\"\nwhen\n  Event(time == \"abc\")\nthen\nend\n",
        new int[] {5, 9});
    cases.forEach((drl, at) -> {
      Api.Response r = api.post("/api/v1/rules/validate", drl, "text/plain");
      assertEquals(422, r.status(), drl + " -> " + r.body());
      JsonObject d = r.json().getJsonObject("error").getJsonArray("details").getJsonObject(0);
      assertEquals("request.drl", d.getString("file"), r.body());
      assertEquals(at[0], d.getInteger("line"), drl + " -> " + r.body());
      assertEquals(at[1], d.getInteger("column"), drl + " -> " + r.body());
    });
    Api.Response json = api.post("/api/v1/rules/validate",
        new JsonObject().put("files", new JsonObject().put("a.drl", DOOR)).encode());
    assertEquals(200, json.status(), json.body());
    Api.Response dup = api.post("/api/v1/rules/validate",
        new JsonObject().put("files", new JsonObject().put("zz.drl", DOOR.replace("Door opened", "Brute force login")))
            .encode());
    assertEquals(422, dup.status(), "a name already used by a live file: " + dup.body());
    assertFalse(Files.exists(rulesDir.resolve("request.drl")), "validate writes nothing");
  }

  @Test
  @DisplayName("the directory is watched: a saved file is swapped in, a broken one is reported and changes nothing")
  void watched_directory() throws Exception {
    Files.writeString(rulesDir.resolve("doors.drl"), DOOR);
    await().atMost(Duration.ofSeconds(30)).until(() -> ruleNames().contains("Door opened"));
    String good = version();
    Files.writeString(rulesDir.resolve("broken.drl"), "package b;\nrule \"B\" when\n  Nope()\nthen end\n");
    JsonObject last = await().atMost(Duration.ofSeconds(30)).until(
        () -> api.get("/api/v1/rules").json().getJsonObject("last_reload"),
        l -> l != null && !l.getBoolean("ok"));
    JsonObject error = last.getJsonArray("errors").getJsonObject(0);
    assertEquals("broken.drl", error.getString("file"));
    assertEquals(3, error.getInteger("line"));
    assertEquals(good, version(), "the failed reload changed nothing");
    post("{\"type\":\"door.opened\",\"host\":\"gate\"}");
    assertEquals(1, alertsOf("Door opened"));

    Files.delete(rulesDir.resolve("broken.drl"));
    Api.Response reload = api.post("/api/v1/rules/reload", "");
    assertEquals(200, reload.status(), reload.body());
  }

  @Test
  @DisplayName("disable stops a rule at once and survives a restart; enable resumes it; an unknown rule is 404")
  void disable_enable() {
    Api.Response off = api.post("/api/v1/rules/Brute%20force%20login/disable", "");
    assertEquals(200, off.status(), off.body());
    JsonObject listed = api.get("/api/v1/rules").json().getJsonArray("rules").stream().map(o -> (JsonObject) o)
        .filter(r -> r.getString("name").equals("Brute force login")).findFirst().orElseThrow();
    assertFalse(listed.getBoolean("enabled"));
    for (int i = 0; i < 6; i++) {
      post("{\"type\":\"auth.login_failed\",\"ip\":\"192.0.2.6\"}");
    }
    assertEquals(0, alertsOf("Brute force login"));
    assertTrue(alertsOf("Authentication failures") > 0, "other rules keep running");

    server.restart();
    api = server.api();
    assertTrue(api.get("/api/v1/rules").json().getJsonArray("rules").stream().map(o -> (JsonObject) o)
        .anyMatch(r -> r.getString("name").equals("Brute force login") && !r.getBoolean("enabled")));
    assertEquals(200, api.post("/api/v1/rules/Brute%20force%20login/enable", "").status());
    for (int i = 0; i < 5; i++) {
      post("{\"type\":\"auth.login_failed\",\"ip\":\"192.0.2.7\"}");
    }
    assertEquals(1, alertsOf("Brute force login"));
    assertEquals(404, api.post("/api/v1/rules/No%20such%20rule/disable", "").status());
    assertEquals(2, TestDatabase.count("SELECT count(*) FROM audit_log WHERE action IN ('rules.disable', 'rules.enable')"));
  }

  @Test
  @DisplayName("the test endpoint runs events on a pseudo clock against the live rules or sent rules, storing nothing")
  void test_endpoint() {
    String reader = server.newKey("default", "read");
    Map<String, Long> rows = TestDatabase.snapshot();
    JsonArray events = new JsonArray();
    for (int i = 0; i < 5; i++) {
      events.add(new JsonObject().put("at", "+" + (i * 10) + "s")
          .put("event", new JsonObject().put("type", "auth.login_failed").put("ip", "203.0.113.7")));
    }
    JsonObject body = new JsonObject().put("start", "2026-11-22T10:00:00Z").put("events", events).put("advance", "15m");
    Api.Response live = api.post("/api/v1/rules/test", body.encode());
    assertEquals(200, live.status(), live.body());
    JsonObject brute = live.json().getJsonArray("alerts").stream().map(o -> (JsonObject) o)
        .filter(a -> a.getString("rule").equals("Brute force login")).findFirst().orElseThrow();
    assertEquals("203.0.113.7", brute.getString("key"));
    assertEquals("high", brute.getString("severity"));
    assertEquals("2026-11-22T10:00:40Z", brute.getString("at"));

    Api.Response sent = api.post("/api/v1/rules/test", body.copy().put("rules", new JsonObject().put("d.drl",
        DOOR.replace("door.opened", "auth.login_failed").replace("$host : host", "$host : ip"))).encode());
    assertEquals(200, sent.status(), sent.body());
    assertEquals(5, sent.json().getJsonArray("alerts").size());

    assertEquals(200, server.api(reader).post("/api/v1/rules/test", body.encode()).status());
    Api.Response bad = api.post("/api/v1/rules/test", body.copy().put("rules",
        new JsonObject().put("bad.drl", "package b;\nrule \"B\" when\n  Nope()\nthen end\n")).encode());
    assertEquals(422, bad.status(), bad.body());
    assertEquals("invalid_rule", bad.errorCode());
    assertEquals(400, api.post("/api/v1/rules/test", "{\"events\":\"nope\"}").status());
    assertEquals(rows, TestDatabase.snapshot(), "a test stores nothing");
  }
}
