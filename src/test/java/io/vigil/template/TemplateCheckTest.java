package io.vigil.template;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The check every template passes before it is used: it must parse (else the error's line
 * and column), and must not use ?new, ?api, ?eval, ?interpret, #include, #import or
 * .get_optional_template, however they are spelled; anything else is allowed.
 */
class TemplateCheckTest {
  @TempDir Path dir;
  Templates templates;

  @BeforeEach
  void setUp() throws Exception {
    templates = new Templates(dir);
  }

  TemplateError onlyError(String source) {
    TemplateCheck.Result r = templates.check("webhook/x.ftl", source);
    assertEquals(1, r.errors().size(), source + " -> " + r.errors());
    assertNull(r.template(), "a refused template is not handed out");
    return r.errors().get(0);
  }

  void assertAt(int line, int column, String messagePart, TemplateError e) {
    assertEquals("webhook/x.ftl", e.file());
    assertEquals(line, e.line(), e.toString());
    assertEquals(column, e.column(), e.toString());
    assertTrue(e.message().contains(messagePart), e.toString());
  }

  @Test
  @DisplayName("a template using lists, conditions, formatting built-ins and ?eval_json passes and renders")
  void good_template_passes() throws Exception {
    String source = """
        [${alert.severity?upper_case}] ${alert.summary}
        <#list alert.evidence as e>- ${e.type} from ${e.ip!"?"}<#sep>
        </#list>
        <#if alert.tags?seq_contains("auth")>auth</#if> ${'{"n": 2}'?eval_json.n}
        <#-- ?eval is only mentioned in this comment --> ?eval in text is just text
        """;
    TemplateCheck.Result r = templates.check("webhook/x.ftl", source);
    assertEquals(List.of(), r.errors());
    String out = templates.render(r.template(), MessageModel.of(MessageModel.sampleAlert("t1", java.time.Instant.now()),
        "hook", "webhook", Optional.empty()));
    assertTrue(out.startsWith("[HIGH] Brute force: 5 failed logins"), out);
    assertTrue(out.contains("- auth.login_failed from 203.0.113.7"), out);
    assertTrue(out.contains("auth 2"), out);
  }

  @Test
  @DisplayName("?new, ?api, ?eval and ?interpret are refused at the line and column where they are used")
  void forbidden_built_ins() {
    assertAt(2, 18, "?eval", onlyError("Hello\n  ${alert.summary?eval}"));
    assertAt(1, 31, "?interpret", onlyError("<#assign t = \"${x}\">${\"[#\" + t?interpret}"));
    assertAt(1, 6, "?new", onlyError("${\"x\"?new()}"));
    assertAt(3, 7, "?api", onlyError("a\nb\n<#if x?api.foo??>y</#if>"));
  }

  @Test
  @DisplayName("spacing around the ? does not hide a forbidden built-in")
  void forbidden_built_ins_with_spaces() {
    assertAt(1, 5, "?new", onlyError("${x ? new()}"));
    assertAt(1, 19, "?eval", onlyError("<#list xs as x>${x?eval}</#list>"));
  }

  @Test
  @DisplayName("every use is reported, each at its own place")
  void every_use_is_reported() {
    List<TemplateError> errors = templates.check("webhook/x.ftl", "${a?eval}\n${b?eval} ${c?new()}").errors();
    assertEquals(3, errors.size(), errors.toString());
    assertAt(1, 4, "?eval", errors.get(0));
    assertAt(2, 4, "?eval", errors.get(1));
    assertAt(2, 14, "?new", errors.get(2));
  }

  @Test
  @DisplayName("#include and #import are refused, inside the root or outside it, and so is .get_optional_template")
  void includes_and_imports() {
    assertAt(1, 1, "#include", onlyError("<#include \"../../../etc/passwd\">"));
    assertAt(2, 3, "#include", onlyError("x\n  <#include \"/webhook/default.ftl\">"));
    assertAt(1, 1, "#import", onlyError("<#import \"/lib/../../secret.ftl\" as lib>"));
    assertAt(1, 3, "get_optional_template", onlyError("${.get_optional_template(\"/x.ftl\").exists?c}"));
  }

  @Test
  @DisplayName("a syntax error is reported at its line and column with FreeMarker's explanation")
  void syntax_errors() {
    assertAt(2, 8, "Encountered \"}\"", onlyError("line one\n  ${x +}\n"));
    assertAt(2, 8, "unclosed #if", onlyError("a\n<#if x>\n"));
    assertAt(1, 11, "setting", onlyError("<#setting new_builtin_class_resolver=\"unrestricted\">"));
  }

  @Test
  @DisplayName("a .ftlh file is checked as HTML: what it prints is escaped")
  void html_files_are_escaped() throws Exception {
    TemplateCheck.Result r = templates.check("email/x.html.ftlh", "<p>${alert.summary}</p>");
    assertTrue(r.ok(), r.errors().toString());
    String out = templates.render(r.template(), Map.of("alert", Map.of("summary", "<script>")));
    assertEquals("<p>&lt;script&gt;</p>", out);
  }

  @Test
  @DisplayName("a template larger than 256 KiB is refused without parsing")
  void size_limit() {
    TemplateError e = onlyError("x".repeat(TemplateCheck.MAX_SOURCE_CHARS + 1));
    assertTrue(e.message().contains("256 KiB"), e.toString());
  }

  @Test
  @DisplayName("the sample alert has the documented fields and two evidence events")
  void sample_alert() {
    JsonObject a = MessageModel.sampleAlert("acme", java.time.Instant.parse("2026-01-02T03:04:05.678Z"));
    assertEquals(MessageModel.ALERT_FIELDS, List.copyOf(a.fieldNames()));
    assertEquals("acme", a.getString("tenant"));
    assertEquals(2, a.getJsonArray("evidence").size());
    assertEquals("2026-01-02T03:04:05Z", a.getString("last_seen"));
  }
}
