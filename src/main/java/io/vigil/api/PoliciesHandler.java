package io.vigil.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vigil.engine.ReloadReport;
import io.vigil.engine.RuleReloader;
import io.vigil.engine.policy.Policy;
import io.vigil.engine.policy.PolicyCompiler;
import io.vigil.engine.policy.PolicyException;
import io.vigil.engine.policy.PolicyParser;
import io.vigil.store.AuditLog;
import io.vigil.store.PolicyStore;
import io.vigil.store.PolicyStore.StoredPolicy;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * {@code /api/v1/policies}: JSON policies for people who do not write DRL, per tenant. A
 * policy is parsed into a typed model and compiled to a DRL rule guarded by its tenant;
 * the whole rule set is then validated and swapped in live, and only then is the policy
 * stored. Writes need {@code admin}, reads {@code read}. A policy that does not hold up is
 * {@code 422 invalid_policy} (or {@code invalid_regex}) with every problem, and changes
 * nothing.
 */
public final class PoliciesHandler {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final SecureRandom RANDOM = new SecureRandom();

  private final PolicyStore store;
  private final RuleReloader reloader;
  private final Clock clock;

  public PoliciesHandler(PolicyStore store, RuleReloader reloader, Clock clock) {
    this.store = store;
    this.reloader = reloader;
    this.clock = clock;
  }

  public void mount(Router router) {
    router.post("/api/v1/policies").handler(this::create);
    router.get("/api/v1/policies").handler(this::list);
    router.get("/api/v1/policies/:id").handler(this::get);
    router.get("/api/v1/policies/:id/drl").handler(this::drl);
    router.put("/api/v1/policies/:id").handler(this::replace);
    router.delete("/api/v1/policies/:id").handler(this::delete);
  }

  private void create(RoutingContext ctx) {
    Principal p = ApiRouter.require(ctx, Scope.ADMIN);
    JsonNode body = body(ctx);
    byte[] raw = new byte[9];
    RANDOM.nextBytes(raw);
    String id = "pol_" + Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
    Policy policy = parse(body, id, p.tenant());
    Instant now = clock.instant();
    StoredPolicy stored = new StoredPolicy(id, p.tenant(), policy.name(), new JsonObject(body.toString()), now, now,
        p.keyId(), p.keyId());
    apply(ctx, stored, policy, null, p, "policies.create", 201);
  }

  private void replace(RoutingContext ctx) {
    JsonNode body = body(ctx);
    withPolicy(ctx, Scope.ADMIN, (p, old) -> {
      Policy policy = parse(body, old.id(), p.tenant());
      StoredPolicy stored = new StoredPolicy(old.id(), p.tenant(), policy.name(), new JsonObject(body.toString()),
          old.createdAt(), clock.instant(), old.createdBy(), p.keyId());
      apply(ctx, stored, policy, old, p, "policies.update", 200);
    });
  }

  /** Name check, then compile-validate-swap with the store write as the commit. */
  private void apply(RoutingContext ctx, StoredPolicy stored, Policy policy, StoredPolicy previous, Principal p,
      String action, int status) {
    String file = PolicyCompiler.fileName(p.tenant(), stored.id());
    String drl = PolicyCompiler.compile(policy);
    UnaryOperator<Map<String, String>> edit = files -> {
      if (drl.isEmpty()) {
        files.remove(file);
      } else {
        files.put(file, drl);
      }
      return files;
    };
    Runnable save = () -> blocking(store.save(stored));
    Runnable undo = previous == null
        ? () -> blocking(store.delete(p.tenant(), stored.id()))
        : () -> blocking(store.save(previous));
    store.nameTaken(p.tenant(), stored.name(), stored.id())
        .compose(taken -> {
          if (taken) {
            return Future.failedFuture(new ApiError(ErrorCode.CONFLICT,
                "this tenant already has a policy named \"" + stored.name() + "\""));
          }
          return reloader.changePolicies(edit, save, undo, p.keyId(), p.tenant(), action, stored.id(),
              AuditLog.sha256(stored.body().encode()));
        })
        .onComplete(ar -> {
          if (ar.failed()) {
            ctx.fail(ar.cause());
            return;
          }
          ReloadReport r = ar.result();
          if (!r.ok()) {
            ctx.fail(r.errors().isEmpty()
                ? ApiError.unavailable("the policy could not be applied (" + r.reason() + "); nothing changed", 5)
                : new ApiError(ErrorCode.INVALID_POLICY, "the policy does not compile; nothing changed",
                    RulesHandler.errors(r.errors())));
            return;
          }
          ctx.response().setStatusCode(status);
          ctx.json(view(stored));
        });
  }

