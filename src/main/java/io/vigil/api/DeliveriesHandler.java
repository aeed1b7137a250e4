package io.vigil.api;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vigil.store.DeliveryLog;
import java.time.Instant;
import java.util.Set;
import java.util.UUID;

/**
 * {@code GET /api/v1/deliveries}: every delivery of the caller's tenant, newest first, with
 * its history of attempts (time, outcome, status code, error). Filters: {@code alert},
 * {@code channel}, {@code status}, {@code kind}, {@code since}, {@code limit} (at most 1000).
 */
public final class DeliveriesHandler {
  private static final Set<String> STATUSES = Set.of("pending", "delivered", "failed", "skipped", "held");
  private static final Set<String> KINDS = Set.of("raised", "acknowledged", "resolved", "repeated", "digest", "notice");

  private final DeliveryLog log;

  public DeliveriesHandler(DeliveryLog log) {
    this.log = log;
  }

  public void mount(Router router) {
    router.get("/api/v1/deliveries").handler(this::list);
  }

  private void list(RoutingContext ctx) {
    Principal p = ApiRouter.require(ctx, Scope.READ);
    UUID alert = null;
    String a = ctx.queryParams().get("alert");
    if (a != null) {
      try {
        alert = UUID.fromString(a);
      } catch (IllegalArgumentException e) {
        throw new ApiError(ErrorCode.INVALID_REQUEST, "alert must be an alert id");
      }
    }
    String status = ctx.queryParams().get("status");
    if (status != null && !STATUSES.contains(status)) {
      throw new ApiError(ErrorCode.INVALID_REQUEST, "status must be pending, delivered, failed, skipped or held");
    }
    String kind = ctx.queryParams().get("kind");
    if (kind != null && !KINDS.contains(kind)) {
      throw new ApiError(ErrorCode.INVALID_REQUEST, "kind must be raised, acknowledged, resolved, digest or notice");
    }
    Instant since = QueryParams.since(ctx);
    int limit = QueryParams.limit(ctx, 100, 1000);
    log.list(p.tenant(), alert, ctx.queryParams().get("channel"), status, kind, since, limit).onComplete(ar -> {
      if (ar.failed()) {
        ctx.fail(ar.cause());
      } else {
        ctx.json(new JsonObject().put("items", new JsonArray(ar.result())));
      }
    });
  }
}
