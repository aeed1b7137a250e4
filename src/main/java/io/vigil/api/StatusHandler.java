package io.vigil.api;

import io.vertx.core.Future;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vigil.delivery.Channel;
import io.vigil.delivery.Channels;
import io.vigil.engine.ReloadReport;
import io.vigil.engine.RuleEngine;
import io.vigil.engine.RuleReloader;
import io.vigil.engine.RuleSet;
import io.vigil.engine.SessionStatus;
import io.vigil.store.StatusStore;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;

/**
 * {@code GET /api/v1/status} (scope {@code read}): what is running and how it is doing:
 * version, uptime, the rule set, the engine sessions (the caller's own; an operator sees
 * every tenant's), the channels the caller's tenant can use with their last attempt, and
 * the tenant's outbox backlog.
 */
public final class StatusHandler {
  /** Maven fills this in at build time, so classes run from a directory know it too. */
  public static final String VERSION = readVersion();

  private final RuleEngine engine;
  private final RuleReloader reloader;
  private final Channels channels;
  private final StatusStore store;
  private final Clock clock;
  private final Instant startedAt;

  public StatusHandler(
      RuleEngine engine, RuleReloader reloader, Channels channels, StatusStore store, Clock clock,
      Instant startedAt) {
    this.engine = engine;
    this.reloader = reloader;
    this.channels = channels;
    this.store = store;
    this.clock = clock;
    this.startedAt = startedAt;
  }

  public void mount(Router router) {
    router.get("/api/v1/status").handler(this::status);
  }

  private void status(RoutingContext ctx) {
    Principal p = ApiRouter.require(ctx, Scope.READ);
    Instant now = clock.instant();
    Map<String, JsonObject> visible = visibleChannels(p.tenant());
    Future<List<StatusStore.LastAttempt>> last = store.lastAttempts(p.tenant(), List.copyOf(visible.keySet()));
    Future<StatusStore.Backlog> backlog = store.backlog(p.tenant());
    Future.all(last, backlog).onComplete(ar -> {
      if (ar.failed()) {
        ctx.fail(ar.cause());
        return;
      }
      ctx.json(new JsonObject()
          .put("version", VERSION)
          .put("started_at", startedAt.toString())
          .put("uptime_seconds", Math.max(0, Duration.between(startedAt, now).toSeconds()))
          .put("rules", rules())
          .put("sessions", sessions(p))
          .put("channels", channels(visible, last.result()))
          .put("outbox", outbox(backlog.result(), now)));
    });
  }

  private JsonObject rules() {
    RuleSet set = engine.ruleSet();
    JsonObject out = new JsonObject()
        .put("version", set == null ? null : set.version())
        .put("loaded_at", set == null ? null : set.loadedAt().toString())
        .put("rules", set == null ? 0 : set.rules().size())
        .put("failed_files", set == null ? 0 : set.failedFiles().size());
    ReloadReport r = reloader.lastReload();
    if (r != null) {
      Instant at = reloader.lastReloadAt();
      out.put("last_reload", new JsonObject().put("at", at == null ? null : at.toString()).put("ok", r.ok())
          .put("version", r.version()).put("reason", r.reason()).put("errors", r.errors().size()));
    }
    return out;
  }

  private JsonArray sessions(Principal p) {
    JsonArray out = new JsonArray();
    for (SessionStatus s : engine.sessions()) {
      if (p.has(Scope.OPERATOR) || s.tenant().equals(p.tenant())) {
        out.add(new JsonObject()
            .put("tenant", s.tenant())
            .put("queued_events", s.queuedEvents())
            .put("lag_seconds", s.lagMillis() / 1000.0)
            .put("live", s.live())
            .put("held_events", s.heldEvents())
            .put("evicted_events", s.evictedEvents()));
      }
    }
    return out;
  }

  /**
   * The channels a tenant's alerts can go to, by name: its own first (they shadow a
   * configured one of the same name), then the configured ones from vigil.yaml.
   */
  private Map<String, JsonObject> visibleChannels(String tenant) {
    Map<String, JsonObject> out = new LinkedHashMap<>();
    channels.ownedBy(tenant).values().stream().sorted(Comparator.comparing(Channel::name))
        .forEach(c -> out.put(c.name(), new JsonObject().put("name", c.name()).put("type", c.type())
            .put("read_only", false)));
    channels.all().stream().sorted(Comparator.comparing(Channel::name))
        .forEach(c -> out.putIfAbsent(c.name(), new JsonObject().put("name", c.name()).put("type", c.type())
            .put("read_only", true)));
    return out;
  }

  private static JsonArray channels(Map<String, JsonObject> visible, List<StatusStore.LastAttempt> last) {
    Map<String, StatusStore.LastAttempt> byChannel = new LinkedHashMap<>();
    last.forEach(a -> byChannel.put(a.channel(), a));
    JsonArray out = new JsonArray();
    for (JsonObject c : visible.values()) {
      StatusStore.LastAttempt a = byChannel.get(c.getString("name"));
      c.put("last_outcome", a == null ? null : new JsonObject()
          .put("at", a.at().toString())
          .put("outcome", a.outcome())
          .put("status_code", a.statusCode())
          .put("error", a.error())
          .put("attempt", a.attempt())
          .put("delivery_id", a.deliveryId().toString())
          .put("alert_id", a.alertId() == null ? null : a.alertId().toString()) // none for digests, notices
          .put("kind", a.kind()));
      out.add(c);
    }
    return out;
  }

  private static JsonObject outbox(StatusStore.Backlog b, Instant now) {
    return new JsonObject()
        .put("pending", b.pending())
        .put("oldest_pending_at", b.oldestCreatedAt() == null ? null : b.oldestCreatedAt().toString())
        .put("oldest_pending_age_seconds", b.oldestCreatedAt() == null ? 0
            : Math.max(0, Duration.between(b.oldestCreatedAt(), now).toMillis()) / 1000.0);
  }

  private static String readVersion() {
    try (InputStream in = StatusHandler.class.getResourceAsStream("/io/vigil/version.properties")) {
      if (in != null) {
        Properties p = new Properties();
        p.load(in);
        String v = p.getProperty("version");
        if (v != null && !v.isBlank() && !v.startsWith("${")) {
          return v;
        }
      }
    } catch (IOException e) {
      // fall through to the manifest
    }
    String v = StatusHandler.class.getPackage().getImplementationVersion();
    return v == null ? "unknown" : v;
  }
}
