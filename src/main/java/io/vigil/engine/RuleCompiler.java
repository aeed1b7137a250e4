package io.vigil.engine;

import io.vigil.config.ConfigLoader;
import io.vigil.config.Durations;
import io.vigil.rules.Severity;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.drools.base.definitions.rule.impl.RuleImpl;
import org.drools.compiler.kie.builder.impl.DrlProject;
import org.drools.compiler.kie.builder.impl.InternalKieModule;
import org.drools.drl.ast.descr.PackageDescr;
import org.drools.drl.ast.descr.RuleDescr;
import org.drools.drl.parser.DrlParser;
import org.drools.drl.parser.DroolsParserException;
import org.kie.api.KieServices;
import org.kie.api.builder.KieBuilder;
import org.kie.api.builder.KieFileSystem;
import org.kie.api.builder.Message;
import org.kie.api.builder.ReleaseId;
import org.kie.api.builder.model.KieModuleModel;
import org.kie.api.conf.EventProcessingOption;
import org.kie.api.definition.KiePackage;
import org.kie.api.definition.rule.Rule;
import org.kie.api.runtime.conf.ClockTypeOption;
import org.kie.internal.builder.InternalKieBuilder;

/**
 * Compiles DRL files into a {@link RuleSet}. A file that fails (Drools errors, bad
 * metadata, a rule name used twice) is left out with every error located by file, line
 * and column, and the rest still load: one broken file never takes the others down.
 *
 * <p>Every build gets a new in-memory release id, so a running container can later be
 * moved to it in place. Builds use the classic DRL (MVEL) compiler, without a kmodule.xml.
 */
public final class RuleCompiler {
  static final String RULES_ROOT = "src/main/resources/rules/";
  private static final String DECLARATIONS = "src/main/resources/io/vigil/rules/vigil-declarations.drl";
  /** Events and alerts stay in a session this much longer than the longest window. */
  static final Duration EXPIRY_SLACK = Duration.ofMinutes(1);
  /** Longer windows are clipped to this: events are never held in memory longer. */
  static final Duration MAX_WINDOW = Duration.ofDays(7);
  /** A restart replays at most this much journal to rebuild windows and cooldowns. */
  static final Duration MAX_REPLAY = Duration.ofDays(1);

  private static final AtomicLong BUILDS = new AtomicLong();
  private static final Pattern PARSER_POSITION = Pattern.compile("Line (\\d+):(\\d+)");
  private static final Pattern TEMPLATE_NAME = Pattern.compile("[A-Za-z0-9_-]{1,100}");

  private final KieServices ks = KieServices.Factory.get();
  private final Set<String> knownChannels;
  private final Clock clock;

  static {
    DroolsJitWorkaround.apply();
  }

