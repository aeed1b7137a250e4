package io.vigil.it;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import io.vigil.store.AuditLog;
import io.vigil.testing.Api;
import io.vigil.testing.TestDatabase;
import io.vigil.testing.TestServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The templates API over HTTP against the whole server, on a copy of the shipped templates:
 * an upload is checked before it is written and written whole; a rejected one is 422 with
 * line and column and leaves the file as it was; only operators change templates; every
 * change is audited; previews render every part against a sample or a stored alert of the
 * caller's own tenant.
 */
class TemplatesApiIT {
  static final String BRUTE = "Brute force from ${alert.key}: ${alert.occurrences}x, first ${alert.evidence[0].type}";

  TemplateDir templates;
  TestServer server;
  Api api;

  /** A copy of the shipped templates/ directory that the server under test uses. */
  record TemplateDir(Path root) {
    static TemplateDir copyOfShipped() throws Exception {
      Path root = Files.createTempDirectory("vigil-templates");
      try (Stream<Path> files = Files.walk(Path.of("templates"))) {
        for (Path p : (Iterable<Path>) files::iterator) {
          Path target = root.resolve(Path.of("templates").relativize(p).toString());
          if (Files.isDirectory(p)) {
            Files.createDirectories(target);
          } else {
            Files.copy(p, target);
          }
        }
      }
      return new TemplateDir(root);
    }

    Path file(String path) {
      return root.resolve(path);
    }

    String read(String path) throws Exception {
      return Files.readString(file(path));
    }

    /** Every file name under the directory, to show that nothing (a temp file, say) was left behind. */
    List<String> listing() throws Exception {
      try (Stream<Path> files = Files.walk(root)) {
        return files.filter(Files::isRegularFile).map(p -> root.relativize(p).toString()).sorted().toList();
      }
    }
  }

  @BeforeEach
  void start() throws Exception {
    TestDatabase.truncate();
    templates = TemplateDir.copyOfShipped();
    server = TestServer.builder().sampleRules().logChannel("audit-log").logChannel("secops-webhook")
        .env("VIGIL_TEMPLATES_DIR", templates.root().toString()).start();
    api = server.api();
  }

  @AfterEach
  void stop() {
    server.close();
  }

  Api.Response put(Api as, String path, String text) {
    return as.send("PUT", "/api/v1/templates/" + path, text, "text/plain; charset=utf-8");
  }

  Api.Response preview(Api as, JsonObject body) {
    return as.post("/api/v1/templates/preview", body.encode());
  }

  static JsonObject detail(Api.Response r) {
    return r.json().getJsonObject("error").getJsonArray("details").getJsonObject(0);
  }

  List<Map<String, Object>> audit(String action) {
    return TestDatabase.query("SELECT actor, action, target, content_hash, result FROM audit_log WHERE action = '"
        + action + "' ORDER BY id");
  }

  @Test
  @DisplayName("a template written over the API is checked, written, read back, used, deleted and audited")
  void put_get_delete() throws Exception {
    Api.Response created = put(api, "webhook/brute.ftl", BRUTE);
    assertEquals(201, created.status(), created.body());
    assertEquals(AuditLog.sha256(BRUTE), created.json().getString("sha256"));
    assertEquals(BRUTE, templates.read("webhook/brute.ftl"));
    Api.Response got = api.get("/api/v1/templates/webhook/brute.ftl");
    assertEquals(200, got.status());
    assertEquals(BRUTE, got.body());
    assertTrue(got.header("Content-Type").startsWith("text/plain"), got.header("Content-Type"));

    String changed = BRUTE + " (changed)";
    assertEquals(200, put(api, "webhook/brute.ftl", changed).status(), "replacing an existing file is 200");
    assertEquals(changed, templates.read("webhook/brute.ftl"));
    JsonObject used = preview(api, new JsonObject().put("type", "webhook").put("template", "brute")).json();
    assertEquals("webhook/brute.ftl", used.getJsonObject("templates").getString(""));
    assertTrue(used.getJsonObject("parts").getString("").endsWith("(changed)"), used.encode());

    List<Map<String, Object>> puts = audit("templates.put");
    assertEquals(2, puts.size());
    assertEquals("key_operator", puts.get(1).get("actor"));
    assertEquals("webhook/brute.ftl", puts.get(1).get("target"));
    assertEquals(AuditLog.sha256(changed), puts.get(1).get("content_hash"));
    assertEquals("ok", puts.get(1).get("result"));

    Api.Response deleted = api.delete("/api/v1/templates/webhook/brute.ftl");
    assertEquals(200, deleted.status(), deleted.body());
    assertFalse(Files.exists(templates.file("webhook/brute.ftl")));
    assertEquals(404, api.get("/api/v1/templates/webhook/brute.ftl").status());
    assertEquals(404, api.delete("/api/v1/templates/webhook/brute.ftl").status());
    List<Map<String, Object>> deletes = audit("templates.delete");
    assertEquals(1, deletes.size());
    assertEquals(AuditLog.sha256(changed), deletes.get(0).get("content_hash"));
    assertEquals("ok", deletes.get(0).get("result"));
  }

