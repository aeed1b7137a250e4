package io.vigil.api;

import io.vertx.ext.web.RoutingContext;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;

/** Query parameters the list endpoints share, read the same way with the same errors. */
final class QueryParams {
  private QueryParams() {}

  /** {@code since}: an ISO-8601 time with an offset, or null when absent. */
  static Instant since(RoutingContext ctx) {
    return time(ctx, "since");
  }

  /** A time parameter: an ISO-8601 time with an offset, or null when absent. */
  static Instant time(RoutingContext ctx, String name) {
    String s = ctx.queryParams().get(name);
    if (s == null) {
      return null;
    }
    try {
      return OffsetDateTime.parse(s).toInstant();
    } catch (DateTimeParseException e) {
      throw new ApiError(ErrorCode.INVALID_REQUEST, name + " must be an ISO-8601 time, e.g. 2026-11-22T10:00:00Z");
    }
  }

  /** {@code limit}: 1 to {@code max}, {@code def} when absent. */
  static int limit(RoutingContext ctx, int def, int max) {
    String l = ctx.queryParams().get("limit");
    if (l == null) {
      return def;
    }
    int limit;
    try {
      limit = Integer.parseInt(l);
    } catch (NumberFormatException e) {
      limit = -1;
    }
    if (limit < 1 || limit > max) {
      throw new ApiError(ErrorCode.INVALID_REQUEST, "limit must be between 1 and " + max);
    }
    return limit;
  }
}