  public RuleCompiler(Set<String> knownChannels, Clock clock) {
    this.knownChannels = Set.copyOf(knownChannels);
    this.clock = clock;
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  /** Compiles the given files (name to DRL text); never throws for bad DRL. */
  public RuleSet compile(Map<String, String> files) {
    Map<String, String> candidates = new TreeMap<>(files);
    Map<String, List<RuleError>> failed = new TreeMap<>();
    rejectDuplicateNames(candidates, failed);
    for (int round = 0; round <= files.size() + 1; round++) {
      DrlText.Spans spans = DrlText.spansOf(candidates.values());
      Duration expiry = min(spans.window(), MAX_WINDOW).plus(EXPIRY_SLACK);
      Duration retention = min(spans.window().compareTo(spans.cooldown()) >= 0 ? spans.window() : spans.cooldown(),
          MAX_REPLAY);
      ReleaseId releaseId = ks.newReleaseId("io.vigil", "rules", "1.0." + BUILDS.incrementAndGet());
      Map<String, List<RuleError>> errors = build(releaseId, candidates, expiry);
      List<RuleInfo> rules = new ArrayList<>();
      List<String> warnings = new ArrayList<>();
      if (errors.isEmpty()) {
        errors = inspect(releaseId, candidates, rules, warnings);
      }
      if (errors.isEmpty()) {
        return new RuleSet(
            "v" + releaseId.getVersion().substring("1.0.".length()),
            clock.instant(), releaseId, rules, failed, warnings, expiry, retention);
      }
      ks.getRepository().removeKieModule(releaseId);
      errors.forEach(
          (file, list) -> {
            failed.computeIfAbsent(file, f -> new ArrayList<>()).addAll(list);
            candidates.remove(file);
          });
    }
    throw new IllegalStateException("rule compilation did not converge");
  }

  /**
   * A rule name defined again in a later file (by file name order) fails that later file.
   * Checked before Drools sees the files: within one package Drools would report the
   * duplicate against whichever file it happened to build second, and the newcomer could
   * silently replace a running rule.
   */
  private static void rejectDuplicateNames(Map<String, String> candidates, Map<String, List<RuleError>> failed) {
    Map<String, String> owner = new HashMap<>();
    for (String file : List.copyOf(candidates.keySet())) {
      String text = candidates.get(file);
      PackageDescr pkg;
      DrlParser parser = new DrlParser();
      try {
        pkg = parser.parse(false, text);
      } catch (DroolsParserException e) {
        continue; // the build reports the syntax error with its position
      }
      if (pkg == null || parser.hasErrors()) {
        continue;
      }
      List<RuleError> errors = new ArrayList<>();
      for (RuleDescr rule : pkg.getRules()) {
        String previous = owner.putIfAbsent(rule.getName(), file);
        if (previous != null && !previous.equals(file)) {
          int[] at = DrlText.position(text, rule.getName(), "rule");
          errors.add(new RuleError(file, at[0], at[1], "rule name \"" + rule.getName() + "\" is already used in "
              + previous + "; rule names must be unique across the rule set"));
        }
      }
      if (!errors.isEmpty()) {
        failed.put(file, errors);
        candidates.remove(file);
        // Names this file defined first are not taken: the file does not load.
        owner.values().removeIf(file::equals);
      }
    }
  }

  /** Builds the module; returns errors by file (empty on success). */
  private Map<String, List<RuleError>> build(ReleaseId releaseId, Map<String, String> files, Duration expiry) {
    KieFileSystem kfs = ks.newKieFileSystem();
    kfs.generateAndWritePomXML(releaseId);
    kfs.write(DECLARATIONS, declarations(expiry));
    files.forEach((name, text) -> kfs.write(RULES_ROOT + name, text));
    KieModuleModel module = ks.newKieModuleModel();
    module
        .newKieBaseModel("vigil")
        .setDefault(true)
        .setEventProcessingMode(EventProcessingOption.STREAM)
        .addPackage("*")
        .newKieSessionModel("vigil-session")
        .setDefault(true)
        .setClockType(ClockTypeOption.PSEUDO);
    KieBuilder builder =
        ((InternalKieBuilder) ks.newKieBuilder(kfs)).withKModuleModel(module).buildAll(DrlProject.class);
    Map<String, List<RuleError>> errors = new LinkedHashMap<>();
    for (Message m : builder.getResults().getMessages(Message.Level.ERROR)) {
      String file = fileOf(m.getPath(), files);
      RuleError e = locate(file, m, files.get(file));
      errors.computeIfAbsent(file, f -> new ArrayList<>()).add(e);
    }
    // "Parser returned a null Package" only repeats that the file had a syntax error.
    errors.values().forEach(list -> {
      if (list.size() > 1) {
        list.removeIf(e -> e.line() == 0 && e.message().startsWith("Parser returned a null Package"));
      }
    });
    return errors;
  }

  private static String fileOf(String path, Map<String, String> files) {
    if (path != null && path.startsWith("rules/") && files.containsKey(path.substring(6))) {
      return path.substring(6);
    }
    // Errors Drools cannot pin on a file (e.g. a type declared twice across files) stop the
    // whole set; name them so the operator sees why nothing loaded.
    return path == null ? "(rule set)" : path;
  }

  private static RuleError locate(String file, Message m, String text) {
    String message = clean(m.getText());
    int line = Math.max(m.getLine(), 0);
    Matcher p = PARSER_POSITION.matcher(m.getText());
    if (p.find()) {
      // The parser's own position is exact; its column is 0-based.
      return new RuleError(file, Integer.parseInt(p.group(1)), Integer.parseInt(p.group(2)) + 1, message);
    }
    return new RuleError(file, line, DrlText.columnOfToken(text, line, m.getText()), message);
  }

  private static String clean(String text) {
    StringBuilder b = new StringBuilder();
    for (String l : text.split("\n")) {
      String t = l.trim();
      if (t.isEmpty() || t.startsWith("[Near") || t.startsWith("^") || t.startsWith("[Line:")) {
        continue;
      }
      if (b.length() > 0) {
        b.append(' ');
      }
      b.append(t);
    }
    String s = b.toString().replaceAll("\\s*: \\[Rule name='[^']*'\\]\\s*$", "");
    return s.length() > 500 ? s.substring(0, 500) + "..." : s;
  }

  /** Reads every rule out of the built module: metadata, names, and their problems. */
  private Map<String, List<RuleError>> inspect(
      ReleaseId releaseId, Map<String, String> files, List<RuleInfo> out, List<String> warnings) {
    Map<String, List<RuleError>> errors = new LinkedHashMap<>();
    // Read the packages the build produced without creating a KieBase from them: a KieBase
    // marks its packages in use, and the live container would then have to deep-clone them,
    // which fails for groupby accumulates once they have run.
    InternalKieModule module = (InternalKieModule) ks.getRepository().getKieModule(releaseId);
    Map<String, String> seen = new HashMap<>();
    List<Rule> all = new ArrayList<>();
    for (KiePackage p : module.getKnowledgePackagesForKieBase("vigil")) {
      all.addAll(p.getRules());
    }
    all.sort((a, b) -> fileOfRule(a, files).compareTo(fileOfRule(b, files)));
    for (Rule rule : all) {
      String file = fileOfRule(rule, files);
      String text = files.getOrDefault(file, "");
      String previous = seen.putIfAbsent(rule.getName(), file);
      if (previous != null) {
        int[] at = DrlText.position(text, rule.getName(), "rule");
        errors.computeIfAbsent(file, f -> new ArrayList<>())
            .add(new RuleError(file, at[0], at[1],
                "rule name \"" + rule.getName() + "\" is already used in " + previous
                    + "; rule names must be unique across the rule set"));
        continue;
      }
      List<RuleError> problems = new ArrayList<>();
      RuleMetadata meta = metadata(rule, file, text, problems, warnings);
      if (!problems.isEmpty()) {
        errors.computeIfAbsent(file, f -> new ArrayList<>()).addAll(problems);
        continue;
      }
      out.add(new RuleInfo(rule.getName(), file, rule.getPackageName(), Map.copyOf(rule.getMetaData()), meta));
    }
    return errors;
  }

  private static String fileOfRule(Rule rule, Map<String, String> files) {
    if (rule instanceof RuleImpl impl && impl.getResource() != null) {
      String path = impl.getResource().getSourcePath();
      if (path != null && path.startsWith("rules/")) {
        return path.substring(6);
      }
    }
    return "(rule set)";
  }

  private RuleMetadata metadata(Rule rule, String file, String text, List<RuleError> problems, List<String> warnings) {
    Map<String, Object> m = rule.getMetaData();
    String severity = "medium";
    if (m.containsKey("severity")) {
      Optional<Severity> s = Severity.parse(String.valueOf(m.get("severity")));
      if (s.isEmpty()) {
        problems.add(metaError(file, text, rule, "severity",
            "@severity(\"" + m.get("severity") + "\") is not one of " + Severity.labels()));
      } else {
        severity = s.get().label();
      }
    }
    List<String> channels = split(m.get("channels"));
    for (String c : channels) {
      if (!ConfigLoader.NAME.matcher(c).matches()) {
        problems.add(metaError(file, text, rule, "channels", "@channels names '" + c + "', which is not a valid channel name"));
      } else if (!knownChannels.contains(c)) {
        warnings.add(file + ": rule \"" + rule.getName() + "\" names channel '" + c
            + "', which is not configured; its deliveries will fail with unknown_channel");
      }
    }
    Optional<String> template = Optional.empty();
    if (m.containsKey("template")) {
      String t = String.valueOf(m.get("template")).trim();
      if (!TEMPLATE_NAME.matcher(t).matches()) {
        problems.add(metaError(file, text, rule, "template",
            "@template(\"" + t + "\") must be a plain name: letters, digits, '-' or '_'"));
      } else {
        template = Optional.of(t);
      }
    }
    Duration cooldown = Duration.ZERO;
    if (m.containsKey("cooldown")) {
      try {
        cooldown = Durations.parse(String.valueOf(m.get("cooldown")));
      } catch (IllegalArgumentException e) {
        problems.add(metaError(file, text, rule, "cooldown", "@cooldown: " + e.getMessage()));
      }
    }
    int maxPerHour = 0;
    if (m.containsKey("max_alerts_per_hour")) {
      try {
        maxPerHour = Integer.parseInt(String.valueOf(m.get("max_alerts_per_hour")).trim());
      } catch (NumberFormatException e) {
        maxPerHour = -1;
      }
      if (maxPerHour < 1) {
        problems.add(metaError(file, text, rule, "max_alerts_per_hour",
            "@max_alerts_per_hour must be a whole number of at least 1"));
      }
    }
    return new RuleMetadata(severity, channels, template, split(m.get("tags")), cooldown, Math.max(0, maxPerHour),
        durationOrNever(m, "resolve_after", file, text, rule, problems),
        durationOrNever(m, "repeat", file, text, rule, problems));
  }

  /** {@code @key("24h")}, or {@code "never"} (zero); empty when the rule does not set it. */
  private static Optional<Duration> durationOrNever(
      Map<String, Object> m, String key, String file, String text, Rule rule, List<RuleError> problems) {
    if (!m.containsKey(key)) {
      return Optional.empty();
    }
    String v = String.valueOf(m.get(key)).trim();
    if (v.equalsIgnoreCase("never")) {
      return Optional.of(Duration.ZERO);
    }
    try {
      Duration d = Durations.parse(v);
      if (d.compareTo(Duration.ofMinutes(1)) < 0) {
        problems.add(metaError(file, text, rule, key, "@" + key + " must be at least 1m, or \"never\""));
        return Optional.empty();
      }
      return Optional.of(d);
    } catch (IllegalArgumentException e) {
      problems.add(metaError(file, text, rule, key, "@" + key + ": " + e.getMessage() + ", or \"never\""));
      return Optional.empty();
    }
  }

  private static RuleError metaError(String file, String text, Rule rule, String key, String message) {
    int[] ruleAt = DrlText.position(text, rule.getName(), "rule");
    int[] at = DrlText.positionAfter(text, ruleAt[0], "@" + key);
    return new RuleError(file, at[0] > 0 ? at[0] : ruleAt[0], at[0] > 0 ? at[1] : ruleAt[1], message);
  }

  static List<String> split(Object value) {
    if (value == null) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    for (String s : String.valueOf(value).split(",")) {
      if (!s.isBlank()) {
        out.add(s.trim());
      }
    }
    return List.copyOf(out);
  }

  private static String declarations(Duration expiry) {
    long expiresMs = expiry.toMillis();
    return "package io.vigil.rules;\n\n"
        + "declare Event\n    @role(event)\n    @timestamp(time)\n    @expires(" + expiresMs + "ms)\nend\n\n"
        + "declare Alert\n    @role(event)\n    @timestamp(time)\n    @expires(" + expiresMs + "ms)\nend\n\n"
        // Declared here so every session can bind them, whatever the rule files declare.
        + "global io.vigil.rules.Alerts alerts;\n"
        + "global io.vigil.rules.Thresholds thresholds;\n"
        + "global io.vigil.rules.Conditions conditions;\n";
  }
}
