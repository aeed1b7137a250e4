package io.vigil.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vigil.config.Durations;
import io.vigil.engine.ReloadReport;
import io.vigil.engine.RuleEngine;
import io.vigil.engine.RuleError;
import io.vigil.engine.RuleInfo;
import io.vigil.engine.RuleReloader;
import io.vigil.engine.RuleSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * {@code /api/v1/rules}: the live rule set, its files, validation, reload, and switching
 * rules off and on. Reading needs {@code read}; anything that writes rules or runs DRL sent
 * in the request needs {@code operator}, since DRL runs as code in the server. A change
 * that does not compile is {@code 422 invalid_rule} with every error's file, line and
 * column, and leaves the live rules as they were.
 */
public final class RulesHandler {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final RuleEngine engine;
  private final RuleReloader reloader;

  public RulesHandler(RuleEngine engine, RuleReloader reloader) {
    this.engine = engine;
    this.reloader = reloader;
  }

  public void mount(Router router) {
    router.get("/api/v1/rules").handler(this::list);
    router.get("/api/v1/rules/files/:name").handler(this::getFile);
    router.put("/api/v1/rules/files/:name").handler(this::putFile);
    router.delete("/api/v1/rules/files/:name").handler(this::deleteFile);
    router.post("/api/v1/rules/validate").handler(this::validate);
    router.post("/api/v1/rules/reload").handler(this::reload);
    router.post("/api/v1/rules/:name/disable").handler(ctx -> setEnabled(ctx, false));
    router.post("/api/v1/rules/:name/enable").handler(ctx -> setEnabled(ctx, true));
  }

  private void list(RoutingContext ctx) {
    Principal p = ApiRouter.require(ctx, Scope.READ);
    RuleSet set = engine.ruleSet();
    if (set == null) {
      throw ApiError.unavailable("rules are still loading", 1);
    }
    JsonArray rules = new JsonArray();
    for (RuleInfo r : set.rules()) {
      if (visible(r, p)) {
        rules.add(view(r, true));
      }
    }
    for (RuleInfo r : reloader.disabledRules()) {
      rules.add(view(r, false));
    }
    JsonArray failed = new JsonArray();
    set.failedFiles().forEach((file, errors) ->
        failed.add(new JsonObject().put("file", file).put("errors", errors(errors))));
    JsonObject body = new JsonObject()
        .put("version", set.version())
        .put("loaded_at", set.loadedAt().toString())
        .put("rules", rules)
        .put("failed_files", failed)
        .put("warnings", new JsonArray(set.warnings()));
    ReloadReport last = reloader.lastReload();
    if (last != null) {
      body.put("last_reload", report(last));
    }
    ctx.json(body);
  }

  /** Policy rules belong to their tenant; only it (or an operator) sees them. */
  private static boolean visible(RuleInfo r, Principal p) {
    return !r.file().startsWith("policies/") || p.has(Scope.OPERATOR)
        || r.file().startsWith("policies/" + p.tenant() + "/");
  }

  private static JsonObject view(RuleInfo r, boolean enabled) {
    JsonObject meta = new JsonObject();
    r.rawMetadata().forEach((k, v) -> meta.put(k, v instanceof Number ? v : String.valueOf(v)));
    JsonObject o = new JsonObject()
        .put("name", r.name())
        .put("file", r.file())
        .put("package", r.packageName())
        .put("enabled", enabled)
        .put("metadata", meta);
    if (r.metadata() != null) {
      o.put("severity", r.metadata().severity())
          .put("channels", new JsonArray(r.metadata().channels()))
          .put("template", r.metadata().template().orElse(null))
          .put("tags", new JsonArray(r.metadata().tags()))
          .put("cooldown", r.metadata().cooldown().isZero() ? null : Durations.format(r.metadata().cooldown()))
          .put("resolve_after", r.metadata().resolveAfter().map(RulesHandler::durationOrNever).orElse(null))
          .put("repeat", r.metadata().repeat().map(RulesHandler::durationOrNever).orElse(null));
    }
    return o;
  }

  private static String durationOrNever(java.time.Duration d) {
    return d.isZero() ? "never" : Durations.format(d);
  }

  private void getFile(RoutingContext ctx) {
    ApiRouter.require(ctx, Scope.READ);
    String name = fileName(ctx);
    Optional<String> text = reloader.fileText(name);
    if (text.isEmpty()) {
      throw ApiError.notFound("rule file " + name);
    }
    ctx.response().putHeader("Content-Type", "text/plain; charset=utf-8").end(text.get());
  }

  private void putFile(RoutingContext ctx) {
    Principal p = ApiRouter.require(ctx, Scope.OPERATOR);
    String name = fileName(ctx);
    String text = ctx.body() == null || ctx.body().buffer() == null ? "" : ctx.body().asString("UTF-8");
    if (text.isBlank()) {
      throw new ApiError(ErrorCode.INVALID_REQUEST, "the body must be the DRL text of the file");
    }
    boolean existed = reloader.fileText(name).isPresent();
    answer(ctx, reloader.putFile(name, text, p.keyId()), existed ? 200 : 201);
  }

