package io.vigil.metrics;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.config.MeterFilter;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.micrometer.Label;
import io.vertx.micrometer.MetricsDomain;
import io.vertx.micrometer.MicrometerMetricsFactory;
import io.vertx.micrometer.MicrometerMetricsOptions;
import java.util.EnumSet;

/**
 * Vert.x's own meters (HTTP server, HTTP client, the PostgreSQL pool and the worker pools)
 * in the registry {@code /metrics} exposes, renamed from {@code vertx_*} to {@code
 * vigil_vertx_*} so every Vigil meter shares one prefix.
 *
 * <p>Labels are the bounded ones only: route, method and status code, pool type and name.
 * Never the request path or the remote address: a path can carry ids, and a webhook's
 * address is tenant configuration, so either would let clients grow the series without end.
 */
public final class MeterBinding {
  private static final String VERTX_PREFIX = "vertx.";

  private MeterBinding() {}

  /** A Vert.x instance reporting into {@code registry}. */
  public static Vertx vertx(VertxOptions options, MeterRegistry registry) {
    registry.config().meterFilter(new MeterFilter() {
      @Override
      public Meter.Id map(Meter.Id id) {
        return id.getName().startsWith(VERTX_PREFIX) ? id.withName("vigil." + id.getName()) : id;
      }
    });
    MicrometerMetricsOptions metrics = new MicrometerMetricsOptions()
        .setEnabled(true)
        .setJvmMetricsEnabled(false)
        .setLabels(EnumSet.of(Label.HTTP_ROUTE, Label.HTTP_METHOD, Label.HTTP_CODE, Label.POOL_TYPE,
            Label.POOL_NAME))
        // Vigil uses no event bus and no raw TCP or UDP servers of its own; syslog's
        // sockets are counted by delivery attempts instead.
        .addDisabledMetricsCategory(MetricsDomain.EVENT_BUS)
        .addDisabledMetricsCategory(MetricsDomain.DATAGRAM_SOCKET)
        .addDisabledMetricsCategory(MetricsDomain.NET_CLIENT)
        .addDisabledMetricsCategory(MetricsDomain.NET_SERVER);
    return Vertx.builder()
        .with(options.setMetricsOptions(metrics))
        .withMetrics(new MicrometerMetricsFactory(registry))
        .build();
  }
}
