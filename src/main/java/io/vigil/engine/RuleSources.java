package io.vigil.engine;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.drools.drl.ast.descr.AnnotationDescr;
import org.drools.drl.ast.descr.PackageDescr;
import org.drools.drl.ast.descr.RuleDescr;
import org.drools.drl.parser.DrlParser;
import org.drools.drl.parser.DroolsParserException;

/**
 * What a rule set is compiled from: the rule files, with the rules switched off cut out
 * (blanked, so every other line keeps its number), plus the DRL compiled from JSON
 * policies. Disabling removes a rule from the network rather than filtering its matches,
 * so a disabled rule costs nothing.
 */
final class RuleSources {
  private RuleSources() {}

  /** The inputs to compile, and what the disabled rules were. */
  record Effective(Map<String, String> files, List<RuleInfo> disabled) {}

  static Effective of(Map<String, String> files, Set<String> disabled, Map<String, String> policyFiles) {
    Map<String, String> out = new LinkedHashMap<>();
    List<RuleInfo> off = new ArrayList<>();
    for (Map.Entry<String, String> f : files.entrySet()) {
      out.put(f.getKey(), disabled.isEmpty() ? f.getValue() : cut(f.getKey(), f.getValue(), disabled, off));
    }
    out.putAll(policyFiles);
    return new Effective(out, off);
  }

  private static String cut(String file, String text, Set<String> disabled, List<RuleInfo> off) {
    DrlParser parser = new DrlParser();
    PackageDescr pkg;
    try {
      pkg = parser.parse(false, text);
    } catch (DroolsParserException e) {
      return text;
    }
    if (pkg == null || parser.hasErrors()) {
      return text; // compiling reports the error
    }
    char[] chars = text.toCharArray();
    for (RuleDescr rule : pkg.getRules()) {
      if (!disabled.contains(rule.getName())) {
        continue;
      }
      int start = Math.max(0, rule.getStartCharacter());
      int end = Math.min(chars.length - 1, rule.getEndCharacter());
      for (int i = start; i <= end; i++) {
        if (chars[i] != '\n' && chars[i] != '\r') {
          chars[i] = ' ';
        }
      }
      Map<String, Object> meta = new HashMap<>();
      for (AnnotationDescr a : rule.getAnnotations()) {
        meta.put(a.getName(), a.getSingleValueAsString() == null ? "" : a.getSingleValueAsString().replaceAll("^\"|\"$", ""));
      }
      off.add(new RuleInfo(rule.getName(), file, pkg.getName(), Map.copyOf(meta), null));
    }
    return new String(chars);
  }
}
