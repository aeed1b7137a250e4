package io.vigil.api;

import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vigil.store.StatsStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * {@code GET /api/v1/stats} (scope {@code read}): the caller's tenant's events, alerts and
 * deliveries counted over {@code [since, until)}, by default the last 24 hours.
 */
public final class StatsHandler {
  private static final Duration DEFAULT_RANGE = Duration.ofHours(24);

  private final StatsStore stats;
  private final Clock clock;

  public StatsHandler(StatsStore stats, Clock clock) {
    this.stats = stats;
    this.clock = clock;
  }

  public void mount(Router router) {
    router.get("/api/v1/stats").handler(this::stats);
  }

  private void stats(RoutingContext ctx) {
    Principal p = ApiRouter.require(ctx, Scope.READ);
    Instant until = QueryParams.time(ctx, "until");
    Instant since = QueryParams.time(ctx, "since");
    if (until == null) {
      until = clock.instant();
    }
    if (since == null) {
      since = until.minus(DEFAULT_RANGE);
    }
    if (!since.isBefore(until)) {
      throw new ApiError(ErrorCode.INVALID_REQUEST, "since must be before until");
    }
    Instant from = since;
    Instant to = until;
    Future<JsonObject> events = stats.events(p.tenant(), from, to);
    Future<JsonObject> alerts = stats.alerts(p.tenant(), from, to);
    Future<JsonObject> deliveries = stats.deliveries(p.tenant(), from, to);
    Future.all(events, alerts, deliveries).onComplete(ar -> {
      if (ar.failed()) {
        ctx.fail(ar.cause());
        return;
      }
      ctx.json(new JsonObject()
          .put("tenant", p.tenant())
          .put("since", from.toString())
          .put("until", to.toString())
          .put("events", events.result())
          .put("alerts", alerts.result())
          .put("deliveries", deliveries.result()));
    });
  }
}
