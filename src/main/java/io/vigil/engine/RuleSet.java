package io.vigil.engine;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import org.kie.api.builder.ReleaseId;

/**
 * One compiled, immutable version of the rules: the KIE module to run, what each rule
 * is, which files failed and why. {@code retention} is the longest time window any rule
 * looks back over. {@code expiry}: how long events and alerts stay in a session (the longest
 * window or temporal range, plus slack). {@code retention}: how far back a restart replays
 * the journal to rebuild windows and cooldowns (the longest window or cooldown, at most a day).
 */
public final class RuleSet {
  private final String version;
  private final Instant loadedAt;
  private final ReleaseId releaseId;
  private final List<RuleInfo> rules;
  private final Map<String, RuleInfo> byName;
  private final Map<String, List<RuleError>> failedFiles;
  private final List<String> warnings;
  private final Duration expiry;
  private final Duration retention;

  RuleSet(
      String version,
      Instant loadedAt,
      ReleaseId releaseId,
      List<RuleInfo> rules,
      Map<String, List<RuleError>> failedFiles,
      List<String> warnings,
      Duration expiry,
      Duration retention) {
    this.version = version;
    this.loadedAt = loadedAt;
    this.releaseId = releaseId;
    this.rules = List.copyOf(rules);
    this.byName = rules.stream().collect(Collectors.toUnmodifiableMap(RuleInfo::name, Function.identity()));
    this.failedFiles = Map.copyOf(failedFiles);
    this.warnings = List.copyOf(warnings);
    this.expiry = expiry;
    this.retention = retention;
  }

  public String version() {
    return version;
  }

  public Instant loadedAt() {
    return loadedAt;
  }

  ReleaseId releaseId() {
    return releaseId;
  }

  public List<RuleInfo> rules() {
    return rules;
  }

  public RuleInfo rule(String name) {
    return byName.get(name);
  }

  /** Files that did not load, each with every error found in it. */
  public Map<String, List<RuleError>> failedFiles() {
    return failedFiles;
  }

  public List<String> warnings() {
    return warnings;
  }

  public Duration expiry() {
    return expiry;
  }

  public Duration retention() {
    return retention;
  }
}