  private void deleteFile(RoutingContext ctx) {
    Principal p = ApiRouter.require(ctx, Scope.OPERATOR);
    String name = fileName(ctx);
    reloader.deleteFile(name, p.keyId()).onComplete(ar -> {
      if (ar.failed()) {
        ctx.fail(ar.cause());
      } else if (ar.result().isEmpty()) {
        ctx.fail(ApiError.notFound("rule file " + name));
      } else {
        respond(ctx, ar.result().get(), 200);
      }
    });
  }

  private void validate(RoutingContext ctx) {
    ApiRouter.require(ctx, Scope.OPERATOR);
    Map<String, String> files = filesOf(ctx);
    reloader.validate(files).onComplete(ar -> {
      if (ar.failed()) {
        ctx.fail(ar.cause());
      } else if (ar.result().ok()) {
        ctx.json(new JsonObject().put("valid", true).put("rules", ar.result().rules())
            .put("warnings", new JsonArray(ar.result().warnings())));
      } else {
        ctx.fail(invalid(ar.result()));
      }
    });
  }

  /** A DRL body is one file, {@code request.drl}; a JSON body is {@code {"files":{name:text}}}. */
  private static Map<String, String> filesOf(RoutingContext ctx) {
    String ct = ctx.request().getHeader("Content-Type");
    String body = ctx.body() == null || ctx.body().buffer() == null ? "" : ctx.body().asString("UTF-8");
    if (ct != null && ct.toLowerCase().startsWith("application/json")) {
      JsonNode root;
      try {
        root = JSON.readTree(body);
      } catch (Exception e) {
        throw new ApiError(ErrorCode.INVALID_JSON, "the body is not valid JSON");
      }
      JsonNode files = root == null ? null : root.get("files");
      if (files == null || !files.isObject() || files.isEmpty()) {
        throw new ApiError(ErrorCode.INVALID_REQUEST, "send {\"files\":{\"name.drl\":\"DRL text\"}} or DRL text");
      }
      Map<String, String> out = new LinkedHashMap<>();
      files.fields().forEachRemaining(e -> {
        if (!RuleReloader.FILE_NAME.matcher(e.getKey()).matches() || !e.getValue().isTextual()) {
          throw new ApiError(ErrorCode.INVALID_REQUEST, "files must map names like brute.drl to DRL text");
        }
        out.put(e.getKey(), e.getValue().asText());
      });
      return out;
    }
    if (body.isBlank()) {
      throw new ApiError(ErrorCode.INVALID_REQUEST, "send DRL text or {\"files\":{...}}");
    }
    return Map.of("request.drl", body);
  }

  private void reload(RoutingContext ctx) {
    Principal p = ApiRouter.require(ctx, Scope.OPERATOR);
    answer(ctx, reloader.reload(p.keyId(), "reload requested over the API"), 200);
  }

  private void setEnabled(RoutingContext ctx, boolean enabled) {
    Principal p = ApiRouter.require(ctx, Scope.OPERATOR);
    String rule = ctx.pathParam("name");
    reloader.setEnabled(rule, enabled, p.keyId()).onComplete(ar -> {
      if (ar.failed()) {
        ctx.fail(ar.cause());
      } else if (ar.result().isEmpty()) {
        ctx.fail(ApiError.notFound("rule \"" + rule + "\""));
      } else {
        respond(ctx, ar.result().get(), 200);
      }
    });
  }

  private void answer(RoutingContext ctx, Future<ReloadReport> report, int okStatus) {
    report.onComplete(ar -> {
      if (ar.failed()) {
        ctx.fail(ar.cause());
      } else {
        respond(ctx, ar.result(), okStatus);
      }
    });
  }

  private static void respond(RoutingContext ctx, ReloadReport r, int okStatus) {
    if (r.ok()) {
      ctx.response().setStatusCode(okStatus);
      ctx.json(report(r));
    } else if (r.errors().isEmpty()) {
      ctx.fail(ApiError.unavailable("the rules could not be swapped in (" + r.reason() + "); nothing changed", 5));
    } else {
      ctx.fail(invalid(r));
    }
  }

  private static ApiError invalid(ReloadReport r) {
    return new ApiError(ErrorCode.INVALID_RULE,
        r.errors().size() + " error(s); the live rules are unchanged", errors(r.errors()));
  }

  static JsonObject report(ReloadReport r) {
    return new JsonObject()
        .put("ok", r.ok())
        .put("changed", r.changed())
        .put("version", r.version())
        .put("rules", r.rules())
        .put("compile_ms", r.compileMs())
        .put("swap_ms", r.swapMs())
        .put("reason", r.reason())
        .put("errors", errors(r.errors()))
        .put("warnings", new JsonArray(r.warnings()));
  }

  static JsonArray errors(List<RuleError> errors) {
    JsonArray out = new JsonArray();
    for (RuleError e : errors) {
      out.add(new JsonObject().put("file", e.file()).put("line", e.line()).put("column", e.column())
          .put("message", e.message()));
    }
    return out;
  }

  private static String fileName(RoutingContext ctx) {
    String name = ctx.pathParam("name");
    if (!RuleReloader.FILE_NAME.matcher(name).matches()) {
      throw new ApiError(ErrorCode.INVALID_REQUEST,
          "a rule file name is letters, digits, '.', '-' or '_' and ends in .drl");
    }
    return name;
  }
}
