package io.vigil.api;

import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vertx.sqlclient.Pool;
import io.vigil.engine.RuleEngine;
import java.util.concurrent.TimeUnit;

/**
 * {@code /health} (the process answers), {@code /ready} (database reachable and rules
 * loaded; {@code 503} otherwise, so a load balancer stops sending), {@code /metrics}
 * (Prometheus text). None needs a token.
 */
public final class HealthHandler {
  private final Pool pool;
  private final RuleEngine engine;
  private final PrometheusMeterRegistry metrics;

  public HealthHandler(Pool pool, RuleEngine engine, PrometheusMeterRegistry metrics) {
    this.pool = pool;
    this.engine = engine;
    this.metrics = metrics;
  }

  public void mount(Router router) {
    router.get("/health").handler(ctx -> ctx.json(new JsonObject().put("status", "up")));
    router.get("/ready").handler(this::ready);
    router.get("/metrics").handler(ctx -> ctx.response()
        .putHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
        .end(metrics.scrape()));
  }

  private void ready(RoutingContext ctx) {
    Future<Boolean> db = pool.query("SELECT 1").execute().map(r -> true)
        // Under 2 s, so a load balancer sees a hung database as not ready within 2 s (issue 7).
        .timeout(1, TimeUnit.SECONDS)
        .otherwise(false);
    db.onComplete(ar -> {
      boolean dbUp = ar.succeeded() && ar.result();
      boolean engineUp = engine.ready();
      JsonObject body = new JsonObject()
          .put("status", dbUp && engineUp ? "ready" : "not_ready")
          .put("database", dbUp ? "up" : "down")
          .put("engine", engineUp ? "up" : "down");
      ctx.response().setStatusCode(dbUp && engineUp ? 200 : 503);
      ctx.json(body);
    });
  }
}
