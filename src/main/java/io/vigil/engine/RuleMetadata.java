package io.vigil.engine;

import java.time.Duration;
import java.util.List;
import java.util.Optional;

/**
 * The policy a rule carries in its metadata, parsed and validated once when the rule set
 * loads: {@code @severity}, {@code @channels}, {@code @template}, {@code @tags}, {@code
 * @cooldown}, {@code @max_alerts_per_hour}. {@code channels} is empty when the rule names
 * none (the tenant's default channels apply); {@code maxPerHour} is 0 when unlimited.
 */
public record RuleMetadata(
    String severity,
    List<String> channels,
    Optional<String> template,
    List<String> tags,
    Duration cooldown,
    int maxPerHour) {}
