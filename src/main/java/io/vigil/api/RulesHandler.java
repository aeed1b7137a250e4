package io.vigil.api;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vigil.config.Durations;
import io.vigil.engine.RuleEngine;
import io.vigil.engine.RuleError;
import io.vigil.engine.RuleInfo;
import io.vigil.engine.RuleSet;
import java.util.List;
import java.util.Map;

/** {@code GET /api/v1/rules}: the live rule set, its rules, and the files that failed to load. */
public final class RulesHandler {
  private final RuleEngine engine;

  public RulesHandler(RuleEngine engine) {
    this.engine = engine;
  }

  public void mount(Router router) {
    router.get("/api/v1/rules").handler(this::list);
  }

  private void list(RoutingContext ctx) {
    ApiRouter.require(ctx, Scope.READ);
    RuleSet set = engine.ruleSet();
    if (set == null) {
      throw ApiError.unavailable("rules are still loading", 1);
    }
    JsonArray rules = new JsonArray();
    for (RuleInfo r : set.rules()) {
      JsonObject meta = new JsonObject();
      r.rawMetadata().forEach((k, v) -> meta.put(k, v instanceof Number ? v : String.valueOf(v)));
      rules.add(new JsonObject()
          .put("name", r.name())
          .put("file", r.file())
          .put("package", r.packageName())
          .put("enabled", true)
          .put("severity", r.metadata().severity())
          .put("channels", new JsonArray(r.metadata().channels()))
          .put("template", r.metadata().template().orElse(null))
          .put("tags", new JsonArray(r.metadata().tags()))
          .put("cooldown", r.metadata().cooldown().isZero() ? null : Durations.format(r.metadata().cooldown()))
          .put("metadata", meta));
    }
    JsonArray failed = new JsonArray();
    for (Map.Entry<String, List<RuleError>> f : set.failedFiles().entrySet()) {
      failed.add(new JsonObject().put("file", f.getKey()).put("errors", errors(f.getValue())));
    }
    ctx.json(new JsonObject()
        .put("version", set.version())
        .put("loaded_at", set.loadedAt().toString())
        .put("rules", rules)
        .put("failed_files", failed)
        .put("warnings", new JsonArray(set.warnings())));
  }

  static JsonArray errors(List<RuleError> errors) {
    JsonArray out = new JsonArray();
    for (RuleError e : errors) {
      out.add(new JsonObject().put("file", e.file()).put("line", e.line()).put("column", e.column())
          .put("message", e.message()));
    }
    return out;
  }
}