  @Test
  @DisplayName("deleting a channel's default.ftl is allowed, and the built-in text then applies")
  void delete_default() throws Exception {
    assertEquals(200, api.delete("/api/v1/templates/webhook/default.ftl").status());
    assertFalse(Files.exists(templates.file("webhook/default.ftl")));
    Api.Response r = preview(api, new JsonObject().put("type", "webhook"));
    assertEquals(200, r.status(), r.body());
    assertEquals("built-in", r.json().getJsonObject("templates").getString(""));
    assertEquals("[high] Brute force: 5 failed logins from 203.0.113.7 within 1 minute",
        r.json().getJsonObject("parts").getString(""));
  }

  @Test
  @DisplayName("a template that does not parse or uses a forbidden feature is 422 at its line and column, and nothing is written")
  void bad_uploads_change_nothing() throws Exception {
    String before = templates.read("webhook/default.ftl");
    List<String> listing = templates.listing();
    Map<String, int[]> cases = Map.of(
        "ok\n  ${alert.key +}\n", new int[] {2, 16},
        "${alert.summary?eval}", new int[] {1, 16},
        "x ${\"freemarker.template.utility.Execute\"?new()(\"id\")}", new int[] {1, 42},
        "${alert?api.class}", new int[] {1, 8},
        "<#assign t = alert.summary?interpret><@t/>", new int[] {1, 27},
        "<#include \"../../../etc/passwd\">", new int[] {1, 1},
        "a\n<#import \"/lib.ftl\" as lib>", new int[] {2, 1});
    for (Map.Entry<String, int[]> c : cases.entrySet()) {
      Api.Response r = put(api, "webhook/default.ftl", c.getKey());
      assertEquals(422, r.status(), c.getKey() + " -> " + r.body());
      assertEquals("invalid_template", r.errorCode());
      JsonObject d = detail(r);
      assertEquals("webhook/default.ftl", d.getString("file"));
      assertEquals(c.getValue()[0], d.getInteger("line"), c.getKey() + " -> " + r.body());
      assertEquals(c.getValue()[1], d.getInteger("column"), c.getKey() + " -> " + r.body());
      assertFalse(d.getString("message").isBlank());
    }
    assertEquals(before, templates.read("webhook/default.ftl"), "the previous file is unchanged");
    Api.Response fresh = put(api, "slack/new.ftl", "${alert.summary?eval}");
    assertEquals(422, fresh.status());
    assertEquals(listing, templates.listing(), "no file created, no temp file left");
    assertEquals(before, api.get("/api/v1/templates/webhook/default.ftl").body());
    assertEquals(cases.size() + 1, audit("templates.put").stream().filter(a -> "rejected".equals(a.get("result"))).count(),
        "rejected uploads are audited too");

    assertEquals(400, api.get("/api/v1/templates/webhook/..%2F..%2Fvigil.yaml").status());
    assertEquals(400, put(api, "teams/default.ftl", "x").status(), "unknown channel type");
    assertEquals(400, put(api, "webhook/default.txt", "x").status(), "not a template file name");
    assertEquals(400, put(api, "webhook/a.b.c.ftl", "x").status(), "too many dots");
    assertEquals(listing, templates.listing());
  }

  @Test
  @DisplayName("a key without the operator scope can read and preview but not write, delete or run sent text")
  void operator_only() throws Exception {
    Api reader = server.api(server.newKey("default", "admin", "read", "respond", "ingest"));
    String before = templates.read("webhook/default.ftl");
    Api.Response put = put(reader, "webhook/default.ftl", BRUTE);
    assertEquals(403, put.status(), put.body());
    assertEquals("forbidden", put.errorCode());
    assertEquals(403, put(reader, "webhook/brute.ftl", BRUTE).status());
    assertEquals(403, reader.delete("/api/v1/templates/webhook/default.ftl").status());
    assertEquals(403, preview(reader, new JsonObject().put("type", "webhook").put("source", "${alert.key}")).status());
    assertEquals(before, templates.read("webhook/default.ftl"));
    assertFalse(Files.exists(templates.file("webhook/brute.ftl")));
    assertTrue(audit("templates.put").isEmpty());

    assertEquals(200, reader.get("/api/v1/templates/webhook/default.ftl").status());
    assertEquals(200, preview(reader, new JsonObject().put("type", "webhook")).status());
    assertEquals(401, server.api(null).get("/api/v1/templates/webhook/default.ftl").status());
  }