  private void list(RoutingContext ctx) {
    Principal p = ApiRouter.require(ctx, Scope.READ);
    store.list(p.tenant()).onComplete(ar -> {
      if (ar.failed()) {
        ctx.fail(ar.cause());
        return;
      }
      List<JsonObject> items = new ArrayList<>();
      ar.result().forEach(sp -> items.add(view(sp)));
      ctx.json(new JsonObject().put("items", new JsonArray(items)));
    });
  }

  private void get(RoutingContext ctx) {
    withPolicy(ctx, Scope.READ, (p, sp) -> ctx.json(view(sp)));
  }

  private void drl(RoutingContext ctx) {
    withPolicy(ctx, Scope.READ, (p, sp) -> ctx.response().putHeader("Content-Type", "text/plain; charset=utf-8")
        .end(PolicyCompiler.compile(parse(toJackson(sp.body()), sp.id(), sp.tenant()))));
  }

  /** The caller's policy named in the path, or 404: another tenant's policy does not exist. */
  private void withPolicy(RoutingContext ctx, Scope scope, java.util.function.BiConsumer<Principal, StoredPolicy> then) {
    Principal p = ApiRouter.require(ctx, scope);
    String id = policyId(ctx);
    store.get(p.tenant(), id).onComplete(ar -> {
      if (ar.failed()) {
        ctx.fail(ar.cause());
      } else if (ar.result().isEmpty()) {
        ctx.fail(ApiError.notFound("policy"));
      } else {
        try {
          then.accept(p, ar.result().get());
        } catch (RuntimeException e) {
          ctx.fail(e); // an ApiError from validating the body, answered like any other
        }
      }
    });
  }

  private void delete(RoutingContext ctx) {
    Principal p = ApiRouter.require(ctx, Scope.ADMIN);
    String id = policyId(ctx);
    store.get(p.tenant(), id).compose(found -> {
      if (found.isEmpty()) {
        return Future.failedFuture(ApiError.notFound("policy"));
      }
      String file = PolicyCompiler.fileName(p.tenant(), id);
      return reloader.changePolicies(files -> {
        files.remove(file);
        return files;
      }, () -> blocking(store.delete(p.tenant(), id)), () -> blocking(store.save(found.get())), p.keyId(),
          p.tenant(), "policies.delete", id, null);
    }).onComplete(ar -> {
      if (ar.failed()) {
        ctx.fail(ar.cause());
      } else if (!ar.result().ok()) {
        ctx.fail(ApiError.unavailable("the policy could not be removed (" + ar.result().reason() + ")", 5));
      } else {
        ctx.response().setStatusCode(204).end();
      }
    });
  }

  private static JsonObject view(StoredPolicy sp) {
    return sp.body().copy()
        .put("id", sp.id())
        .put("rule", "policy:" + sp.name())
        .put("created_at", sp.createdAt().toString())
        .put("updated_at", sp.updatedAt().toString())
        .put("created_by", sp.createdBy())
        .put("updated_by", sp.updatedBy());
  }

  private static Policy parse(JsonNode body, String id, String tenant) {
    try {
      return PolicyParser.parse(body, id, tenant);
    } catch (PolicyException e) {
      JsonArray details = new JsonArray();
      for (PolicyException.Problem problem : e.problems()) {
        JsonObject d = new JsonObject().put("field", problem.field()).put("message", problem.message());
        if (problem.position() != null) {
          d.put("position", problem.position());
        }
        details.add(d);
      }
      ErrorCode code = PolicyException.INVALID_REGEX.equals(e.code()) ? ErrorCode.INVALID_REGEX : ErrorCode.INVALID_POLICY;
      throw new ApiError(code, e.problems().size() + " problem(s) in the policy; nothing changed", details);
    }
  }

  private static JsonNode body(RoutingContext ctx) {
    String text = ctx.body() == null || ctx.body().buffer() == null ? "" : ctx.body().asString("UTF-8");
    JsonNode node;
    try {
      node = JSON.readTree(text);
    } catch (Exception e) {
      throw new ApiError(ErrorCode.INVALID_JSON, "the body is not valid JSON");
    }
    if (node == null || !node.isObject()) {
      throw new ApiError(ErrorCode.INVALID_JSON, "the body must be a JSON object");
    }
    return node;
  }

  private static JsonNode toJackson(JsonObject o) {
    try {
      return JSON.readTree(o.encode());
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static String policyId(RoutingContext ctx) {
    String id = ctx.pathParam("id");
    if (!PolicyCompiler.POLICY_ID.matcher(id).matches()) {
      throw ApiError.notFound("policy");
    }
    return id;
  }

  /** On the rules thread, where waiting for the database is the point. */
  private static void blocking(Future<?> f) {
    try {
      f.toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("storing the policy failed: " + e.getMessage(), e);
    }
  }
}
