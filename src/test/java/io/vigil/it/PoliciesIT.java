package io.vigil.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vigil.testing.Api;
import io.vigil.testing.TestDatabase;
import io.vigil.testing.TestServer;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * JSON policies over HTTP: created by a tenant's admin, compiled to a rule guarded by the
 * tenant and swapped in live, raising alerts named {@code policy:<name>} for that tenant
 * only; a policy that does not hold up is 422 and changes nothing.
 */
class PoliciesIT {
  static TestServer server;
  static String acmeAdmin;
  static String acmeIngest;
  static String globexAdmin;
  static String globexIngest;

  static final String ADMINS_5XX = """
      {"name": "prod 5xx from admins", "severity": "high", "channels": ["audit-log"],
       "case_sensitive": false,
       "conditions": {"all": [
           {"field": "attributes.http.status", "op": "gte", "value": 500},
           {"any": [{"field": "user", "op": "in", "value": ["root", "admin"]},
                    {"field": "host", "op": "regex", "value": "^prod-"}]}]},
       "throttle": {"minutes": 10}}
      """;

  @BeforeAll
  static void start() {
    TestDatabase.truncate();
    server = TestServer.builder().logChannel("audit-log").start();
    acmeAdmin = server.newKey("acme", "admin", "read");
    acmeIngest = server.newKey("acme", "ingest", "read");
    globexAdmin = server.newKey("globex", "admin", "read");
    globexIngest = server.newKey("globex", "ingest", "read");
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @BeforeEach
  void noPolicies() {
    for (String key : new String[] {acmeAdmin, globexAdmin}) {
      Api a = server.api(key);
      a.get("/api/v1/policies").items().forEach(p -> a.delete("/api/v1/policies/" + ((JsonObject) p).getString("id")));
    }
  }

  static void post(String key, String json) {
    Api.Response r = server.api(key).post("/api/v1/events", json);
    assertEquals(202, r.status(), r.body());
  }

  static long alerts(String tenant, String rule) {
    await().atMost(Duration.ofSeconds(30)).until(TestDatabase::engineCaughtUp);
    return TestDatabase.count("SELECT count(*) FROM alerts WHERE tenant = ? AND rule = ?", tenant, rule);
  }

  @Test
  @DisplayName("a policy raises alerts named policy:<name> for its own tenant only, and its DRL can be read")
  void policy_lifecycle() {
    Api acme = server.api(acmeAdmin);
    Api.Response created = acme.post("/api/v1/policies", ADMINS_5XX);
    assertEquals(201, created.status(), created.body());
    String id = created.json().getString("id");
    assertEquals("policy:prod 5xx from admins", created.json().getString("rule"));
    assertTrue(id.startsWith("pol_"));

    post(acmeIngest, "{\"type\":\"http.request\",\"user\":\"ROOT\",\"attributes\":{\"http\":{\"status\":503}}}");
    post(acmeIngest, "{\"type\":\"http.request\",\"user\":\"alice\",\"host\":\"dev-1\","
        + "\"attributes\":{\"http\":{\"status\":503}}}");
    post(globexIngest, "{\"type\":\"http.request\",\"user\":\"root\",\"attributes\":{\"http\":{\"status\":503}}}");
    assertEquals(1, alerts("acme", "policy:prod 5xx from admins"));
    assertEquals(0, alerts("globex", "policy:prod 5xx from admins"), "another tenant's events never match");
    assertEquals("high", TestDatabase.query("SELECT severity FROM alerts WHERE tenant = 'acme'").get(0).get("severity"));

    String drl = acme.get("/api/v1/policies/" + id + "/drl").body();
    assertTrue(drl.contains("rule \"policy:acme:" + id + "\""), drl);
    assertTrue(drl.contains("tenant == \"acme\""), drl);
    assertEquals(1, acme.get("/api/v1/policies").items().size());
    assertEquals(404, server.api(globexAdmin).get("/api/v1/policies/" + id).status(), "another tenant's policy");
    assertEquals(404, server.api(globexAdmin).delete("/api/v1/policies/" + id).status());
    JsonArray globexRules = server.api(globexAdmin).get("/api/v1/rules").json().getJsonArray("rules");
    assertTrue(globexRules.stream().noneMatch(r -> ((JsonObject) r).getString("file").contains("acme")),
        "policy rules are visible to their tenant only");

    Api.Response updated = acme.send("PUT", "/api/v1/policies/" + id,
        ADMINS_5XX.replace("\"severity\": \"high\"", "\"severity\": \"critical\""), "application/json");
    assertEquals(200, updated.status(), updated.body());
    assertEquals("critical", acme.get("/api/v1/policies/" + id).json().getString("severity"));
    assertEquals(204, acme.delete("/api/v1/policies/" + id).status());
    assertEquals(404, acme.get("/api/v1/policies/" + id).status());
    assertFalse(acme.get("/api/v1/rules").json().getJsonArray("rules").encode().contains(id), "its rule is gone");
    assertTrue(TestDatabase.count("SELECT count(*) FROM audit_log WHERE action LIKE 'policies.%'") >= 3);
  }

  @Test
  @DisplayName("a threshold policy fires on the Nth event within its window per group_by key")
  void threshold_policy() {
    Api.Response created = server.api(acmeAdmin).post("/api/v1/policies", """
        {"name": "ssh guessing", "conditions": {"field": "type", "op": "eq", "value": "ssh.auth_failed"},
         "threshold": {"count": 3, "within": "1m", "group_by": "ip"}, "throttle": {"minutes": 5}}
        """);
    assertEquals(201, created.status(), created.body());
    for (int i = 0; i < 3; i++) {
      post(acmeIngest, "{\"type\":\"ssh.auth_failed\",\"ip\":\"198.51.100.9\"}");
      post(acmeIngest, "{\"type\":\"ssh.auth_failed\",\"ip\":\"198.51.100.10\"}");
    }
    post(acmeIngest, "{\"type\":\"ssh.auth_failed\",\"ip\":\"198.51.100.11\"}");
    assertEquals(2, alerts("acme", "policy:ssh guessing"));
    assertEquals(2, TestDatabase.count("SELECT count(DISTINCT key) FROM alerts WHERE rule = 'policy:ssh guessing'"
        + " AND key IN ('198.51.100.9', '198.51.100.10')"));
  }

  @Test
  @DisplayName("bad policies are 422 with every problem, a taken name 409, a non-admin 403; nothing changes")
  void rejections() {
    Api acme = server.api(acmeAdmin);
    assertEquals(201, acme.post("/api/v1/policies", ADMINS_5XX).status());
    String version = acme.get("/api/v1/rules").json().getString("version");
    Map<String, Long> rows = TestDatabase.snapshot();

    Api.Response bad = acme.post("/api/v1/policies", """
        {"name": "bad", "severity": "urgent",
         "conditions": {"all": [{"field": "password", "op": "eq", "value": "x"},
                                {"field": "user", "op": "between", "value": 1}]}}
        """);
    assertEquals(422, bad.status(), bad.body());
    assertEquals("invalid_policy", bad.errorCode());
    assertTrue(bad.json().getJsonObject("error").getJsonArray("details").size() >= 3, bad.body());

    Api.Response regex = acme.post("/api/v1/policies",
        "{\"name\":\"r\",\"conditions\":{\"field\":\"host\",\"op\":\"regex\",\"value\":\"prod-(\"}}");
    assertEquals(422, regex.status(), regex.body());
    assertEquals("invalid_regex", regex.errorCode());
    assertTrue(regex.json().getJsonObject("error").getJsonArray("details").getJsonObject(0).containsKey("position"));

    assertEquals(409, acme.post("/api/v1/policies", ADMINS_5XX).status(), "the name is taken");
    String existing = acme.get("/api/v1/policies").items().getJsonObject(0).getString("id");
    Api.Response badUpdate = acme.send("PUT", "/api/v1/policies/" + existing,
        ADMINS_5XX.replace("\"high\"", "\"urgent\""), "application/json");
    assertEquals(422, badUpdate.status(), badUpdate.body());
    assertEquals("high", acme.get("/api/v1/policies/" + existing).json().getString("severity"));
    assertEquals(400, acme.post("/api/v1/policies", "[1,2]").status());
    assertEquals(403, server.api(acmeIngest).post("/api/v1/policies", ADMINS_5XX.replace("prod 5xx", "other"))
        .status());
    assertEquals(404, acme.get("/api/v1/policies/pol_nope").status());
    assertEquals(404, acme.get("/api/v1/policies/not-an-id").status());

    Map<String, Long> after = TestDatabase.snapshot();
    after.remove("audit_log");
    rows.remove("audit_log");
    assertEquals(rows, after, "rejected policies change nothing");
    assertEquals(version, acme.get("/api/v1/rules").json().getString("version"));
  }

  @Test
  @DisplayName("injection attempts in values are matched as data")
  void injection_is_data() {
    String payload = "\\\" || true || \\\"\\n end rule \\\"x\\\" when then eval(";
    Api.Response created = server.api(acmeAdmin).post("/api/v1/policies",
        "{\"name\":\"inject\",\"conditions\":{\"field\":\"attributes.v\",\"op\":\"eq\",\"value\":\"" + payload + "\"}}");
    assertEquals(201, created.status(), created.body());
    post(acmeIngest, "{\"type\":\"x\",\"attributes\":{\"v\":\"harmless\"}}");
    post(acmeIngest, "{\"type\":\"x\",\"attributes\":{\"v\":\"" + payload + "\"}}");
    assertEquals(1, alerts("acme", "policy:inject"), "only the event carrying exactly that text matches");
    assertEquals(1, server.api(acmeAdmin).get("/api/v1/rules").json().getJsonArray("rules").stream()
        .filter(r -> ((JsonObject) r).getString("file").startsWith("policies/acme/")).count(),
        "one rule, no extra rule smuggled in");
  }
}
