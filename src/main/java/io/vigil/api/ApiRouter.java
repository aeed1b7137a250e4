package io.vigil.api;

import io.vertx.core.Vertx;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.ext.web.handler.BodyHandler;
import java.security.SecureRandom;
import java.util.HexFormat;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The HTTP surface: request ids, the body limit, authentication for {@code /api/v1}, and
 * the one place where every failure, ours or Vert.x's own (body too large, no such route),
 * becomes {@code {"error":{"code","message","details"}}}. A 500 carries a request id and
 * is logged with its cause; the cause never reaches the client.
 */
public final class ApiRouter {
  private static final Logger log = LoggerFactory.getLogger(ApiRouter.class);
  static final String REQUEST_ID = "vigil.request-id";
  private static final SecureRandom RANDOM = new SecureRandom();

  private final Router router;

  public ApiRouter(Vertx vertx, long maxBodyBytes, ApiKeyAuth auth) {
    this.router = Router.router(vertx);
    router.route().handler(ctx -> {
      byte[] b = new byte[8];
      RANDOM.nextBytes(b);
      String id = HexFormat.of().formatHex(b);
      ctx.put(REQUEST_ID, id);
      ctx.response().putHeader("X-Request-Id", id);
      ctx.next();
    });
    router.route("/api/v1/*").handler(BodyHandler.create(false).setBodyLimit(maxBodyBytes));
    // Before authentication: the API's description is public.
    new OpenApiHandler().mount(router);
    router.route("/api/v1/*").handler(auth);
    router.route().failureHandler(this::failure);
    router.errorHandler(404, ctx -> respond(ctx, new ApiError(ErrorCode.NOT_FOUND, "no such endpoint")));
    router.errorHandler(405, ctx -> respond(ctx, new ApiError(ErrorCode.METHOD_NOT_ALLOWED,
        "method " + ctx.request().method() + " is not allowed here")));
  }

  public Router router() {
    return router;
  }

  /** The caller, who must hold the scope (operator holds all); otherwise {@code 403}. */
  public static Principal require(RoutingContext ctx, Scope scope) {
    Principal p = ctx.get(ApiKeyAuth.PRINCIPAL);
    if (p == null) {
      throw new ApiError(ErrorCode.UNAUTHORIZED, "send Authorization: Bearer <api token>");
    }
    if (!p.has(scope)) {
      throw new ApiError(ErrorCode.FORBIDDEN, "this API key lacks the '" + scope.label() + "' scope");
    }
    return p;
  }

  /** The JSON object body, or an empty object when there is none; malformed is {@code 400}. */
  public static JsonObject jsonBody(RoutingContext ctx) {
    if (ctx.body() == null || ctx.body().length() == 0) {
      return new JsonObject();
    }
    try {
      Object v = ctx.body().asJsonObject();
      return v == null ? new JsonObject() : (JsonObject) v;
    } catch (DecodeException | ClassCastException e) {
      throw new ApiError(ErrorCode.INVALID_JSON, "the body must be a JSON object");
    }
  }

  private void failure(RoutingContext ctx) {
    Throwable f = ctx.failure();
    if (f instanceof ApiError e) {
      respond(ctx, e);
      return;
    }
    int status = ctx.statusCode();
    if (status == 413) {
      respond(ctx, new ApiError(ErrorCode.BODY_TOO_LARGE, "the body is larger than the limit (ingest.max_body_size)"));
    } else if (status == 415) {
      respond(ctx, new ApiError(ErrorCode.UNSUPPORTED_MEDIA_TYPE, "unsupported content type"));
    } else if (status == 404) {
      respond(ctx, new ApiError(ErrorCode.NOT_FOUND, "no such endpoint"));
    } else if (status == 405) {
      respond(ctx, new ApiError(ErrorCode.METHOD_NOT_ALLOWED, "method not allowed"));
    } else if (status >= 400 && status < 500 && f == null) {
      respond(ctx, new ApiError(ErrorCode.INVALID_REQUEST, "the request could not be read"));
    } else {
      String id = ctx.get(REQUEST_ID);
      log.error("request failed request_id={} method={} path={}", id, ctx.request().method(),
          ctx.normalizedPath(), f);
      respond(ctx, new ApiError(ErrorCode.INTERNAL, "internal error; quote request id " + id));
    }
  }

  static void respond(RoutingContext ctx, ApiError e) {
    HttpServerResponse r = ctx.response();
    if (r.ended() || r.headWritten()) {
      return;
    }
    r.setStatusCode(e.code().status()).putHeader("Content-Type", "application/json");
    if (e.code() == ErrorCode.UNAUTHORIZED) {
      r.putHeader("WWW-Authenticate", "Bearer realm=\"vigil\"");
    }
    if (e.retryAfterSeconds() != null) {
      r.putHeader("Retry-After", Integer.toString(e.retryAfterSeconds()));
    }
    String requestId = e.code() == ErrorCode.INTERNAL ? ctx.get(REQUEST_ID) : null;
    r.end(e.body(requestId).encode());
  }
}
