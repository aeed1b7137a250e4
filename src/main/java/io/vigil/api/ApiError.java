package io.vigil.api;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;

/**
 * A request that cannot be served, as an exception handlers throw or fail with; the
 * router turns it into {@code {"error":{"code","message","details"}}} with the code's status.
 */
public final class ApiError extends RuntimeException {
  private final ErrorCode code;
  private final JsonArray details;
  private final Integer retryAfterSeconds;

  public ApiError(ErrorCode code, String message) {
    this(code, message, null, null);
  }

  public ApiError(ErrorCode code, String message, JsonArray details) {
    this(code, message, details, null);
  }

  public ApiError(ErrorCode code, String message, JsonArray details, Integer retryAfterSeconds) {
    super(message, null, false, false);
    this.code = code;
    this.details = details;
    this.retryAfterSeconds = retryAfterSeconds;
  }

  public static ApiError unavailable(String message, int retryAfterSeconds) {
    return new ApiError(ErrorCode.UNAVAILABLE, message, null, retryAfterSeconds);
  }

  public static ApiError notFound(String what) {
    return new ApiError(ErrorCode.NOT_FOUND, what + " not found");
  }

  public ErrorCode code() {
    return code;
  }

  public Integer retryAfterSeconds() {
    return retryAfterSeconds;
  }

  public JsonObject body(String requestId) {
    JsonObject error = new JsonObject().put("code", code.code()).put("message", getMessage());
    if (details != null && !details.isEmpty()) {
      error.put("details", details);
    }
    if (requestId != null) {
      error.put("request_id", requestId);
    }
    return new JsonObject().put("error", error);
  }
}
