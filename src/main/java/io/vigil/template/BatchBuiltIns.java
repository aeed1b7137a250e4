package io.vigil.template;

import freemarker.core.TemplateConfiguration;
import freemarker.template.Configuration;
import freemarker.template.Template;
import java.io.IOException;
import java.io.StringReader;
import java.util.Map;

/**
 * The built-in texts of the {@code digest} and {@code held_back} templates, keyed {@code
 * <name>/<part>}: what a channel type without those files sends, and what replaces a file
 * that fails. Like the single-alert built-ins they are short and loop over nothing but the
 * listed alerts, and their HTML is auto-escaped.
 */
final class BatchBuiltIns {
  /** A line per alert listed, and how many more the period held. */
  static final String DIGEST = "Vigil digest: ${count} alert<#if count != 1>s</#if> from ${period_start}"
      + " to ${period_end}\n<#list alerts as a>- [${a.severity}] ${a.summary} (rule \"${a.rule}\""
      + "<#if a.key?has_content>, key ${a.key}</#if>)\n</#list><#if count gt alerts?size>…and ${count - alerts?size}"
      + " more\n</#if>";
  /** The count comes first and the wording is fixed: receivers match on "N alerts were held back". */
  static final String HELD_BACK = "${count} alerts were held back by the rate limit of"
      + " <#if rule??>rule \"${rule}\"<#else>channel ${channel.name}</#if> between ${hour_start} and ${hour_end}";

  private BatchBuiltIns() {}

  static Map<String, Template> create(Configuration cfg, TemplateConfiguration html) throws IOException {
    return Map.of(
        "digest/", new Template("digest", DIGEST, cfg),
        "digest/subject", new Template("digest-subject",
            "[DIGEST] ${count} alert<#if count != 1>s</#if> from Vigil, ${period_start} to ${period_end}", cfg),
        "digest/html", new Template("digest.html.ftlh", null, new StringReader(
            "<p><strong>${count} alert<#if count != 1>s</#if> from ${period_start} to ${period_end}</strong></p><ul>"
                + "<#list alerts as a><li>[${a.severity?upper_case}] ${a.summary} (rule ${a.rule}"
                + "<#if a.key?has_content>, key ${a.key}</#if>)</li></#list></ul>"
                + "<#if count gt alerts?size><p>…and ${count - alerts?size} more</p></#if>"),
            cfg, html, null),
        "held_back/", new Template("held_back", HELD_BACK, cfg),
        "held_back/subject", new Template("held_back-subject", "[VIGIL] ${count} alerts were held back", cfg),
        "held_back/html", new Template("held_back.html.ftlh", null, new StringReader("<p>" + HELD_BACK + "</p>"),
            cfg, html, null));
  }
}
