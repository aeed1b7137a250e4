package io.vigil.template;

import freemarker.cache.FileTemplateLoader;
import freemarker.core.TemplateClassResolver;
import freemarker.template.Configuration;
import freemarker.template.SimpleObjectWrapper;
import freemarker.template.Template;
import freemarker.template.TemplateException;
import freemarker.template.TemplateExceptionHandler;
import freemarker.template.TemplateNotFoundException;
import java.io.IOException;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Message templates, {@code templates/<channel type>/<name>.ftl}, rendered by FreeMarker in
 * a sandbox: no class instantiation ({@code ?new}), no {@code ?api}, a wrapper that exposes
 * only plain maps, lists, strings and numbers (no Java methods), loading confined to the
 * templates directory, HTML auto-escaping for {@code .ftlh}, and output capped in size.
 * Files are re-read when they change.
 *
 * <p>A rule's {@code @template("x")} picks {@code <type>/x.ftl} when it exists, else {@code
 * <type>/default.ftl}; with neither, a built-in one-line message is used.
 */
public final class Templates {
  public static final String FALLBACK = "[${alert.severity}] ${alert.summary}";
  private static final int MAX_OUTPUT_CHARS = 64 * 1024;

  private final Path dir;
  private final Masking masking;
  private final Configuration cfg;
  private final Template fallback;
  private final Template fallbackSubject;
  private final Template fallbackHtml;

  public Templates(Path dir) throws IOException {
    this(dir, Masking.DEFAULT);
  }

  public Templates(Path dir, Masking masking) throws IOException {
    this.dir = dir;
    this.masking = masking;
    this.cfg = new Configuration(Configuration.VERSION_2_3_34);
    cfg.setDefaultEncoding("UTF-8");
    cfg.setNewBuiltinClassResolver(TemplateClassResolver.ALLOWS_NOTHING_RESOLVER);
    cfg.setAPIBuiltinEnabled(false);
    cfg.setObjectWrapper(new SimpleObjectWrapper(Configuration.VERSION_2_3_34));
    cfg.setTemplateExceptionHandler(TemplateExceptionHandler.RETHROW_HANDLER);
    cfg.setLogTemplateExceptions(false);
    cfg.setWrapUncheckedExceptions(true);
    cfg.setFallbackOnNullLoopVariable(false);
    cfg.setRecognizeStandardFileExtensions(true);
    cfg.setTemplateUpdateDelayMilliseconds(1000);
    cfg.setLocalizedLookup(false);
    if (Files.isDirectory(dir)) {
      // FileTemplateLoader refuses paths that resolve outside its base directory.
      cfg.setTemplateLoader(new FileTemplateLoader(dir.toFile(), false));
    }
    this.fallback = new Template("fallback", FALLBACK, cfg);
    this.fallbackSubject = new Template("fallback-subject", "[${alert.severity?upper_case}] ${alert.rule}: ${alert.summary}", cfg);
    // Built-in HTML is auto-escaped like any .ftlh file.
    freemarker.core.TemplateConfiguration html = new freemarker.core.TemplateConfiguration();
    html.setParentConfiguration(cfg);
    html.setOutputFormat(freemarker.core.HTMLOutputFormat.INSTANCE);
    this.fallbackHtml = new Template("fallback.html.ftlh", null, new java.io.StringReader(
        "<p><strong>[${alert.severity?upper_case}] ${alert.summary}</strong></p>"
            + "<p>Rule: ${alert.rule}<#if alert.key?has_content>, key: ${alert.key}</#if>;"
            + " ${alert.occurrences} occurrence(s) since ${alert.first_seen}.</p>"
            + "<#if alert.url??><p><a href=\"${alert.url}\">${alert.url}</a></p></#if>"),
        cfg, html, null);
  }

  public Path directory() {
    return dir;
  }

  /** The template to use for a channel type and an optional rule-chosen name. */
  public Template resolve(String channelType, Optional<String> name) throws IOException {
    return resolve(channelType, name, "");
  }

  /**
   * The template for one part of a channel's message: {@code <type>/<name>.ftl} for the
   * main part (""), {@code <type>/<name>.<part>.ftl} for others, and {@code .html.ftlh}
   * for html (auto-escaped). A rule's {@code @template} name first, then {@code default},
   * then a built-in one.
   */
  public Template resolve(String channelType, Optional<String> name, String part) throws IOException {
    if (Files.isDirectory(dir)) {
      if (name.isPresent()) {
        Template t = find(channelType + "/" + fileName(name.get(), part));
        if (t != null) {
          return t;
        }
      }
      Template t = find(channelType + "/" + fileName("default", part));
      if (t != null) {
        return t;
      }
    }
    return builtIn(part);
  }

  static String fileName(String name, String part) {
    return switch (part) {
      case "" -> name + ".ftl";
      case "html" -> name + ".html.ftlh";
      default -> name + "." + part + ".ftl";
    };
  }

  private Template builtIn(String part) {
    return switch (part) {
      case "html" -> fallbackHtml;
      case "subject" -> fallbackSubject;
      default -> fallback;
    };
  }

  private Template find(String path) throws IOException {
    try {
      return cfg.getTemplate(path);
    } catch (TemplateNotFoundException e) {
      return null;
    }
  }

  /** Renders with the documented view model (see {@link MessageModel}). */
  public String render(Template template, Map<String, Object> model) throws IOException, TemplateException {
    StringWriter out = new StringWriter();
    template.process(model, new CappedWriter(out, MAX_OUTPUT_CHARS));
    return out.toString();
  }

  /** The built-in text of a part, for when a template fails: an alert is never lost to a template bug. */
  public String renderBuiltIn(String part, Map<String, Object> model) {
    try {
      return render(builtIn(part), model);
    } catch (IOException | TemplateException e) {
      return String.valueOf(model.get("alert"));
    }
  }

  /** The built-in one-line message. */
  public String renderFallback(Map<String, Object> model) {
    return renderBuiltIn("", model);
  }

  /** How sensitive values are masked in what templates see. */
  public Masking masking() {
    return masking;
  }

  /** Stops a template from producing unbounded output. */
  private static final class CappedWriter extends Writer {
    private final Writer out;
    private final int max;
    private int written;

    CappedWriter(Writer out, int max) {
      this.out = out;
      this.max = max;
    }

    @Override
    public void write(char[] buf, int off, int len) throws IOException {
      if (written + len > max) {
        throw new IOException("template output exceeds " + max + " characters");
      }
      written += len;
      out.write(buf, off, len);
    }

    @Override
    public void flush() throws IOException {
      out.flush();
    }

    @Override
    public void close() throws IOException {
      out.close();
    }
  }
}
