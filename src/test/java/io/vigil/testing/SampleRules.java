package io.vigil.testing;

import io.vigil.alert.RaisedAlert;
import io.vigil.engine.RuleFiles;
import io.vigil.engine.RuleTester;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

/** The shipped {@code rules/} on a {@link RuleTester}, and views of what they raised. */
public final class SampleRules {
  public static final Set<String> CHANNELS = Set.of("secops-webhook", "audit-log");

  private SampleRules() {}

  public static RuleTester tester() {
    try {
      return RuleTester.of(RuleFiles.read(Path.of("rules")), CHANNELS);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The raises of one rule. */
  public static List<RaisedAlert> of(String rule, List<RaisedAlert> raised) {
    return raised.stream().filter(r -> r.rule().equals(rule)).toList();
  }

  /** The raises of one rule that page someone: those outside the rule's cooldown. */
  public static List<RaisedAlert> pagesOf(String rule, List<RaisedAlert> raised) {
    return of(rule, raised).stream().filter(r -> !r.withinCooldown()).toList();
  }
}
