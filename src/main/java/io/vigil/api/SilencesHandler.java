package io.vigil.api;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vigil.alert.SilenceExpiry;
import io.vigil.alert.silence.Silence;
import io.vigil.alert.silence.SilenceParser;
import io.vigil.alert.silence.Silences;
import io.vigil.store.AuditLog;
import io.vigil.store.SilenceStore;
import io.vigil.store.SilenceStore.StoredSilence;
import java.time.Clock;
import java.time.Instant;
import java.util.UUID;

/**
 * {@code /api/v1/silences}: a tenant's silences and maintenance windows. Creating and
 * ending one is an on-call action and needs {@code respond}; reading needs {@code read}.
 * A silence is never erased: DELETE ends it now, it stays listed as {@code expired}, and
 * the alerts it held are released at once. A body that does not hold up changes nothing:
 * {@code 422 invalid_regex} when only its regular expressions are wrong, else {@code 400
 * invalid_request}, with every problem.
 */
public final class SilencesHandler {
  private static final int DEFAULT_LIMIT = 100;
  private static final int MAX_LIMIT = 1000;

  private final Silences silences;
  private final SilenceStore store;
  private final SilenceExpiry expiry;
  private final AuditLog audit;
  private final Clock clock;

  public SilencesHandler(Silences silences, SilenceExpiry expiry, AuditLog audit, Clock clock) {
    this.silences = silences;
    this.store = silences.store();
    this.expiry = expiry;
    this.audit = audit;
    this.clock = clock;
  }

  public void mount(Router router) {
    router.post("/api/v1/silences").handler(this::create);
    router.get("/api/v1/silences").handler(this::list);
    router.get("/api/v1/silences/:id").handler(this::get);
    router.delete("/api/v1/silences/:id").handler(this::delete);
  }

  private void create(RoutingContext ctx) {
    Principal p = ApiRouter.require(ctx, Scope.RESPOND);
    JsonObject body = ApiRouter.jsonBody(ctx);
    Instant now = clock.instant();
    SilenceParser.Result r = SilenceParser.parse(body, UUID.randomUUID(), p.tenant(), p.keyId(), now);
    if (!r.ok()) {
      JsonArray details = new JsonArray();
      for (SilenceParser.Problem problem : r.problems()) {
        JsonObject d = new JsonObject().put("field", problem.field()).put("message", problem.message());
        if (problem.position() != null) {
          d.put("position", problem.position());
        }
        details.add(d);
      }
      throw new ApiError(r.onlyBadRegexes() ? ErrorCode.INVALID_REGEX : ErrorCode.INVALID_REQUEST,
          r.problems().size() + " problem(s) in the silence; nothing changed", details);
    }
    Silence s = r.silence();
    StoredSilence stored = new StoredSilence(s.id(), s.tenant(), matchersJson(s),
        s.startsAt(), s.endsAt(), s.recurrence().map(w -> w.toJson()).orElse(null), s.createdBy(), s.comment(),
        s.createdKey(), s.createdAt(), s.updatedAt(), null);
    store.insert(stored).onComplete(ar -> {
      if (ar.failed()) {
        ctx.fail(ar.cause());
        return;
      }
      silences.put(s);
      audit.record(new AuditLog.Entry(now, p.keyId(), p.tenant(), "silences.create", s.id().toString(),
          AuditLog.sha256(body.encode()), "ok", new JsonObject().put("matchers", stored.matchers())
              .put("starts_at", s.startsAt().toString()).put("ends_at", s.endsAt().toString())
              .put("created_by", s.createdBy())));
      ctx.response().setStatusCode(201);
      ctx.json(view(s, now));
    });
  }

