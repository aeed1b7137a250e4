package io.vigil.api;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vigil.alert.AlertService;
import io.vigil.alert.AlertStatus;
import io.vigil.alert.AlertTimeline;
import io.vigil.rules.Severity;
import io.vigil.store.AlertEvents;
import io.vigil.store.AlertStore;
import io.vigil.store.AuditLog;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;
import java.util.UUID;

/**
 * {@code /api/v1/alerts}: list (filters, newest first, cursor pagination), get (with the
 * alert's timeline), acknowledge, resolve (both audited, whatever their outcome). Always
 * scoped to the caller's tenant: another tenant's alert id is {@code 404}.
 */
public final class AlertsHandler {
  private static final int DEFAULT_LIMIT = 100;
  private static final int MAX_LIMIT = 1000;

  private final AlertService alerts;
  private final AlertEvents acts;
  private final AuditLog audit;
  private final Clock clock;

  public AlertsHandler(AlertService alerts, AlertEvents acts, AuditLog audit, Clock clock) {
    this.alerts = alerts;
    this.acts = acts;
    this.audit = audit;
    this.clock = clock;
  }

  public void mount(Router router) {
    router.get("/api/v1/alerts").handler(this::list);
    router.get("/api/v1/alerts/:id").handler(this::get);
    router.post("/api/v1/alerts/:id/acknowledge").handler(ctx -> transition(ctx, true));
    router.post("/api/v1/alerts/:id/resolve").handler(ctx -> transition(ctx, false));
  }

  private void list(RoutingContext ctx) {
    Principal p = ApiRouter.require(ctx, Scope.READ);
    String status = ctx.queryParams().get("status");
    if (status != null && AlertStatus.parse(status).isEmpty()) {
      throw new ApiError(ErrorCode.INVALID_REQUEST, "status must be active, acknowledged, resolved or suppressed");
    }
    String severity = ctx.queryParams().get("severity");
    if (severity != null && Severity.parse(severity).isEmpty()) {
      throw new ApiError(ErrorCode.INVALID_REQUEST, "severity must be one of " + Severity.labels());
    }
    Instant since = QueryParams.since(ctx);
    int limit = QueryParams.limit(ctx, DEFAULT_LIMIT, MAX_LIMIT);
    Long before = decodeCursor(ctx.queryParams().get("cursor"));
    AlertStore.AlertQuery q = new AlertStore.AlertQuery(
        status, ctx.queryParams().get("rule"), severity == null ? null : Severity.parse(severity).get().label(),
        since, before, limit);
    alerts.list(p.tenant(), q).onComplete(ar -> {
      if (ar.failed()) {
        ctx.fail(ar.cause());
        return;
      }
      JsonObject body = new JsonObject().put("items", new JsonArray(ar.result().items()));
      if (ar.result().nextBeforeSeq() != null) {
        body.put("next", encodeCursor(ar.result().nextBeforeSeq()));
      }
      ctx.json(body);
    });
  }

  private void get(RoutingContext ctx) {
    Principal p = ApiRouter.require(ctx, Scope.READ);
    UUID id = alertId(ctx);
    alerts.get(p.tenant(), id)
        .compose(a -> a.isEmpty() ? Future.succeededFuture(a)
            : acts.of(id).map(list -> Optional.of(a.get().put("timeline", AlertTimeline.of(a.get(), list)))))
        .onComplete(ar -> {
          if (ar.failed()) {
            ctx.fail(ar.cause());
          } else if (ar.result().isEmpty()) {
            ctx.fail(ApiError.notFound("alert"));
          } else {
            ctx.json(ar.result().get());
          }
        });
  }

  private void transition(RoutingContext ctx, boolean acknowledge) {
    Principal p = ApiRouter.require(ctx, Scope.RESPOND);
    UUID id = alertId(ctx);
    JsonObject body = ApiRouter.jsonBody(ctx);
    String by = optionalText(body, "by");
    String note = optionalText(body, "note");
    String who = by != null ? by : p.keyId();
    (acknowledge ? alerts.acknowledge(p.tenant(), id, who, note, p.keyId())
        : alerts.resolve(p.tenant(), id, who, note, p.keyId()))
        .compose(t -> audited(p, acknowledge, id, who, note, t))
        .onComplete(ar -> {
          if (ar.failed()) {
            ctx.fail(ar.cause());
          } else if (!ar.result().found()) {
            ctx.fail(ApiError.notFound("alert"));
          } else if (ar.result().conflict()) {
            ctx.fail(new ApiError(ErrorCode.CONFLICT, "the alert is " + ar.result().currentStatus()
                + "; it cannot be " + (acknowledge ? "acknowledged" : "resolved")));
          } else {
            ctx.json(ar.result().alert());
          }
        });
  }

  /** Records the call in the audit log (whatever came of it), then passes its outcome on. */
  private Future<AlertService.Transition> audited(
      Principal p, boolean acknowledge, UUID id, String who, String note, AlertService.Transition t) {
    String result = !t.found() ? "not_found" : t.conflict() ? "conflict" : "ok";
    JsonObject details = new JsonObject().put("by", who).put("note", note);
    if (t.conflict()) {
      details.put("status", t.currentStatus());
    }
    return audit.record(new AuditLog.Entry(clock.instant(), p.keyId(), p.tenant(),
            acknowledge ? "alerts.acknowledge" : "alerts.resolve", id.toString(), null, result, details))
        .transform(x -> Future.succeededFuture(t));
  }

  private static String optionalText(JsonObject body, String field) {
    Object v = body.getValue(field);
    if (v == null) {
      return null;
    }
    if (!(v instanceof String s) || s.length() > 2000) {
      throw new ApiError(ErrorCode.INVALID_REQUEST, field + " must be a string of at most 2000 characters");
    }
    return s;
  }

  private static UUID alertId(RoutingContext ctx) {
    try {
      return UUID.fromString(ctx.pathParam("id"));
    } catch (IllegalArgumentException e) {
      // Not an id any alert can have: the same answer as an id of another tenant.
      throw ApiError.notFound("alert");
    }
  }

  static String encodeCursor(long seq) {
    return Base64.getUrlEncoder().withoutPadding().encodeToString(("a:" + seq).getBytes(StandardCharsets.UTF_8));
  }

  static Long decodeCursor(String cursor) {
    if (cursor == null || cursor.isEmpty()) {
      return null;
    }
    try {
      String s = new String(Base64.getUrlDecoder().decode(cursor), StandardCharsets.UTF_8);
      if (s.startsWith("a:")) {
        return Long.parseLong(s.substring(2));
      }
    } catch (IllegalArgumentException e) {
      // fall through
    }
    throw new ApiError(ErrorCode.INVALID_REQUEST, "cursor is not one this API returned");
  }
}
