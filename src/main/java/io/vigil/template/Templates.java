package io.vigil.template;

import freemarker.cache.FileTemplateLoader;
import freemarker.core.TemplateClassResolver;
import freemarker.core._CoreAPI;
import freemarker.template.Configuration;
import freemarker.template.SimpleObjectWrapper;
import freemarker.template.Template;
import freemarker.template.TemplateException;
import freemarker.template.TemplateExceptionHandler;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Message templates, {@code templates/<channel type>/<name>.ftl}, rendered by FreeMarker in
 * a sandbox: no class instantiation ({@code ?new}), no {@code ?api}, a wrapper that exposes
 * only plain maps, lists, strings and numbers (no Java methods), HTML auto-escaping for
 * {@code .ftlh}, output capped at 64 KiB, and a render deadline. What FreeMarker cannot
 * switch off ({@code ?eval}, {@code ?interpret}, {@code #include}, {@code #import}) is kept
 * out by {@link TemplateCheck}, which every template passes before it is used.
 *
 * <p>A rule's {@code @template("x")} picks {@code <type>/x.ftl} when it exists, else {@code
 * <type>/default.ftl}; with neither, a built-in message is used. Files are looked at on
 * every resolve (one stat) and re-read when they change. A changed file that does not
 * parse or pass the check is rejected with a warning giving its line and column, and the
 * last good version of that file stays in use; a rejected file with no good version is
 * treated as absent. A deleted file is gone at once.
 *
 * <p>Render deadline. FreeMarker has no render timeout, so {@link #render} runs the template
 * on one of this object's own threads ({@code vigil-template-N}, at most {@value
 * #RENDER_THREADS}) and waits at most the deadline (default 2 s, queueing included). At the
 * deadline the caller gets a {@link RenderDeadlineException} and sends the built-in text,
 * and the rendering thread is interrupted. Every template is given FreeMarker's
 * thread-interruption checks ({@code _CoreAPI.addThreadInterruptedChecks}, the post-processor
 * behind {@code ThreadInterruptionSupportTemplatePostProcessor}), which look at the
 * interrupt flag at the start of each pass of a nested block loop ({@code #list},
 * {@code #items}, {@code #repeat}), so a template looping in FTL stops and frees its thread.
 * What the deadline does not stop: work inside a single built-in or model call, such as
 * {@code ?filter}/{@code ?map}/{@code ?seq_contains} or {@code ?join} over a huge range, a
 * regular expression built-in that backtracks, or deep macro recursion until its stack
 * overflows. Such a render keeps its thread until it ends on its own; the caller is still
 * released at the deadline, and because the threads are few and only for templates, the
 * worst a stuck template can do is make later renders time out or be refused, so that the
 * built-in text is sent. {@link #rendersRunning()} counts renders still on a thread.
 */
public final class Templates {
  private static final Logger log = LoggerFactory.getLogger(Templates.class);

  public static final String FALLBACK = "[${alert.severity}] ${alert.summary}";
  public static final Duration DEFAULT_RENDER_DEADLINE = Duration.ofSeconds(2);
  public static final int RENDER_THREADS = 16;
  /**
   * Templates of the messages about several alerts: {@code digest} (a digest channel's
   * batch) and {@code held_back} (the notice that a rate limit held alerts back). They see
   * their own models ({@link MessageModel#digest}, {@link MessageModel#heldBack}), so a
   * rule's {@code @template} cannot pick them.
   */
  public static final List<String> BATCH_TEMPLATES = List.of("digest", "held_back");
  /** The channel types with a directory of templates. */
  public static final List<String> CHANNEL_TYPES = List.of("webhook", "log", "email", "slack", "pagerduty", "syslog");
  /** A template name, as in {@code @template("x")}. */
  public static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}");
  /** A template file name: {@code <name>.ftl}, {@code <name>.<part>.ftl} or {@code <name>.html.ftlh}. */
  public static final Pattern FILE_NAME = Pattern.compile("[A-Za-z0-9_-]{1,64}(\\.[A-Za-z0-9_-]{1,32})?\\.ftlh?");
  private static final Pattern TYPE = Pattern.compile("[a-z][a-z0-9_-]{0,31}");
  private static final Pattern PART = Pattern.compile("[a-z]{0,32}");
  private static final int MAX_OUTPUT_CHARS = 64 * 1024;
  private static final int RENDER_QUEUE = 1024;
  private static final AtomicInteger THREAD_IDS = new AtomicInteger();

  private final Path dir;
  private final Masking masking;
  private final Duration deadline;
  private final Configuration cfg;
  private final TemplateCheck check;
  private final Template fallback;
  private final Template fallbackSubject;
  private final Template fallbackHtml;
  /** Built-in texts of the batch templates by name and part, as the single-alert ones above. */
  private final Map<String, Template> builtInBatch;
  private final Map<String, Loaded> loaded = new ConcurrentHashMap<>();
  private final Object loading = new Object();
  private final ThreadPoolExecutor renderThreads;
  private final AtomicInteger running = new AtomicInteger();

  public Templates(Path dir) throws IOException {
    this(dir, Masking.DEFAULT);
  }

  public Templates(Path dir, Masking masking) throws IOException {
    this(dir, masking, DEFAULT_RENDER_DEADLINE);
  }

  public Templates(Path dir, Masking masking, Duration renderDeadline) throws IOException {
    if (renderDeadline.isNegative() || renderDeadline.isZero()) {
      throw new IllegalArgumentException("the render deadline must be positive");
    }
    this.dir = dir;
    this.masking = masking;
    this.deadline = renderDeadline;
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
    cfg.setLocalizedLookup(false);
    if (Files.isDirectory(dir)) {
      // TemplateCheck refuses #include and #import; should one ever get through, this loader
      // still refuses paths that resolve outside the templates directory.
      cfg.setTemplateLoader(new FileTemplateLoader(dir.toFile(), false));
    }
    this.check = new TemplateCheck(this);
    this.fallback = new Template("fallback", FALLBACK, cfg);
    this.fallbackSubject = new Template("fallback-subject", "[${alert.severity?upper_case}] ${alert.rule}: ${alert.summary}", cfg);
    // Built-in HTML is auto-escaped like any .ftlh file.
    freemarker.core.TemplateConfiguration html = new freemarker.core.TemplateConfiguration();
    html.setParentConfiguration(cfg);
    html.setOutputFormat(freemarker.core.HTMLOutputFormat.INSTANCE);
    this.fallbackHtml = new Template("fallback.html.ftlh", null, new StringReader(
        "<p><strong>[${alert.severity?upper_case}] ${alert.summary}</strong></p>"
            + "<p>Rule: ${alert.rule}<#if alert.key?has_content>, key: ${alert.key}</#if>;"
            + " ${alert.occurrences} occurrence(s) since ${alert.first_seen}.</p>"
            + "<#if alert.url??><p><a href=\"${alert.url}\">${alert.url}</a></p></#if>"),
        cfg, html, null);
    this.builtInBatch = BatchBuiltIns.create(cfg, html);
    this.renderThreads = new ThreadPoolExecutor(RENDER_THREADS, RENDER_THREADS, 30, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(RENDER_QUEUE), r -> {
          Thread t = new Thread(r, "vigil-template-" + THREAD_IDS.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
    // Idle threads end, so an unused Templates holds none and needs no close().
    renderThreads.allowCoreThreadTimeOut(true);
  }

  public Path directory() {
    return dir;
  }

  public Duration renderDeadline() {
    return deadline;
  }

  /** The parts a channel type's message has: email's subject, html and txt; one unnamed part otherwise. */
  public static List<String> parts(String channelType) {
    return channelType.equals("email") ? List.of("subject", "html", "txt") : List.of("");
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
    if (name.isPresent() && !BATCH_TEMPLATES.contains(name.get())) {
      Template t = find(channelType, name.get(), part);
      if (t != null) {
        return t;
      }
    }
    Template t = find(channelType, "default", part);
    return t != null ? t : builtIn(part);
  }

  /**
   * The template for one part of a message about several alerts, {@code name} one of {@link
   * #BATCH_TEMPLATES}: {@code <type>/<name>.ftl} (and its parts as in {@link #resolve}),
   * else its built-in text.
   */
  public Template resolveBatch(String channelType, String name, String part) throws IOException {
    if (!BATCH_TEMPLATES.contains(name)) {
      throw new IllegalArgumentException("not a batch template: " + name);
    }
    Template t = find(channelType, name, part);
    return t != null ? t : builtInBatch(name, part);
  }

  private Template builtInBatch(String name, String part) {
    Template t = builtInBatch.get(name + "/" + part);
    return t != null ? t : builtInBatch.get(name + "/");
  }

  /** The built-in text of a batch template's part, for when its file fails. */
  public String renderBuiltInBatch(String name, String part, Map<String, Object> model) {
    try {
      return process(builtInBatch(name, part), model);
    } catch (IOException | TemplateException | RuntimeException e) {
      return model.get("count") + " alerts (" + model.get("event") + ")";
    }
  }

  /** Whether a resolved template is a built-in one rather than a file. */
  public boolean isBuiltIn(Template template) {
    return template == fallback || template == fallbackSubject || template == fallbackHtml
        || builtInBatch.containsValue(template);
  }

  /**
   * Why the file {@code <type>/<file>} as it is on disk now is not used, if it is not: the
   * first error of its check. The last good version, if any, is used meanwhile.
   */
  public Optional<TemplateError> rejection(String channelType, String file) {
    String path = channelType + "/" + file;
    if (!validPath(channelType, file)) {
      return Optional.empty();
    }
    try {
      load(path, dir.resolve(channelType).resolve(file));
    } catch (IOException e) {
      return Optional.empty();
    }
    Loaded l = loaded.get(path);
    return l == null ? Optional.empty() : Optional.ofNullable(l.rejection());
  }

  /** The file of one part of a named template: {@code <name>.ftl}, {@code <name>.<part>.ftl}, {@code <name>.html.ftlh}. */
  public static String fileName(String name, String part) {
    return switch (part) {
      case "" -> name + ".ftl";
      case "html" -> name + ".html.ftlh";
      default -> name + "." + part + ".ftl";
    };
  }

  /**
   * Parses and checks template text as the file {@code <type>/<file>} would be; a template
   * that passes is ready to {@link #render}.
   */
  public TemplateCheck.Result check(String file, String source) {
    TemplateCheck.Result r = check.check(file, source);
    if (r.ok()) {
      _CoreAPI.addThreadInterruptedChecks(r.template());
    }
    return r;
  }

  /** Parses with the hardened configuration and nothing else; {@link #check} decides whether it may be used. */
  Template parse(String file, String source) throws IOException {
    return new Template(file, null, new StringReader(source), cfg);
  }

  private Template builtIn(String part) {
    return switch (part) {
      case "html" -> fallbackHtml;
      case "subject" -> fallbackSubject;
      default -> fallback;
    };
  }

  private static boolean validPath(String channelType, String file) {
    return channelType != null && TYPE.matcher(channelType).matches() && FILE_NAME.matcher(file).matches();
  }

  private Template find(String channelType, String name, String part) throws IOException {
    if (!NAME.matcher(name).matches() || !PART.matcher(part).matches()) {
      return null;
    }
    String file = fileName(name, part);
    if (!validPath(channelType, file)) {
      return null;
    }
    return load(channelType + "/" + file, dir.resolve(channelType).resolve(file));
  }

  /** The usable version of a file: the current one if it passed its check, else the last good one, else null. */
  private Template load(String path, Path file) throws IOException {
    BasicFileAttributes attrs;
    try {
      attrs = Files.readAttributes(file, BasicFileAttributes.class);
    } catch (NoSuchFileException e) {
      loaded.remove(path);
      return null;
    }
    if (!attrs.isRegularFile()) {
      loaded.remove(path);
      return null;
    }
    Stamp stamp = new Stamp(attrs.lastModifiedTime(), attrs.size(), attrs.fileKey());
    Loaded known = loaded.get(path);
    if (known != null && known.stamp().equals(stamp)) {
      return known.template();
    }
    synchronized (loading) {
      known = loaded.get(path);
      if (known != null && known.stamp().equals(stamp)) {
        return known.template();
      }
      Template previous = known == null ? null : known.template();
      List<TemplateError> errors;
      Template current = null;
      if (!file.toRealPath().startsWith(dir.toRealPath())) {
        errors = List.of(new TemplateError(path, null, null, "the file resolves outside the templates directory"));
      } else if (stamp.size() > TemplateCheck.MAX_SOURCE_CHARS * 4L) {
        errors = List.of(new TemplateError(path, 1, 1,
            "the template is larger than " + TemplateCheck.MAX_SOURCE_CHARS / 1024 + " KiB"));
      } else {
        String text = null;
        try {
          text = Files.readString(file);
        } catch (NoSuchFileException e) {
          loaded.remove(path);
          return null;
        } catch (IOException e) {
          // Not UTF-8, or unreadable: as bad as a syntax error.
        }
        if (text == null) {
          errors = List.of(new TemplateError(path, null, null, "the file cannot be read as UTF-8 text"));
        } else {
          TemplateCheck.Result r = check(path, text);
          current = r.template();
          errors = r.errors();
        }
      }
      if (current != null && known != null) {
        log.info("template reloaded file={}", path);
      }
      for (TemplateError e : errors) {
        log.warn("template rejected file={} at={} error=\"{}\" in_use={}", path,
            e.line() == null ? "-" : e.line() + ":" + e.column(), e.message().replaceAll("\\s+", " "),
            previous != null ? "previous version" : "none (falls back)");
      }
      TemplateError error = errors.isEmpty() ? null : errors.get(0);
      Loaded next = current != null ? new Loaded(stamp, current, null) : new Loaded(stamp, previous, error);
      loaded.put(path, next);
      return next.template();
    }
  }

  /**
   * Renders with the documented view model (see {@link MessageModel}) on a template thread,
   * within the deadline: {@link RenderDeadlineException} when it takes longer.
   */
  public String render(Template template, Map<String, Object> model) throws IOException, TemplateException {
    Future<String> result;
    try {
      result = renderThreads.submit(() -> {
        running.incrementAndGet();
        try {
          return process(template, model);
        } finally {
          running.decrementAndGet();
        }
      });
    } catch (RejectedExecutionException e) {
      throw new IOException("too many template renders are waiting (" + RENDER_QUEUE + ")");
    }
    try {
      return result.get(deadline.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      // Interrupts the thread: FreeMarker's checks end an FTL loop at its next pass.
      result.cancel(true);
      throw new RenderDeadlineException("template " + template.getName() + " did not finish within "
          + deadline.toMillis() + " ms and was abandoned");
    } catch (InterruptedException e) {
      result.cancel(true);
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while rendering template " + template.getName());
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof IOException io) {
        throw io;
      }
      if (cause instanceof TemplateException te) {
        throw te;
      }
      throw new IOException("template " + template.getName() + " failed: " + cause, cause);
    }
  }

  /** How many renders are running on template threads now, abandoned ones included. */
  public int rendersRunning() {
    return running.get();
  }

  private static String process(Template template, Map<String, Object> model) throws IOException, TemplateException {
    StringWriter out = new StringWriter();
    template.process(model, new CappedWriter(out, MAX_OUTPUT_CHARS));
    return out.toString();
  }

  /** The built-in text of a part, for when a template fails: an alert is never lost to a template bug. */
  public String renderBuiltIn(String part, Map<String, Object> model) {
    try {
      // Built-in templates are short and loop-free: rendered on the caller's thread, so they
      // work even when every template thread is taken.
      return process(builtIn(part), model);
    } catch (IOException | TemplateException | RuntimeException e) {
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

  /** What identifies a version of a file: a rename over it (as an upload does) changes the file key. */
  private record Stamp(FileTime modified, long size, Object fileKey) {}

  /** A file's state: the version on disk ({@code stamp}), the template in use, and why the version on disk is not, if it is not. */
  private record Loaded(Stamp stamp, Template template, TemplateError rejection) {}

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
