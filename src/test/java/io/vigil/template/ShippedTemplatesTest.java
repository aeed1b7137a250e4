package io.vigil.template;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import freemarker.template.Template;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** The templates shipped in {@code templates/}: each passes the check and renders every event. */
class ShippedTemplatesTest {
  static final Path DIR = Path.of("templates");
  static final List<String> EVENTS = List.of("alert.raised", "alert.acknowledged", "alert.resolved", "alert.repeated", "test");

  @Test
  @DisplayName("every shipped file passes the template check")
  void every_file_passes_the_check() throws Exception {
    Templates templates = new Templates(DIR);
    List<Executable> checks = new ArrayList<>();
    for (String type : Templates.CHANNEL_TYPES) {
      try (Stream<Path> files = Files.list(DIR.resolve(type))) {
        for (Path f : files.toList()) {
          String file = f.getFileName().toString();
          checks.add(() -> assertEquals(Optional.empty(), templates.rejection(type, file), type + "/" + file));
        }
      }
    }
    assertEquals(22, checks.size(), "the shipped files, one check each");
    assertAll(checks);
  }

  @Test
  @DisplayName("every channel type has a default for each of its parts, and it renders each event")
  void every_type_renders_every_event() throws Exception {
    Templates templates = new Templates(DIR);
    JsonObject alert = MessageModel.sampleAlert("acme", Instant.parse("2026-11-24T10:00:00Z"));
    for (String type : Templates.CHANNEL_TYPES) {
      for (String part : Templates.parts(type)) {
        Template t = templates.resolve(type, Optional.empty(), part);
        assertFalse(templates.isBuiltIn(t), type + " part '" + part + "' has a shipped default");
        for (String event : EVENTS) {
          Map<String, Object> model = MessageModel.of(alert, event, "c", type,
              Optional.of("https://vigil.example.org"), Masking.DEFAULT);
          String out = templates.render(t, model);
          String where = type + " part '" + part + "' for " + event + ": " + out;
          if (part.equals("subject")) {
            assertTrue(out.contains("Brute force login"), where);
            assertFalse(out.strip().contains("\n"), "a subject is one line: " + where);
          } else {
            assertTrue(out.contains("203.0.113.7"), where);
          }
        }
      }
    }
  }

  @Test
  @DisplayName("the HTML part escapes event values, and the subject says what happened")
  void html_is_escaped_and_subject_names_the_event() throws Exception {
    Templates templates = new Templates(DIR);
    JsonObject alert = MessageModel.sampleAlert("acme", Instant.parse("2026-11-24T10:00:00Z"));
    alert.getJsonArray("evidence").getJsonObject(0).put("user", "<script>alert(1)</script>");
    alert.put("evidence", new JsonArray(alert.getJsonArray("evidence").getList()));
    Map<String, Object> resolved = MessageModel.of(alert, "alert.resolved", "c", "email", Optional.empty(),
        Masking.DEFAULT);
    String html = templates.render(templates.resolve("email", Optional.empty(), "html"), resolved);
    assertFalse(html.contains("<script>"), html);
    assertTrue(html.contains("&lt;script&gt;"), html);
    String subject = templates.render(templates.resolve("email", Optional.empty(), "subject"), resolved);
    assertTrue(subject.startsWith("[RESOLVED] [HIGH] Brute force login: "), subject);
  }
}
