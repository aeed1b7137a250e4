package io.vigil.engine;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The policy a rule carries in its metadata, parsed and validated once when the rule set
 * loads: {@code @severity}, {@code @channels}, {@code @template}, {@code @tags}, {@code
 * @cooldown}, {@code @max_alerts_per_hour}, {@code @resolve_after}, {@code @repeat}. {@code
 * channels} is empty when the rule names none (the tenant's default channels apply); {@code
 * maxPerHour} is 0 when unlimited; {@code resolveAfter} and {@code repeat} are empty when the
 * rule does not set them (the configured defaults apply) and zero for {@code "never"}.
 */
public record RuleMetadata(
    String severity,
    List<String> channels,
    Optional<String> template,
    List<String> tags,
    Duration cooldown,
    int maxPerHour,
    Optional<Duration> resolveAfter,
    Optional<Duration> repeat) {

  /** The policy of a raise whose rule is no longer in the rule set. */
  public static RuleMetadata unknown(String severity) {
    return new RuleMetadata(severity, List.of(), Optional.empty(), List.of(), Duration.ZERO, 0, Optional.empty(),
        Optional.empty());
  }
}
