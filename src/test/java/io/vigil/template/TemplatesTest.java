package io.vigil.template;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import freemarker.template.Template;
import freemarker.template.TemplateException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Templates are chosen per channel type and rule, see only the documented view model, and
 * run sandboxed: no class instantiation, no ?api, no Java methods, bounded output.
 */
class TemplatesTest {
  @TempDir Path dir;
  Templates templates;
  Map<String, Object> model;

  @BeforeEach
  void setUp() throws IOException {
    Files.createDirectories(dir.resolve("webhook"));
    Files.writeString(dir.resolve("webhook/default.ftl"), "default: ${alert.summary}");
    Files.writeString(dir.resolve("webhook/brute.ftl"), "brute: ${alert.key} x${alert.occurrences}");
    templates = new Templates(dir);
    JsonObject alert = new JsonObject().put("id", "a1").put("rule", "R").put("key", "203.0.113.7")
        .put("severity", "high").put("summary", "S <b>").put("occurrences", 3).put("tags", new JsonArray().add("t"))
        .put("evidence", new JsonArray().add(new JsonObject().put("type", "x").put("attributes", new JsonObject())));
    model = MessageModel.of(alert, "hook", "webhook", Optional.of("https://vigil.example.org/"));
  }

  String render(String type, Optional<String> name) throws Exception {
    return templates.render(templates.resolve(type, name), model);
  }

  @Test
  @DisplayName("a rule's @template picks its file when it exists, else the channel's default, else the built-in")
  void resolution_order() throws Exception {
    assertEquals("brute: 203.0.113.7 x3", render("webhook", Optional.of("brute")));
    assertEquals("default: S <b>", render("webhook", Optional.of("missing")));
    assertEquals("default: S <b>", render("webhook", Optional.empty()));
    assertEquals("[high] S <b>", render("log", Optional.empty()));
  }

  @Test
  @DisplayName("the view model carries the alert, a link when a public URL is set, and the channel")
  void view_model() throws Exception {
    Files.writeString(dir.resolve("webhook/model.ftl"),
        "${alert.url} ${channel.name}/${channel.type} <#list alert.tags as t>${t}</#list> ${alert.evidence[0].type}");
    assertEquals("https://vigil.example.org/api/v1/alerts/a1 hook/webhook t x", render("webhook", Optional.of("model")));
  }

  @Test
  @DisplayName("?new cannot instantiate classes, ?api is off, and Java methods are not reachable")
  void sandbox() throws Exception {
    String newBuiltIn = "<#assign ex = \"freemarker.template.utility.Execute\"?new()>${ex(\"id\")}";
    String apiBuiltIn = "${alert?api.getClass().getName()}";
    Files.writeString(dir.resolve("webhook/new.ftl"), newBuiltIn);
    Files.writeString(dir.resolve("webhook/api.ftl"), apiBuiltIn);
    Files.writeString(dir.resolve("webhook/method.ftl"), "${alert.summary.getClass()}");
    assertEquals("default: S <b>", render("webhook", Optional.of("new")), "refused by the check: as if absent");
    assertEquals("default: S <b>", render("webhook", Optional.of("api")), "refused by the check: as if absent");
    Template method = templates.resolve("webhook", Optional.of("method"));
    assertThrows(TemplateException.class, () -> templates.render(method, model));
    // The configuration refuses them as well, for a template that never went through the check.
    for (String source : new String[] {newBuiltIn, apiBuiltIn}) {
      Template unchecked = templates.parse("webhook/unchecked.ftl", source);
      assertThrows(TemplateException.class, () -> templates.render(unchecked, model), source);
    }
  }

  @Test
  @DisplayName("output beyond 64 KiB is refused, and the built-in message is still available")
  void output_cap() throws Exception {
    Files.writeString(dir.resolve("webhook/huge.ftl"), "<#list 1..100000 as i>xxxxxxxxxx</#list>");
    Template t = templates.resolve("webhook", Optional.of("huge"));
    IOException e = assertThrows(IOException.class, () -> templates.render(t, model));
    assertTrue(e.getMessage().contains("exceeds"), e.getMessage());
    assertEquals("[high] S <b>", templates.renderFallback(model));
  }

  @Test
  @DisplayName("templates outside the templates directory cannot be loaded")
  void confined_to_directory() throws Exception {
    Files.writeString(dir.getParent().resolve("outside.ftl"), "secret");
    String include = "<#include \"../../outside.ftl\">";
    Files.writeString(dir.resolve("webhook/include.ftl"), include);
    assertEquals("default: S <b>", render("webhook", Optional.of("include")), "refused by the check: as if absent");
    Template unchecked = templates.parse("webhook/include.ftl", include);
    assertThrows(Exception.class, () -> templates.render(unchecked, model), "and the loader is confined too");
    Files.createSymbolicLink(dir.resolve("webhook/linked.ftl"), dir.getParent().resolve("outside.ftl"));
    assertEquals("default: S <b>", render("webhook", Optional.of("linked")), "a link out of the directory is refused");
  }

  @Test
  @DisplayName("a changed file is picked up without a restart")
  void reloads_changed_files() throws Exception {
    assertEquals("default: S <b>", render("webhook", Optional.empty()));
    Files.writeString(dir.resolve("webhook/default.ftl"), "changed: ${alert.rule}");
    Files.setLastModifiedTime(dir.resolve("webhook/default.ftl"),
        java.nio.file.attribute.FileTime.fromMillis(System.currentTimeMillis() + 5_000));
    await().atMost(Duration.ofSeconds(10)).until(() -> render("webhook", Optional.empty()).equals("changed: R"));
  }
}
