package io.vigil.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import io.vigil.testing.LogCapture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Files on disk are re-read when they change; a version that does not parse or pass the
 * check is rejected with a warning giving its line and column, and the last good version of
 * that file keeps rendering. With no good version the file is as if absent.
 */
class TemplateReloadTest {
  @TempDir Path dir;
  Templates templates;
  Map<String, Object> model;
  long clock = System.currentTimeMillis();

  @BeforeEach
  void setUp() throws Exception {
    Files.createDirectories(dir.resolve("webhook"));
    save("webhook/default.ftl", "v1: ${alert.summary}");
    templates = new Templates(dir);
    model = MessageModel.of(new JsonObject().put("id", "a1").put("rule", "R").put("severity", "high")
        .put("summary", "S").put("occurrences", 1), "hook", "webhook", Optional.empty());
  }

  /** Writes a file in place, as an editor does, with a modification time later than any before. */
  void save(String file, String text) throws Exception {
    Path p = dir.resolve(file);
    Files.writeString(p, text);
    clock += 2_000;
    Files.setLastModifiedTime(p, FileTime.fromMillis(clock));
  }

  String render(Optional<String> name) throws Exception {
    return templates.render(templates.resolve("webhook", name), model);
  }

  @Test
  @DisplayName("a file changed into one that does not parse is rejected at line:column and the last good version keeps rendering")
  void bad_change_keeps_last_good_version() throws Exception {
    assertEquals("v1: S", render(Optional.empty()));
    try (LogCapture logs = new LogCapture()) {
      save("webhook/default.ftl", "v2: ${alert.summary}\n  ${x +}\n");
      assertEquals("v1: S", render(Optional.empty()));
      assertEquals("v1: S", render(Optional.empty()));
      List<String> warnings = logs.lines().stream().filter(l -> l.contains("template rejected")).toList();
      assertEquals(1, warnings.size(), "one warning per rejected version, not per render: " + warnings);
      assertTrue(warnings.get(0).contains("file=webhook/default.ftl at=2:8"), warnings.get(0));
      assertTrue(warnings.get(0).contains("in_use=previous version"), warnings.get(0));
    }
    TemplateError rejection = templates.rejection("webhook", "default.ftl").orElseThrow();
    assertEquals(2, rejection.line());
    assertEquals(8, rejection.column());

    save("webhook/default.ftl", "v3: ${alert.rule}");
    assertEquals("v3: R", render(Optional.empty()), "a good version replaces it");
    assertEquals(Optional.empty(), templates.rejection("webhook", "default.ftl"));
  }

  @Test
  @DisplayName("a file changed to use ?eval or #include is rejected the same way")
  void forbidden_change_keeps_last_good_version() throws Exception {
    assertEquals("v1: S", render(Optional.empty()));
    save("webhook/default.ftl", "v2: ${alert.summary?eval}");
    assertEquals("v1: S", render(Optional.empty()));
    assertEquals(1, templates.rejection("webhook", "default.ftl").orElseThrow().line());
    save("webhook/default.ftl", "<#include \"../../etc/passwd\">");
    assertEquals("v1: S", render(Optional.empty()));
    assertTrue(templates.rejection("webhook", "default.ftl").orElseThrow().message().contains("#include"));
  }

  @Test
  @DisplayName("a rule's template that was never good falls back to the default, and a deleted default to the built-in")
  void never_good_falls_back() throws Exception {
    save("webhook/brute.ftl", "<#if>");
    assertEquals("v1: S", render(Optional.of("brute")));
    assertTrue(templates.rejection("webhook", "brute.ftl").isPresent());
    Files.delete(dir.resolve("webhook/default.ftl"));
    assertEquals("[high] S", render(Optional.of("brute")));
    assertEquals("[high] S", render(Optional.empty()));
    assertTrue(templates.isBuiltIn(templates.resolve("webhook", Optional.empty())));
  }

  @Test
  @DisplayName("a file replaced by a rename is picked up even with the same size and time")
  void rename_is_a_new_version() throws Exception {
    assertEquals("v1: S", render(Optional.empty()));
    Path target = dir.resolve("webhook/default.ftl");
    FileTime time = Files.getLastModifiedTime(target);
    Path tmp = dir.resolve("webhook/.upload.tmp");
    Files.writeString(tmp, "v9: ${alert.summary}");
    Files.setLastModifiedTime(tmp, time);
    Files.move(tmp, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
    assertEquals("v9: S", render(Optional.empty()));
  }
}