  private void list(RoutingContext ctx) {
    Principal p = ApiRouter.require(ctx, Scope.READ);
    String statusParam = ctx.queryParams().get("status");
    Silence.Status status = null;
    if (statusParam != null) {
      status = Silence.Status.parse(statusParam).orElseThrow(
          () -> new ApiError(ErrorCode.INVALID_REQUEST, "status must be pending, active or expired"));
    }
    int limit = QueryParams.limit(ctx, DEFAULT_LIMIT, MAX_LIMIT);
    Instant now = clock.instant();
    Silence.Status wanted = status;
    // Silences that have not ended are few; pending and active are told apart here, not in SQL.
    Boolean ended = wanted == null ? null : wanted == Silence.Status.EXPIRED;
    store.list(p.tenant(), ended, now, ended == Boolean.FALSE ? MAX_LIMIT : limit).onComplete(ar -> {
      if (ar.failed()) {
        ctx.fail(ar.cause());
        return;
      }
      JsonArray items = new JsonArray();
      for (StoredSilence st : ar.result()) {
        Silence s = SilenceParser.fromStored(st);
        if ((wanted == null || s.status(now) == wanted) && items.size() < limit) {
          items.add(view(s, now));
        }
      }
      ctx.json(new JsonObject().put("items", items));
    });
  }

  private void get(RoutingContext ctx) {
    Principal p = ApiRouter.require(ctx, Scope.READ);
    UUID id = silenceId(ctx);
    store.get(p.tenant(), id).onComplete(ar -> {
      if (ar.failed()) {
        ctx.fail(ar.cause());
      } else if (ar.result().isEmpty()) {
        ctx.fail(ApiError.notFound("silence"));
      } else {
        ctx.json(view(SilenceParser.fromStored(ar.result().get()), clock.instant()));
      }
    });
  }

  /** Ends the silence now (repeating it is harmless) and releases what it held before answering. */
  private void delete(RoutingContext ctx) {
    Principal p = ApiRouter.require(ctx, Scope.RESPOND);
    UUID id = silenceId(ctx);
    Instant now = clock.instant();
    store.expire(p.tenant(), id, now, p.keyId())
        .compose(changed -> store.get(p.tenant(), id).map(s -> {
          if (s.isEmpty()) {
            throw ApiError.notFound("silence");
          }
          Silence silence = SilenceParser.fromStored(s.get());
          if (changed) {
            silences.put(silence);
            audit.record(new AuditLog.Entry(now, p.keyId(), p.tenant(), "silences.delete", id.toString(), null, "ok",
                null));
          }
          return silence;
        }))
        .compose(silence -> expiry.runNow().map(silence))
        .onComplete(ar -> {
          if (ar.failed()) {
            ctx.fail(ar.cause());
          } else {
            ctx.json(view(ar.result(), clock.instant()));
          }
        });
  }

  private static JsonArray matchersJson(Silence s) {
    JsonArray out = new JsonArray();
    s.matchers().forEach(m -> out.add(m.toJson()));
    return out;
  }

  static JsonObject view(Silence s, Instant now) {
    JsonObject v = new JsonObject()
        .put("id", s.id().toString())
        .put("status", s.status(now).label())
        .put("matchers", matchersJson(s))
        .put("starts_at", s.startsAt().toString())
        .put("ends_at", s.endsAt().toString());
    s.recurrence().ifPresent(r -> v.put("recurrence", r.toJson()));
    s.window(now).ifPresent(w -> v.put("window", new JsonObject()
        .put("starts_at", w.start().toString()).put("ends_at", w.end().toString())));
    return v.put("created_by", s.createdBy())
        .put("comment", s.comment())
        .put("created_at", s.createdAt().toString())
        .put("updated_at", s.updatedAt().toString())
        .put("expired_by", s.expiredBy());
  }

  private static UUID silenceId(RoutingContext ctx) {
    try {
      return UUID.fromString(ctx.pathParam("id"));
    } catch (IllegalArgumentException e) {
      // Not an id any silence can have: the same answer as an id of another tenant.
      throw ApiError.notFound("silence");
    }
  }
}
