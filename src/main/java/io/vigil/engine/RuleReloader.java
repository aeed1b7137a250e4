package io.vigil.engine;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vigil.store.AuditLog;
import io.vigil.store.RuleStateStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.kie.api.KieServices;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every change to the running rules goes through here, one at a time, on the {@code
 * vigil-rules} thread: a reload of the directory, a file written or deleted over the API, a
 * rule switched off or on, a policy changed. Each change builds the complete new rule set
 * aside, compiles it, fires it once in a scratch session, and only if all of that passes
 * writes the file (atomically) and swaps the set into every live session. A change that
 * fails changes nothing: files, sessions and state stay as they were, and the errors are
 * returned and kept for the API.
 *
 * <p>At startup, unlike later, a file that does not compile is left out and the rest run.
 */
public final class RuleReloader {
  private static final Logger log = LoggerFactory.getLogger(RuleReloader.class);
  public static final Pattern FILE_NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,100}\\.drl");
  private static final long SWAP_TIMEOUT_MS = 30_000;

  private final Path dir;
  private final RuleCompiler compiler;
  private final RuleEngine engine;
  private final RuleStateStore states;
  private final AuditLog audit;
  private final Supplier<Future<Map<String, String>>> policySource;
  private final Clock clock;
  private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "vigil-rules");
    t.setDaemon(true);
    return t;
  });

  // Owned by the rules thread; published for readers through volatile fields.
  private Map<String, String> files = Map.of();
  private Map<String, String> policies = Map.of();
  private Set<String> disabled = Set.of();
  private volatile List<RuleInfo> disabledRules = List.of();
  private volatile ReloadReport lastReload;
  private volatile java.time.Instant lastReloadAt;
  private final MeterRegistry metrics;

  public RuleReloader(
      Path dir, RuleCompiler compiler, RuleEngine engine, RuleStateStore states, AuditLog audit,
      Supplier<Future<Map<String, String>>> policySource, Clock clock, MeterRegistry metrics) {
    this.dir = dir;
    this.metrics = metrics;
    for (String result : List.of("ok", "rejected", "failed")) {
      metrics.counter("vigil_rule_reloads", "result", result);
    }
    Gauge.builder("vigil_rules_loaded", engine, e -> e.ruleSet() == null ? 0 : e.ruleSet().rules().size())
        .description("Rules in the running rule set").register(metrics);
    this.compiler = compiler;
    this.engine = engine;
    this.states = states;
    this.audit = audit;
    this.policySource = policySource;
    this.clock = clock;
  }

  /** Loads the directory, the disabled rules and the policies, and starts the engine with them. */
  public Future<Void> start() {
    return on(() -> {
      disabled = await(states.disabled());
      policies = await(policySource.get());
      files = RuleFiles.read(dir);
      RuleSources.Effective in = RuleSources.of(files, disabled, policies);
      RuleSet set = compiler.compile(in.files());
      disabledRules = in.disabled();
      log.info("rules loaded: {} rules from {} ({} files failed, {} rules disabled), version {}",
          set.rules().size(), dir.toAbsolutePath().normalize(), set.failedFiles().size(), disabled.size(),
          set.version());
      set.failedFiles().forEach((file, errors) -> errors.forEach(e -> log.warn("rule file failed: {}", e)));
      set.warnings().forEach(w -> log.warn("rules: {}", w));
      return set;
    }).compose(engine::start);
  }

  /** Re-reads the rules directory; unchanged files are a no-op. */
  public Future<ReloadReport> reload(String actor, String reason) {
    return on(() -> {
      Map<String, String> onDisk = RuleFiles.read(dir);
      if (onDisk.equals(files) && engine.ruleSet().failedFiles().isEmpty()) {
        return unchanged(reason);
      }
      return apply(onDisk, disabled, policies, null, actor, null, "rules.reload", dir.toString(), null, reason);
    });
  }

  /** Validates a file against the live set, writes it atomically and swaps it in. */
  public Future<ReloadReport> putFile(String name, String text, String actor) {
    return on(() -> {
      Map<String, String> next = new TreeMap<>(files);
      next.put(name, text);
      Optional<String> previous = Optional.ofNullable(files.get(name));
      Runnable write = () -> writeAtomically(name, text);
      Runnable undo = () -> previous.ifPresentOrElse(p -> writeAtomically(name, p), () -> deleteQuietly(name));
      return apply(next, disabled, policies, new Commit(write, undo), actor, null, "rules.file.put", name,
          AuditLog.sha256(text), "file " + name + " written");
    });
  }

  /** Deletes a file and swaps out its rules; empty when there is no such file. */
  public Future<Optional<ReloadReport>> deleteFile(String name, String actor) {
    return on(() -> {
      if (!files.containsKey(name)) {
        return Optional.<ReloadReport>empty();
      }
      Map<String, String> next = new TreeMap<>(files);
      String previous = next.remove(name);
      Commit commit = new Commit(() -> deleteQuietly(name), () -> writeAtomically(name, previous));
      return Optional.of(apply(next, disabled, policies, commit, actor, null, "rules.file.delete", name, null,
          "file " + name + " deleted"));
    });
  }

  /** Switches a rule off or on; empty when no rule has that name. */
  public Future<Optional<ReloadReport>> setEnabled(String rule, boolean enabled, String actor) {
    return on(() -> {
      boolean known = engine.ruleSet().rule(rule) != null
          || disabledRules.stream().anyMatch(r -> r.name().equals(rule));
      if (!known) {
        return Optional.<ReloadReport>empty();
      }
      Set<String> next = new HashSet<>(disabled);
      if (enabled) {
        next.remove(rule);
      } else {
        next.add(rule);
      }
      if (next.equals(disabled)) {
        return Optional.of(unchanged("rule " + rule + " is already " + (enabled ? "enabled" : "disabled")));
      }
      Commit commit = new Commit(() -> await(states.set(rule, enabled, actor, clock.instant())),
          () -> await(states.set(rule, !enabled, actor, clock.instant())));
      return Optional.of(apply(files, next, policies, commit, actor, null, enabled ? "rules.enable" : "rules.disable",
          rule, null, "rule " + rule + (enabled ? " enabled" : " disabled")));
    });
  }

  /**
   * Changes the JSON policies: {@code edit} maps the current policy DRL files to the next;
   * {@code store} writes the change to the database once the new set compiled and passed
   * its scratch run, and {@code unstore} reverts it if the swap then fails.
   */
  public Future<ReloadReport> changePolicies(
      java.util.function.UnaryOperator<Map<String, String>> edit, Runnable store, Runnable unstore, String actor,
      String tenant, String action, String target, String hash) {
    return on(() -> {
      Map<String, String> next = edit.apply(new TreeMap<>(policies));
      ReloadReport r = apply(files, disabled, next, new Commit(store, unstore), actor, tenant, action, target, hash,
          action + " " + tenant + "/" + target);
      return r;
    });
  }

  /**
   * Checks DRL without running it: the given files over the live ones (same name replaces),
   * compiled and fired once in a scratch session. Nothing is written or swapped.
   */
  public Future<ReloadReport> validate(Map<String, String> candidate) {
    return on(() -> {
      Map<String, String> next = new TreeMap<>(files);
      next.putAll(candidate);
      long t0 = System.nanoTime();
      RuleSources.Effective in = RuleSources.of(next, disabled, policies);
      RuleSet set = compiler.compile(in.files());
      try {
        List<RuleError> errors = errorsOf(set, in.files());
        long compileMs = (System.nanoTime() - t0) / 1_000_000;
        return errors.isEmpty()
            ? new ReloadReport(true, false, null, set.rules().size(), List.of(), set.warnings(), compileMs, 0, "valid")
            : ReloadReport.failed("invalid", errors, set.warnings(), compileMs);
      } finally {
        KieServices.Factory.get().getRepository().removeKieModule(set.releaseId());
      }
    });
  }

  /**
   * What a rule test without its own rules runs: the live files (disabled rules cut out)
   * and the tenant's own policies.
   */
  public Future<Map<String, String>> liveSources(String tenant) {
    return on(() -> {
      Map<String, String> mine = new TreeMap<>();
      policies.forEach((name, drl) -> {
        if (name.startsWith("policies/" + tenant + "/")) {
          mine.put(name, drl);
        }
      });
      return RuleSources.of(files, disabled, mine).files();
    });
  }

  /** The text of a live rule file. */
  public Optional<String> fileText(String name) {
    return Optional.ofNullable(files.get(name));
  }

  public List<RuleInfo> disabledRules() {
    return disabledRules;
  }

  /** When the last change was tried, or null when none has been since the start. */
  public java.time.Instant lastReloadAt() {
    return lastReloadAt;
  }

  /** The last reload that was tried, failed or not: the API shows its errors. */
  public ReloadReport lastReload() {
    return lastReload;
  }

  public void stop() {
    thread.shutdown();
  }

  private ReloadReport unchanged(String reason) {
    RuleSet live = engine.ruleSet();
    return new ReloadReport(true, false, live.version(), live.rules().size(), List.of(), live.warnings(), 0, 0,
        "unchanged: " + reason);
  }

  /** Undo is run when the swap fails after the commit. */
  private record Commit(Runnable apply, Runnable undo) {}

  private ReloadReport apply(
      Map<String, String> nextFiles, Set<String> nextDisabled, Map<String, String> nextPolicies, Commit commit,
      String actor, String tenant, String action, String target, String hash, String reason) {
    long t0 = System.nanoTime();
    RuleSources.Effective in = RuleSources.of(nextFiles, nextDisabled, nextPolicies);
    RuleSet scratch = compiler.compile(in.files());
    List<RuleError> errors = errorsOf(scratch, in.files());
    KieServices.Factory.get().getRepository().removeKieModule(scratch.releaseId());
    ReloadReport report;
    if (!errors.isEmpty()) {
      long compileMs = (System.nanoTime() - t0) / 1_000_000;
      report = ReloadReport.failed("rejected: " + reason, errors, scratch.warnings(), compileMs);
      errors.forEach(e -> log.warn("rule change rejected ({}): {}", reason, e));
    } else {
      // The build that ran in the scratch session is discarded: a KieBase shares its
      // packages, and the live one must get packages no other KieBase has used.
      RuleSet set = compiler.compile(in.files());
      long compileMs = (System.nanoTime() - t0) / 1_000_000;
      report = swap(set, in, nextFiles, nextDisabled, nextPolicies, commit, compileMs, reason);
    }
    lastReload = report;
    lastReloadAt = clock.instant();
    String result = report.ok() ? "ok" : report.reason().startsWith("rejected") ? "rejected" : "failed";
    metrics.counter("vigil_rule_reloads", "result", result).increment();
    // Written before the caller hears the result, so the audit log never lags the change it records.
    await(audit.record(new AuditLog.Entry(clock.instant(), actor, tenant, action, target, hash, result,
        details(report))).recover(e -> Future.succeededFuture()));
    return report;
  }

  private ReloadReport swap(
      RuleSet set, RuleSources.Effective in, Map<String, String> nextFiles, Set<String> nextDisabled,
      Map<String, String> nextPolicies, Commit commit, long compileMs, String reason) {
    RuleSet previous = engine.ruleSet();
    try {
      if (commit != null) {
        commit.apply().run();
      }
    } catch (RuntimeException e) {
      KieServices.Factory.get().getRepository().removeKieModule(set.releaseId());
      log.error("rule change failed before the swap ({}): {}", reason, e.toString());
      return ReloadReport.failed("failed: " + e.getMessage(), List.of(), List.of(), compileMs);
    }
    long t1 = System.nanoTime();
    try {
      engine.swap(set, SWAP_TIMEOUT_MS);
    } catch (Exception e) {
      if (commit != null) {
        commit.undo().run();
      }
      KieServices.Factory.get().getRepository().removeKieModule(set.releaseId());
      log.error("rule swap failed ({}); the previous rules keep running: {}", reason, e.toString());
      return ReloadReport.failed("failed: " + e.getMessage(), List.of(), List.of(), compileMs);
    }
    long swapMs = (System.nanoTime() - t1) / 1_000_000;
    files = Map.copyOf(nextFiles);
    disabled = Set.copyOf(nextDisabled);
    policies = Map.copyOf(nextPolicies);
    disabledRules = in.disabled();
    if (previous != null && !previous.releaseId().equals(set.releaseId())) {
      KieServices.Factory.get().getRepository().removeKieModule(previous.releaseId());
    }
    log.info("rules swapped in ({}): {} rules, version {}, compiled in {} ms, swapped in {} ms",
        reason, set.rules().size(), set.version(), compileMs, swapMs);
    set.warnings().forEach(w -> log.warn("rules: {}", w));
    return new ReloadReport(true, true, set.version(), set.rules().size(), List.of(), set.warnings(), compileMs,
        swapMs, reason);
  }

  private List<RuleError> errorsOf(RuleSet set, Map<String, String> texts) {
    List<RuleError> errors = new java.util.ArrayList<>();
    set.failedFiles().values().forEach(errors::addAll);
    if (errors.isEmpty()) {
      errors.addAll(RuleSmokeTest.run(set, texts, clock.millis()));
    }
    return errors;
  }

  private static JsonObject details(ReloadReport r) {
    JsonArray errors = new JsonArray();
    r.errors().forEach(e -> errors.add(new JsonObject().put("file", e.file()).put("line", e.line())
        .put("column", e.column()).put("message", e.message())));
    return new JsonObject().put("reason", r.reason()).put("version", r.version()).put("errors", errors);
  }

  private void writeAtomically(String name, String text) {
    try {
      Files.createDirectories(dir);
      Path tmp = dir.resolve("." + name + ".tmp");
      Files.writeString(tmp, text, StandardCharsets.UTF_8);
      Files.move(tmp, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new IllegalStateException("cannot write " + name + ": " + e.getMessage(), e);
    }
  }

  private void deleteQuietly(String name) {
    try {
      Files.deleteIfExists(dir.resolve(name));
    } catch (NoSuchFileException e) {
      // already gone
    } catch (IOException e) {
      throw new IllegalStateException("cannot delete " + name + ": " + e.getMessage(), e);
    }
  }

  private <T> Future<T> on(Callable<T> task) {
    CompletableFuture<T> f = new CompletableFuture<>();
    thread.execute(() -> {
      try {
        f.complete(task.call());
      } catch (Throwable e) {
        log.error("rule change failed", e);
        f.completeExceptionally(e);
      }
    });
    return Future.fromCompletionStage(f);
  }

  private static <T> T await(Future<T> f) {
    try {
      return f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException(e.getMessage(), e);
    }
  }

}
