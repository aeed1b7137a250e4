package io.vigil.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vigil.testing.Api;
import io.vigil.testing.TestDatabase;
import io.vigil.testing.TestServer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * {@code GET /api/v1/audit}: every admin action (keys created and revoked, a policy, a
 * channel, an alert acknowledged and resolved, a rule file) is listed with who made it
 * (key id and name), when, what, and the result; tenants see only their own entries, the
 * operator sees all; filters and paging work; bad parameters are 400 and change nothing.
 */
class AuditIT {
  static final String RULES = """
      package test.audit;
      import io.vigil.rules.Event;
      global io.vigil.rules.Alerts alerts;

      rule "Audit probe"
          @channels("audit-log")
      when
          $e : Event(type == "audit.alert", $host : host)
      then
          alerts.raise(kcontext, $host);
      end
      """;

  static TestServer server;
  static Api acme;
  static String acmeKeyId;

  @BeforeAll
  static void start() {
    TestDatabase.truncate();
    server = TestServer.builder().rule("audit.drl", RULES).logChannel("audit-log").start();
    Api.Response key = server.api().post("/api/v1/api-keys",
        "{\"tenant\":\"acme\",\"scopes\":[\"admin\",\"read\",\"respond\",\"ingest\"],\"name\":\"acme admin\"}");
    assertEquals(201, key.status(), key.body());
    acmeKeyId = key.json().getString("id");
    acme = server.api(key.json().getString("token"));
    doAdminActions();
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  /** One of each admin action, through the API as people would. */
  static void doAdminActions() {
    Api.Response created = acme.post("/api/v1/api-keys", "{\"scopes\":[\"read\"],\"name\":\"dashboard\"}");
    assertEquals(201, created.status(), created.body());
    assertEquals(204, acme.delete("/api/v1/api-keys/" + created.json().getString("id")).status());
    assertEquals(404, acme.delete("/api/v1/api-keys/key_nope").status());
    assertEquals(403, acme.post("/api/v1/api-keys", "{\"scopes\":[\"operator\"]}").status());
    assertEquals(201, acme.post("/api/v1/policies",
        "{\"name\":\"p1\",\"conditions\":{\"field\":\"type\",\"op\":\"eq\",\"value\":\"zzz\"}}").status());
    assertEquals(201, acme.post("/api/v1/channels", "{\"name\":\"acme-log\",\"type\":\"log\"}").status());
    assertEquals(202, acme.post("/api/v1/events", "{\"type\":\"audit.alert\",\"host\":\"a1\"}").status());
    String id = await().atMost(Duration.ofSeconds(30)).until(() -> acme.get("/api/v1/alerts").items(),
        a -> !a.isEmpty()).getJsonObject(0).getString("id");
    assertEquals(200, acme.post("/api/v1/alerts/" + id + "/acknowledge",
        "{\"by\":\"alice\",\"note\":\"looking\"}").status());
    assertEquals(200, acme.post("/api/v1/alerts/" + id + "/resolve", "{\"note\":\"fixed\"}").status());
    assertEquals(409, acme.post("/api/v1/alerts/" + id + "/acknowledge", "{}").status());
    Api.Response silence = acme.post("/api/v1/silences", "{\"matchers\":[{\"name\":\"rule\",\"op\":\"=\","
        + "\"value\":\"nothing\"}],\"ends_at\":\"2999-01-01T00:00:00Z\",\"created_by\":\"alice\"}");
    assertEquals(201, silence.status(), silence.body());
    assertEquals(200, acme.delete("/api/v1/silences/" + silence.json().getString("id")).status());
    assertEquals(201, server.api().send("PUT", "/api/v1/rules/files/extra.drl",
        RULES.replace("Audit probe", "Audit extra").replace("test.audit", "test.extra"), "text/plain").status());
    // channel changes are audited after the answer; wait for the last of them
    await().atMost(Duration.ofSeconds(30)).until(() -> TestDatabase.count(
        "SELECT count(*) FROM audit_log WHERE action = 'channels.create'") == 1);
  }

  static List<JsonObject> items(Api.Response r) {
    assertEquals(200, r.status(), r.body());
    List<JsonObject> out = new ArrayList<>();
    r.items().forEach(o -> out.add((JsonObject) o));
    return out;
  }

  static JsonObject only(List<JsonObject> entries, String action, String result) {
    List<JsonObject> found = entries.stream()
        .filter(e -> e.getString("action").equals(action) && e.getString("result").equals(result)).toList();
    assertEquals(1, found.size(), action + "/" + result + " in " + entries);
    return found.get(0);
  }

  @Test
  @DisplayName("every admin action of the tenant is listed with who, when, what and the result")
  void each_action_is_listed() {
    List<JsonObject> all = items(acme.get("/api/v1/audit?limit=1000"));
    List<JsonObject> entries = all.stream()
        .filter(e -> acmeKeyId.equals(e.getJsonObject("actor").getString("key_id"))).toList();
    for (String[] a : new String[][] {{"api_keys.create", "ok"}, {"api_keys.revoke", "ok"},
        {"api_keys.revoke", "not_found"}, {"api_keys.create", "forbidden"}, {"policies.create", "ok"},
        {"channels.create", "ok"}, {"alerts.acknowledge", "ok"}, {"alerts.resolve", "ok"},
        {"alerts.acknowledge", "conflict"}, {"silences.create", "ok"}, {"silences.delete", "ok"}}) {
      JsonObject e = only(entries, a[0], a[1]);
      assertEquals(acmeKeyId, e.getJsonObject("actor").getString("key_id"), a[0]);
      assertEquals("acme admin", e.getJsonObject("actor").getString("name"), a[0]);
      assertEquals("acme", e.getString("tenant"), a[0]);
      assertTrue(Instant.parse(e.getString("at")).isBefore(Instant.now().plusSeconds(1)), a[0]);
    }
    JsonObject created = only(entries, "api_keys.create", "ok");
    assertNotNull(created.getString("target"));
    assertEquals(new JsonArray().add("read"), created.getJsonObject("details").getJsonArray("scopes"));
    assertEquals(created.getString("target"), only(entries, "api_keys.revoke", "ok").getString("target"));
    assertEquals(new JsonArray().add("operator"),
        only(entries, "api_keys.create", "forbidden").getJsonObject("details").getJsonArray("scopes"));
    assertEquals("acme-log", only(entries, "channels.create", "ok").getString("target"));
    assertEquals(only(entries, "silences.create", "ok").getString("target"),
        only(entries, "silences.delete", "ok").getString("target"));
    assertNotNull(only(entries, "policies.create", "ok").getString("content_hash"));
    JsonObject ack = only(entries, "alerts.acknowledge", "ok");
    assertEquals("alice", ack.getJsonObject("details").getString("by"));
    assertEquals("looking", ack.getJsonObject("details").getString("note"));
    assertEquals("fixed", only(entries, "alerts.resolve", "ok").getJsonObject("details").getString("note"));
    assertEquals("resolved", only(entries, "alerts.acknowledge", "conflict").getJsonObject("details")
        .getString("status"));

    assertTrue(all.stream().noneMatch(e -> e.getString("action").startsWith("rules.")),
        "global rule changes are the operator's");
    assertTrue(all.stream().anyMatch(e -> e.getString("action").equals("api_keys.create")
        && acmeKeyId.equals(e.getString("target"))
        && "key_operator".equals(e.getJsonObject("actor").getString("key_id"))),
        "the operator creating acme's key is acme's entry too");
    assertTrue(all.stream().allMatch(e -> "acme".equals(e.getString("tenant"))));
    List<Long> ids = all.stream().map(e -> e.getLong("id")).toList();
    for (int i = 1; i < ids.size(); i++) {
      assertTrue(ids.get(i - 1) > ids.get(i), "newest first");
    }
  }

  @Test
  @DisplayName("the operator sees every tenant and the global entries, or one tenant with ?tenant=")
  void operator_sees_all() {
    List<JsonObject> all = items(server.api().get("/api/v1/audit?limit=1000"));
    JsonObject put = only(all, "rules.file.put", "ok");
    assertNull(put.getString("tenant"));
    assertEquals("extra.drl", put.getString("target"));
    assertEquals("key_operator", put.getJsonObject("actor").getString("key_id"));
    assertEquals("operator key", put.getJsonObject("actor").getString("name"));
    assertNotNull(put.getString("content_hash"));
    JsonObject acmeKey = all.stream().filter(e -> e.getString("action").equals("api_keys.create")
        && acmeKeyId.equals(e.getString("target"))).findFirst().orElseThrow();
    assertEquals("key_operator", acmeKey.getJsonObject("actor").getString("key_id"));
    assertEquals("acme", acmeKey.getString("tenant"));

    List<JsonObject> acmeOnly = items(server.api().get("/api/v1/audit?tenant=acme&limit=1000"));
    assertTrue(acmeOnly.stream().allMatch(e -> "acme".equals(e.getString("tenant"))));
    assertEquals(all.stream().filter(e -> "acme".equals(e.getString("tenant"))).count(), acmeOnly.size());
  }

  @Test
  @DisplayName("action (exact or a dotted prefix), since, limit and cursor")
  void filters_and_paging() {
    List<JsonObject> all = items(acme.get("/api/v1/audit?limit=1000"));
    List<JsonObject> keys = items(acme.get("/api/v1/audit?action=api_keys"));
    assertEquals(all.stream().filter(e -> e.getString("action").startsWith("api_keys.")).toList(), keys);
    assertTrue(keys.size() >= 4, keys.toString());
    assertEquals(2, items(acme.get("/api/v1/audit?action=api_keys.revoke")).size());
    assertEquals(0, items(acme.get("/api/v1/audit?action=api")).size(), "a prefix must end at a dot");
    assertEquals(0, items(acme.get("/api/v1/audit?since=2999-01-01T00:00:00Z")).size());
    assertEquals(all.size(), items(acme.get("/api/v1/audit?since=2000-01-01T00:00:00Z&limit=1000")).size());

    Api.Response first = acme.get("/api/v1/audit?limit=4");
    List<JsonObject> page1 = items(first);
    assertEquals(4, page1.size());
    String next = first.json().getString("next");
    assertNotNull(next);
    List<JsonObject> rest = new ArrayList<>();
    while (next != null) {
      Api.Response r = acme.get("/api/v1/audit?limit=4&cursor=" + next);
      rest.addAll(items(r));
      next = r.json().getString("next");
    }
    List<JsonObject> paged = new ArrayList<>(page1);
    paged.addAll(rest);
    assertEquals(all, paged, "the pages together are the whole list, in order, without repeats");
    assertFalse(acme.get("/api/v1/audit?limit=1000").json().containsKey("next"), "no next on the last page");
  }

  @Test
  @DisplayName("bad parameters are 400, a key without admin 403, another tenant 403; nothing changes")
  void rejections() {
    Map<String, Long> before = TestDatabase.snapshot();
    for (String q : new String[] {"limit=0", "limit=1001", "limit=ten", "since=yesterday", "cursor=nope",
        "action="}) {
      Api.Response r = acme.get("/api/v1/audit?" + q);
      assertEquals(400, r.status(), q + ": " + r.body());
      assertEquals("invalid_request", r.errorCode(), q);
    }
    Api.Response other = acme.get("/api/v1/audit?tenant=globex");
    assertEquals(403, other.status());
    assertEquals("forbidden", other.errorCode());
    Api reader = server.api(server.newKey("acme", "read", "respond"));
    Map<String, Long> afterKey = TestDatabase.snapshot();
    Api.Response forbidden = reader.get("/api/v1/audit");
    assertEquals(403, forbidden.status());
    assertEquals("forbidden", forbidden.errorCode());
    assertEquals(401, server.api(null).get("/api/v1/audit").status());
    assertEquals(afterKey, TestDatabase.snapshot());
    before.put("api_keys", before.get("api_keys") + 1);
    before.put("audit_log", before.get("audit_log") + 1);
    assertEquals(before, afterKey, "only the reader key and its audit entry were added");
  }
}