  @Test
  @DisplayName("a preview renders every part of a channel type against a sample alert, or sent text, or fails with line and column")
  void preview_sample() {
    Api.Response log = preview(api, new JsonObject().put("type", "log"));
    assertEquals(200, log.status(), log.body());
    assertEquals("[high] Brute force: 5 failed logins from 203.0.113.7 within 1 minute (rule \"Brute force login\","
        + " key 203.0.113.7, 2x)\n", log.json().getJsonObject("parts").getString(""));
    assertEquals("log/default.ftl", log.json().getJsonObject("templates").getString(""));

    Api.Response email = preview(api, new JsonObject().put("type", "email").put("event", "alert.resolved"));
    assertEquals(200, email.status(), email.body());
    JsonObject parts = email.json().getJsonObject("parts");
    assertEquals(List.of("subject", "html", "txt"), List.copyOf(parts.fieldNames()));
    assertEquals("[RESOLVED] [HIGH] Brute force login: Brute force: 5 failed logins from 203.0.113.7 within 1 minute",
        parts.getString("subject"));
    assertEquals("email/default.html.ftlh", email.json().getJsonObject("templates").getString("html"));
    assertTrue(parts.getString("html").contains("<strong>Resolved:</strong>"), parts.getString("html"));
    assertTrue(parts.getString("txt").startsWith("Resolved: Brute force: 5 failed logins"), parts.getString("txt"));

    Api.Response sent = preview(api, new JsonObject().put("type", "slack")
        .put("source", "${event} ${alert.key} <#list alert.evidence as e>${e.user}<#sep>,</#list>"));
    assertEquals(200, sent.status(), sent.body());
    assertEquals("alert.raised 203.0.113.7 alice,admin", sent.json().getJsonObject("parts").getString(""));

    Api.Response html = preview(api, new JsonObject().put("type", "email").put("part", "html")
        .put("source", "<b>${alert.summary}</b>"));
    assertEquals(200, html.status(), html.body());
    assertEquals("<b>Brute force: 5 failed logins from 203.0.113.7 within 1 minute</b>",
        html.json().getJsonObject("parts").getString("html"));

    Api.Response broken = preview(api, new JsonObject().put("type", "webhook").put("source", "a\n${alert.nope.deeper}"));
    assertEquals(422, broken.status(), broken.body());
    assertEquals("invalid_template", broken.errorCode());
    assertEquals(2, detail(broken).getInteger("line"));
    assertEquals(3, detail(broken).getInteger("column"));
    Api.Response forbidden = preview(api, new JsonObject().put("type", "webhook").put("source", "${alert.key?eval}"));
    assertEquals(422, forbidden.status());
    assertEquals(12, detail(forbidden).getInteger("column"));

    Api.Response endless = preview(api, new JsonObject().put("type", "webhook")
        .put("source", "<#list 1.. as i><#list 1.. as j></#list></#list>"));
    assertEquals(422, endless.status(), endless.body());
    assertTrue(detail(endless).getString("message").contains("did not finish"), endless.body());

    assertEquals(400, preview(api, new JsonObject().put("type", "teams")).status());
    assertEquals(400, preview(api, new JsonObject().put("type", "webhook").put("template", "../x")).status());
    assertEquals(400, preview(api, new JsonObject().put("type", "webhook").put("event", "alert.exploded")).status());
    assertEquals(400, preview(api, new JsonObject().put("type", "email").put("source", "x")).status(), "email needs a part");
  }

  @Test
  @DisplayName("a preview renders a stored alert of the caller's tenant; another tenant's alert is 404")
  void preview_stored_alert() {
    for (int i = 1; i <= 6; i++) {
      Api.Response r = api.post("/api/v1/events", "{\"id\":\"tpl-" + i + "\",\"type\":\"auth.login_failed\","
          + "\"ip\":\"198.51.100.23\",\"user\":\"bob\",\"source\":\"sso\",\"time\":\"" + Instant.now() + "\"}");
      assertEquals(202, r.status(), r.body());
    }
    JsonObject alert = await().atMost(Duration.ofSeconds(30)).until(
        () -> api.get("/api/v1/alerts?rule=Brute%20force%20login").items(), l -> l.size() == 1).getJsonObject(0);
    String id = alert.getString("id");

    Api.Response stored = preview(api, new JsonObject().put("type", "webhook").put("alert_id", id)
        .put("source", "${alert.id} ${alert.key} ${alert.evidence[0].user} ${(alert.deliveries??)?c}"));
    assertEquals(200, stored.status(), stored.body());
    assertEquals(id + " 198.51.100.23 bob false", stored.json().getJsonObject("parts").getString(""),
        "the stored alert, as templates see it (no delivery records)");
    Api.Response byDefault = preview(api, new JsonObject().put("type", "log").put("alert_id", id));
    assertEquals(200, byDefault.status());
    assertTrue(byDefault.json().getJsonObject("parts").getString("").contains("key 198.51.100.23"), byDefault.body());

    Api other = server.api(server.newKey("acme", "read"));
    Api.Response foreign = preview(other, new JsonObject().put("type", "webhook").put("alert_id", id));
    assertEquals(404, foreign.status(), foreign.body());
    assertEquals("not_found", foreign.errorCode());
    assertEquals(404, preview(api, new JsonObject().put("type", "webhook").put("alert_id", UUID.randomUUID().toString()))
        .status());
    assertEquals(404, preview(api, new JsonObject().put("type", "webhook").put("alert_id", "nope")).status());
  }
}
