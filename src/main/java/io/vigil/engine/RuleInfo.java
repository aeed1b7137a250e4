package io.vigil.engine;

import java.util.Map;

/** A loaded rule: where it came from and what its metadata says. */
public record RuleInfo(String name, String file, String packageName, Map<String, Object> rawMetadata, RuleMetadata metadata) {}
