package io.vigil.api;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vigil.config.ConfigLoader;
import io.vigil.store.ApiKeyStore;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * {@code /api/v1/api-keys}. An {@code admin} key manages keys of its own tenant and can
 * never grant {@code operator}; an {@code operator} key manages keys of any tenant. A
 * token is shown once, at creation; only its hash is stored.
 */
public final class ApiKeysHandler {
  private final ApiKeyStore keys;
  private final ApiKeyAuth auth;
  private final Clock clock;

  public ApiKeysHandler(ApiKeyStore keys, ApiKeyAuth auth, Clock clock) {
    this.keys = keys;
    this.auth = auth;
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
    if (!p.has(Scope.OPERATOR)) {
      if (!tenant.equals(p.tenant())) {
        throw new ApiError(ErrorCode.FORBIDDEN, "an admin key may create keys only for its own tenant");
      }
      if (scopes.contains(Scope.OPERATOR.label())) {
        throw new ApiError(ErrorCode.FORBIDDEN, "only an operator key may grant the operator scope");
      }
    }
    String token = ApiTokens.newToken();
    keys.create(ApiTokens.newKeyId(), tenant, List.copyOf(scopes), ApiTokens.hash(token), (String) n, p.keyId(),
            clock.instant())
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
    keys.revoke(ctx.pathParam("id"), tenant, clock.instant()).onComplete(ar -> {
      if (ar.failed()) {
        ctx.fail(ar.cause());
      } else if (!ar.result()) {
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
