package io.vigil.api;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vigil.store.AuditLog;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.List;

/**
 * {@code GET /api/v1/audit} (scope {@code admin}): the audit log, newest first. An admin
 * key sees its own tenant's entries; an operator key sees every tenant's and the global ones
 * (rule files, templates, rule switches), or one tenant's with {@code ?tenant=}.
 */
public final class AuditHandler {
  private static final int DEFAULT_LIMIT = 100;
  private static final int MAX_LIMIT = 1000;

  private final AuditLog audit;

  public AuditHandler(AuditLog audit) {
    this.audit = audit;
  }

  public void mount(Router router) {
    router.get("/api/v1/audit").handler(this::list);
  }

  private void list(RoutingContext ctx) {
    Principal p = ApiRouter.require(ctx, Scope.ADMIN);
    String tenant = ctx.queryParams().get("tenant");
    if (!p.has(Scope.OPERATOR)) {
      if (tenant != null && !tenant.equals(p.tenant())) {
        throw new ApiError(ErrorCode.FORBIDDEN, "only an operator key may read another tenant's audit log");
      }
      tenant = p.tenant();
    }
    String action = ctx.queryParams().get("action");
    if (action != null && (action.isEmpty() || action.length() > 200)) {
      throw new ApiError(ErrorCode.INVALID_REQUEST, "action must be 1 to 200 characters");
    }
    Instant since = QueryParams.since(ctx);
    int limit = QueryParams.limit(ctx, DEFAULT_LIMIT, MAX_LIMIT);
    Long before = decodeCursor(ctx.queryParams().get("cursor"));
    audit.list(tenant, action, since, before, limit + 1).onComplete(ar -> {
      if (ar.failed()) {
        ctx.fail(ar.cause());
        return;
      }
      List<JsonObject> rows = ar.result();
      JsonObject body = new JsonObject().put("items", new JsonArray(rows.subList(0, Math.min(limit, rows.size()))));
      if (rows.size() > limit) {
        body.put("next", encodeCursor(rows.get(limit - 1).getLong("id")));
      }
      ctx.json(body);
    });
  }

  static String encodeCursor(long id) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(("au:" + id).getBytes(StandardCharsets.UTF_8));
  }

  static Long decodeCursor(String cursor) {
    if (cursor == null || cursor.isEmpty()) {
      return null;
    }
    try {
      String s = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
      if (s.startsWith("au:")) {
        return Long.parseLong(s.substring(3));
      }
    } catch (IllegalArgumentException e) {
      // fall through: not one of ours
    }
    throw new ApiError(ErrorCode.INVALID_REQUEST, "cursor is not one this API returned");
  }
}
