package io.vigil.ingest;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.vertx.core.Handler;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.RoutingContext;
import io.vigil.api.ApiError;
import io.vigil.api.ApiRouter;
import io.vigil.api.ErrorCode;
import io.vigil.api.Principal;
import io.vigil.api.Scope;
import io.vigil.rules.Event;
import io.vigil.store.JournalFullException;
import java.time.Clock;
import java.util.List;

/**
 * {@code POST /api/v1/events}: parse, validate, append to the journal, and answer {@code
 * 202} only once the events are committed. A rejected request stores nothing. When the
 * journal is full or the database is unreachable the answer is {@code 503} with {@code
 * Retry-After}, never a hang and never a {@code 202} for an event that is not stored.
 */
public final class EventsHandler implements Handler<RoutingContext> {
  private final EventParser parser;
  private final EventValidator validator;
  private final io.vigil.store.EventJournal journal;
  private final Clock clock;
  private final MeterRegistry metrics;
  private final Counter received;
  private final Counter accepted;
  private final Counter duplicates;
  private final Timer latency;
  private final TenantQuota quota;

  /** {@code tenantEventsPerSecond}: the per-tenant quota, 0 for none. */
  public EventsHandler(
      EventParser parser, EventValidator validator, io.vigil.store.EventJournal journal, Clock clock,
      MeterRegistry metrics, double tenantEventsPerSecond, int maxEventsPerRequest) {
    this.quota = new TenantQuota(tenantEventsPerSecond, maxEventsPerRequest);
    this.parser = parser;
    this.validator = validator;
    this.journal = journal;
    this.clock = clock;
    this.metrics = metrics;
    this.received = Counter.builder("vigil_events_received").description("Events in ingest requests").register(metrics);
    this.accepted = Counter.builder("vigil_events_accepted").description("New events committed to the journal")
        .register(metrics);
    this.duplicates = Counter.builder("vigil_events_duplicate").description("Events resent with an id already stored")
        .register(metrics);
    io.micrometer.core.instrument.Gauge.builder("vigil_ingest_queue_depth", journal,
            io.vigil.store.EventJournal::queuedRows)
        .description("Events waiting for the journal's next insert; at ingest.queue_max new requests get 503")
        .register(metrics);
    this.latency = Timer.builder("vigil_ingest_latency").description("Time from request to commit")
        .publishPercentileHistogram().register(metrics);
  }

  @Override
  public void handle(RoutingContext ctx) {
    long started = System.nanoTime();
    Principal principal = ApiRouter.require(ctx, Scope.INGEST);
    EventParser.Format format = EventParser.formatOf(ctx.request().getHeader("Content-Type"));
    if (format == null) {
      throw rejected(new ApiError(ErrorCode.UNSUPPORTED_MEDIA_TYPE,
          "send application/json, application/x-ndjson, application/cloudevents+json or "
              + "application/cloudevents-batch+json"));
    }
    String body = ctx.body() == null || ctx.body().buffer() == null ? "" : ctx.body().asString("UTF-8");
    if (body.isBlank()) {
      throw rejected(new ApiError(ErrorCode.INVALID_JSON, "the body is empty"));
    }
    List<Event> events;
    try {
      List<ObjectNode> nodes = parser.parse(body, format);
      received.increment(nodes.size());
      boolean cloud = format == EventParser.Format.CLOUDEVENT || format == EventParser.Format.CLOUDEVENTS_BATCH;
      events = validator.validate(nodes, cloud, principal.tenant(), clock.millis());
    } catch (ApiError e) {
      throw rejected(e);
    }
    long waitMs = quota.acquire(principal.tenant(), events.size(), clock.millis());
    if (waitMs > 0) {
      throw rejected(new ApiError(ErrorCode.RATE_LIMITED, "tenant '" + principal.tenant()
          + "' is over its ingest rate (ingest.tenant_events_per_second); nothing was stored", null,
          (int) Math.max(1, (waitMs + 999) / 1000)));
    }
    journal.append(events).onComplete(ar -> {
      if (ar.failed()) {
        ctx.fail(ar.cause() instanceof JournalFullException
            ? rejected(ApiError.unavailable("ingest is at capacity; retry shortly", 1))
            : rejected(ApiError.unavailable("the event store is unavailable; retry shortly", 5)));
        return;
      }
      boolean[] fresh = ar.result().fresh();
      JsonArray ids = new JsonArray();
      JsonArray duplicateIds = new JsonArray();
      int n = 0;
      for (int i = 0; i < fresh.length; i++) {
        ids.add(events.get(i).getId());
        if (fresh[i]) {
          n++;
        } else {
          duplicateIds.add(events.get(i).getId());
        }
      }
      accepted.increment(n);
      duplicates.increment(duplicateIds.size());
      latency.record(System.nanoTime() - started, java.util.concurrent.TimeUnit.NANOSECONDS);
      ctx.response().setStatusCode(202).putHeader("Content-Type", "application/json")
          .end(new JsonObject().put("accepted", n).put("duplicates", duplicateIds.size()).put("ids", ids)
              .put("duplicate_ids", duplicateIds).encode());
    });
  }

  private ApiError rejected(ApiError e) {
    metrics.counter("vigil_events_rejected", "code", e.code().code()).increment();
    return e;
  }
}
