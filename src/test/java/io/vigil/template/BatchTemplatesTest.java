package io.vigil.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import freemarker.template.Template;
import io.vigil.testing.SampleBatches;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The digest and held-back templates: shipped for every type that takes them, rendered
 * from their own models, with built-in texts when a file is missing, and out of reach of a
 * rule's {@code @template}.
 */
class BatchTemplatesTest {
  static final Path SHIPPED = Path.of("templates");
  static final List<String> BATCH_TYPES = List.of("webhook", "log", "email", "slack", "syslog");

  @TempDir
  Path empty;

  @Test
  @DisplayName("every type but PagerDuty ships digest and held_back files that render the sample models")
  void shipped_batch_templates_render() throws Exception {
    Templates templates = new Templates(SHIPPED);
    Instant now = Instant.parse("2026-11-24T10:00:00Z");
    for (String type : BATCH_TYPES) {
      Map<String, Object> digest = MessageModel.sampleDigest("acme", now, "c", type, Optional.empty(), Masking.DEFAULT);
      Map<String, Object> heldBack = SampleBatches.heldBackModel(Optional.of("Card fraud"), "c", type);
      for (String part : Templates.parts(type)) {
        Template d = templates.resolveBatch(type, "digest", part);
        Template h = templates.resolveBatch(type, "held_back", part);
        assertFalse(templates.isBuiltIn(d) || templates.isBuiltIn(h), type + " part '" + part + "' is shipped");
        String dOut = templates.render(d, digest);
        String hOut = templates.render(h, heldBack);
        String where = type + " part '" + part + "': ";
        if (part.equals("subject")) {
          assertTrue(dOut.startsWith("[DIGEST] 3 alerts"), where + dOut);
          assertTrue(hOut.contains("7 alerts were held back"), where + hOut);
          assertFalse(dOut.strip().contains("\n") || hOut.strip().contains("\n"), where + "a subject is one line");
        } else {
          for (String key : List.of("203.0.113.7", "203.0.113.8", "203.0.113.9")) {
            assertTrue(dOut.contains(key), where + dOut);
          }
          assertTrue(hOut.contains("7 alerts were held back by the rate limit of rule"), where + hOut);
          assertTrue(hOut.contains("Card fraud") && hOut.contains(SampleBatches.HOUR_START.toString()), where + hOut);
        }
      }
    }
    assertFalse(Files.exists(SHIPPED.resolve("pagerduty/digest.ftl")), "PagerDuty takes no digests");
  }

  @Test
  @DisplayName("without files the built-in texts are used; the held-back one is the documented sentence")
  void built_in_texts() throws Exception {
    Templates templates = new Templates(empty);
    Template h = templates.resolveBatch("webhook", "held_back", "");
    assertTrue(templates.isBuiltIn(h));
    assertEquals("7 alerts were held back by the rate limit of rule \"Card fraud\" between 2026-11-22T09:00:00Z"
        + " and 2026-11-22T10:00:00Z", templates.render(h, SampleBatches.heldBackModel(Optional.of("Card fraud"), "c",
        "webhook")));
    assertEquals("7 alerts were held back by the rate limit of channel c between 2026-11-22T09:00:00Z"
        + " and 2026-11-22T10:00:00Z", templates.render(h, SampleBatches.heldBackModel(Optional.empty(), "c",
        "webhook")));
    String digest = templates.render(templates.resolveBatch("webhook", "digest", ""),
        SampleBatches.digestModel("c", "webhook"));
    assertTrue(digest.startsWith("Vigil digest: 2 alerts from 2026-11-22T10:00:00Z to 2026-11-22T10:05:00Z\n"), digest);
    assertTrue(digest.contains("- [critical] Card **** **** **** 1111 declined 3 times (rule \"Card fraud\""), digest);
    for (String part : List.of("subject", "html", "txt")) {
      Template t = templates.resolveBatch("email", "digest", part);
      assertTrue(templates.isBuiltIn(t));
      assertTrue(templates.render(t, SampleBatches.digestModel("c", "email")).contains("2 alert"), part);
    }
    String html = templates.render(templates.resolveBatch("email", "digest", "html"),
        SampleBatches.digestModel("c", "email"));
    assertTrue(html.contains("&lt;!channel&gt;") && !html.contains("<!channel>"), "built-in HTML is escaped: " + html);
  }

  @Test
  @DisplayName("a rule's @template cannot pick a batch template: digest.ftl is never used for a single alert")
  void rule_cannot_pick_batch_templates() throws Exception {
    Files.createDirectories(empty.resolve("webhook"));
    Files.writeString(empty.resolve("webhook/digest.ftl"), "DIGEST ${count}");
    Files.writeString(empty.resolve("webhook/default.ftl"), "DEFAULT ${alert.summary}");
    Templates templates = new Templates(empty);
    Template t = templates.resolve("webhook", Optional.of("digest"));
    assertEquals("DEFAULT Brute force: 5 failed logins from 203.0.113.7 within 1 minute", templates.render(t,
        MessageModel.of(MessageModel.sampleAlert("acme", Instant.now()), "c", "webhook", Optional.empty())));
    assertEquals("DIGEST 2", templates.render(templates.resolveBatch("webhook", "digest", ""),
        SampleBatches.digestModel("c", "webhook")));
  }
}
