package io.vigil.api;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vigil.config.ConfigLoader;
import io.vigil.store.ApiKeyStore;
import io.vigil.store.AuditLog;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code /api/v1/api-keys}. An {@code admin} key manages keys of its own tenant and can
 * never grant {@code operator}; an {@code operator} key manages keys of any tenant. A
 * token is shown once, at creation; only its hash is stored. Creating and revoking are
 * audited, refused attempts included.
 */
public final class ApiKeysHandler {
  private final ApiKeyStore keys;
  private final ApiKeyAuth auth;
  private final AuditLog audit;
  private final Clock clock;

  public ApiKeysHandler(ApiKeyStore keys, ApiKeyAuth auth, AuditLog audit, Clock clock) {
    this.keys = keys;
    this.auth = auth;
    this.audit = audit;
    this.clock = clock;
  }

  public void mount(Router router) {
    router.post("/api/v1/api-keys").handler(this::create);
    router.get("/api/v1/api-keys").handler(this::list);
    router.delete("/api/v1/api-keys/:id").handler(this::revoke);
  }

  private void create(RoutingContext ctx) {
    Principal p = ApiRouter.require(ctx, Scope.ADMIN);
    JsonObject body = ApiRouter.jsonBody(ctx);
    Object t = body.getValue("tenant", p.tenant());
    if (!(t instanceof String tenant) || !ConfigLoader.NAME.matcher(tenant).matches()) {
      throw new ApiError(ErrorCode.INVALID_REQUEST,
          "tenant must be lower-case letters, digits, '-', '_' or '.', at most 63 characters");
    }
    Object s = body.getValue("scopes");
    if (!(s instanceof JsonArray array) || array.isEmpty()) {
      throw new ApiError(ErrorCode.INVALID_REQUEST, "scopes must be a non-empty list of ingest, read, respond, admin, operator");
    }
    Set<String> scopes = new LinkedHashSet<>();
    for (Object o : array) {
      if (!(o instanceof String name) || Scope.parse(name).isEmpty()) {
        throw new ApiError(ErrorCode.INVALID_REQUEST, "unknown scope " + o + "; use ingest, read, respond, admin, operator");
      }
      scopes.add(name);
    }
    Object n = body.getValue("name");
    if (n != null && (!(n instanceof String name) || name.length() > 200)) {
      throw new ApiError(ErrorCode.INVALID_REQUEST, "name must be a string of at most 200 characters");
    }
    JsonObject details = new JsonObject().put("tenant", tenant).put("scopes", new JsonArray(List.copyOf(scopes)))
        .put("name", n);
    String refused = null;
    if (!p.has(Scope.OPERATOR)) {
      if (!tenant.equals(p.tenant())) {
        refused = "an admin key may create keys only for its own tenant";
      } else if (scopes.contains(Scope.OPERATOR.label())) {
        refused = "only an operator key may grant the operator scope";
      }
    }
    if (refused != null) {
      // An attempt to reach past the key's own rights is worth a line in the audit log.
      ApiError forbidden = new ApiError(ErrorCode.FORBIDDEN, refused);
      record(p, "api_keys.create", null, p.tenant(), "forbidden", details)
          .onComplete(x -> ctx.fail(forbidden));
      return;
    }
    String token = ApiTokens.newToken();
    keys.create(ApiTokens.newKeyId(), tenant, List.copyOf(scopes), ApiTokens.hash(token), (String) n, p.keyId(),
            clock.instant())
        .compose(k -> record(p, "api_keys.create", k.id(), tenant, "ok", details).map(k))
        .onComplete(ar -> {
          if (ar.failed()) {
            ctx.fail(ar.cause());
            return;
          }
          auth.invalidate();
          ctx.response().setStatusCode(201);
          ctx.json(view(ar.result()).put("token", token));
        });
  }

  /** An audit entry; a failure to write it is logged by the audit log and never fails the call. */
  private Future<Void> record(Principal p, String action, String target, String tenant, String result,
      JsonObject details) {
    return audit.record(new AuditLog.Entry(clock.instant(), p.keyId(), tenant, action, target, null, result, details))
        .otherwiseEmpty();
  }

  private void list(RoutingContext ctx) {
    Principal p = ApiRouter.require(ctx, Scope.ADMIN);
    String tenant = p.has(Scope.OPERATOR) ? ctx.queryParams().get("tenant") : p.tenant();
    keys.list(tenant).onComplete(ar -> {
      if (ar.failed()) {
        ctx.fail(ar.cause());
        return;
      }
      List<JsonObject> items = new ArrayList<>();
      ar.result().forEach(k -> items.add(view(k)));
      ctx.json(new JsonObject().put("items", new JsonArray(items)));
    });
  }

  private void revoke(RoutingContext ctx) {
    Principal p = ApiRouter.require(ctx, Scope.ADMIN);
    String tenant = p.has(Scope.OPERATOR) ? null : p.tenant();
    String id = ctx.pathParam("id");
    keys.revoke(id, tenant, clock.instant())
        .compose(revoked -> record(p, "api_keys.revoke", id, revoked.orElse(p.tenant()),
            revoked.isPresent() ? "ok" : "not_found", null).map(revoked))
        .onComplete(ar -> {
          if (ar.failed()) {
            ctx.fail(ar.cause());
          } else if (ar.result().isEmpty()) {
            ctx.fail(ApiError.notFound("API key"));
          } else {
            auth.invalidate();
            ctx.response().setStatusCode(204).end();
          }
        });
  }

  private static JsonObject view(ApiKeyStore.KeyRecord k) {
    return new JsonObject()
        .put("id", k.id())
        .put("tenant", k.tenant())
        .put("scopes", new JsonArray(k.scopes()))
        .put("name", k.name())
        .put("created_at", k.createdAt().toString())
        .put("created_by", k.createdBy());
  }
}
