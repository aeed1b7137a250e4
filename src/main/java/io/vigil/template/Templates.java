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
  private final Configuration cfg;
  private final Template fallback;

  public Templates(Path dir) throws IOException {
    this.dir = dir;
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
  }

  public Path directory() {
    return dir;
  }

  /** The template to use for a channel type and an optional rule-chosen name. */
  public Template resolve(String channelType, Optional<String> name) throws IOException {
    if (!Files.isDirectory(dir)) {
      return fallback;
    }
    if (name.isPresent()) {
      Template t = find(channelType + "/" + name.get() + ".ftl");
      if (t != null) {
        return t;
      }
    }
    Template t = find(channelType + "/default.ftl");
    return t != null ? t : fallback;
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

  /** The built-in message, for when a template fails: an alert is never lost to a template bug. */
  public String renderFallback(Map<String, Object> model) {
    try {
      return render(fallback, model);
    } catch (IOException | TemplateException e) {
      return String.valueOf(model);
    }
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
