package io.vigil.engine.policy;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Future;
import io.vigil.store.PolicyStore;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The DRL files of every tenant's stored policies, as the rule set compiles them. */
public final class PolicyFiles {
  private static final Logger log = LoggerFactory.getLogger(PolicyFiles.class);
  private static final ObjectMapper JSON = new ObjectMapper();

  private PolicyFiles() {}

  public static Future<Map<String, String>> load(PolicyStore store) {
    return store.list(null).map(policies -> {
      Map<String, String> files = new TreeMap<>();
      for (PolicyStore.StoredPolicy p : policies) {
        try {
          Policy policy = PolicyParser.parse(JSON.readTree(p.body().encode()), p.id(), p.tenant());
          files.put(PolicyCompiler.fileName(p.tenant(), p.id()), PolicyCompiler.compile(policy));
        } catch (Exception e) {
          // Stored policies were valid when written; one that no longer parses is skipped, not fatal.
          log.error("stored policy {} of tenant {} cannot be compiled and is skipped: {}", p.id(), p.tenant(),
              e.getMessage());
        }
      }
      return files;
    });
  }
}
