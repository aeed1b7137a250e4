package io.vigil.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vigil.config.ChannelConfig;
import io.vigil.config.ChannelJson;
import io.vigil.config.ChannelParser;
import io.vigil.delivery.Channel;
import io.vigil.delivery.Channels;
import io.vigil.delivery.DeliveryResult;
import io.vigil.delivery.MessageRenderer;
import io.vigil.delivery.OutboundMessage;
import io.vigil.delivery.TargetGuard;
import io.vigil.store.AuditLog;
import io.vigil.store.ChannelStore;
import java.net.URI;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code /api/v1/channels}: a tenant's own channels ({@code admin}), listed with the ones in
 * {@code vigil.yaml}, which every tenant has and which are read-only here. Secrets never
 * leave: responses show {@code <secret>}, and sending {@code <secret>} back keeps the stored
 * value. Configurations are stored encrypted. A target on a private network is refused
 * when the channel is saved (its name resolved now) and again at every send.
 */
public final class ChannelsHandler {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Vertx vertx;
  private final Channels channels;
  private final ChannelStore store;
  private final MessageRenderer renderer;
  private final AuditLog audit;
  private final Clock clock;
  /** Each tenant's stored configurations (secrets revealed), for keeping secrets on update. */
  private final Map<String, Map<String, JsonObject>> stored = new ConcurrentHashMap<>();

  public ChannelsHandler(
      Vertx vertx, Channels channels, ChannelStore store, MessageRenderer renderer, AuditLog audit, Clock clock) {
    this.vertx = vertx;
    this.channels = channels;
    this.store = store;
    this.renderer = renderer;
    this.audit = audit;
    this.clock = clock;
  }

  /** Loads every tenant's stored channels into the registry; run once at start. */
  public Future<Integer> load() {
    return store.all().map(all -> {
      int n = 0;
      for (ChannelStore.StoredChannel sc : all) {
        if (sc.config() == null) {
          org.slf4j.LoggerFactory.getLogger(ChannelsHandler.class).error(
              "stored channel {} of tenant {} cannot be decrypted (was secret_key changed?); it is not loaded",
              sc.name(), sc.tenant());
          continue;
        }
        List<String> problems = new ArrayList<>();
        ChannelConfig c = ChannelParser.parseApi(toJackson(sc.config()), problems);
        if (c == null || !problems.isEmpty()) {
          org.slf4j.LoggerFactory.getLogger(ChannelsHandler.class)
              .error("stored channel {} of tenant {} no longer validates and is not loaded: {}", sc.name(), sc.tenant(),
                  problems);
          continue;
        }
        channels.put(sc.tenant(), c);
        stored.computeIfAbsent(sc.tenant(), t -> new ConcurrentHashMap<>()).put(sc.name(), sc.config());
        n++;
      }
      return n;
    });
  }

  public void mount(Router router) {
    router.get("/api/v1/channels").handler(this::list);
    router.get("/api/v1/channels/:name").handler(this::get);
    router.post("/api/v1/channels").handler(ctx -> save(ctx, null));
    router.put("/api/v1/channels/:name").handler(ctx -> save(ctx, ctx.pathParam("name")));
    router.delete("/api/v1/channels/:name").handler(this::delete);
    router.post("/api/v1/channels/:name/test").handler(this::test);
  }

  private void list(RoutingContext ctx) {
    Principal p = ApiRouter.require(ctx, Scope.ADMIN);
    JsonArray items = new JsonArray();
    channels.names().forEach(name -> items.add(view(p.tenant(), name, true)));
    channels.ownedBy(p.tenant()).keySet().stream().sorted().forEach(name -> items.add(view(p.tenant(), name, false)));
    ctx.json(new JsonObject().put("items", items));
  }

  private void get(RoutingContext ctx) {
    Principal p = ApiRouter.require(ctx, Scope.ADMIN);
    String name = ctx.pathParam("name");
    if (channels.ownedBy(p.tenant()).containsKey(name)) {
      ctx.json(view(p.tenant(), name, false));
    } else if (channels.isGlobal(name)) {
      ctx.json(view(p.tenant(), name, true));
    } else {
      throw ApiError.notFound("channel " + name);
    }
  }

  private JsonObject view(String tenant, String name, boolean readOnly) {
    return channels.configOf(readOnly ? "" : tenant, name).map(c -> ChannelJson.of(c, false))
        .orElseGet(() -> new JsonObject().put("name", name)).put("read_only", readOnly);
  }

  /** Create ({@code name} null) or replace. */
  private void save(RoutingContext ctx, String name) {
    Principal p = ApiRouter.require(ctx, Scope.ADMIN);
    JsonObject body = ApiRouter.jsonBody(ctx);
    body.remove("read_only"); // shown by GET; not a setting
    Map<String, JsonObject> own = stored.getOrDefault(p.tenant(), Map.of());
    if (name != null) {
      if (channels.isGlobal(name)) {
        throw new ApiError(ErrorCode.CONFLICT, "channel " + name + " is configured in vigil.yaml and read-only here");
      }
      if (!own.containsKey(name)) {
        throw ApiError.notFound("channel " + name);
      }
      if (body.getValue("name") == null) {
        body.put("name", name);
      } else if (!name.equals(body.getValue("name"))) {
        throw new ApiError(ErrorCode.INVALID_REQUEST, "the name in the body must be the one in the path");
      }
      body = ChannelJson.keepSecrets(body, Optional.ofNullable(own.get(name)));
    }
    List<String> problems = new ArrayList<>();
    ChannelConfig config = ChannelParser.parseApi(toJackson(body), problems);
    if (config == null || !problems.isEmpty()) {
      throw new ApiError(ErrorCode.INVALID_REQUEST, problems.size() + " problem(s) in the channel; nothing changed",
          details(problems));
    }
    if (name == null && (channels.isGlobal(config.name()) || own.containsKey(config.name()))) {
      throw new ApiError(ErrorCode.CONFLICT, "a channel named " + config.name() + " exists");
    }
    JsonObject revealed = ChannelJson.of(config, true);
    Instant now = clock.instant();
    boolean created = name == null;
    refusePrivateTargets(config)
        .compose(v -> store.save(p.tenant(), config.name(), config.type(), revealed, p.keyId(), now))
        .onComplete(ar -> {
          if (ar.failed()) {
            ctx.fail(ar.cause());
            return;
          }
          channels.put(p.tenant(), config);
          stored.computeIfAbsent(p.tenant(), t -> new ConcurrentHashMap<>()).put(config.name(), revealed);
          audit.record(new AuditLog.Entry(now, p.keyId(), p.tenant(), created ? "channels.create" : "channels.update",
              config.name(), AuditLog.sha256(revealed.encode()), "ok", null))
              .onComplete(x -> {
                ctx.response().setStatusCode(created ? 201 : 200);
                ctx.json(ChannelJson.of(config, false).put("read_only", false));
              });
        });
  }

  /** Resolves every target now; one on a private network is a 400, unless allowed. */
  private Future<Void> refusePrivateTargets(ChannelConfig config) {
    TargetGuard guard = channels.guard();
    List<Future<?>> checks = new ArrayList<>();
    for (Map.Entry<String, String> t : Channels.targets(config).entrySet()) {
      String host = URI.create(t.getValue()).getHost();
      String literal = guard.refuseAtConfig(host);
      if (literal != null) {
        return Future.failedFuture(new ApiError(ErrorCode.INVALID_REQUEST, t.getKey() + " " + literal));
      }
      checks.add(guard.resolve(vertx, host).recover(e -> Future.failedFuture(e instanceof TargetGuard.Refused
          ? new ApiError(ErrorCode.INVALID_REQUEST, t.getKey() + " resolves to a private or loopback address;"
              + " set delivery.allow_private_targets to allow it")
          : new ApiError(ErrorCode.INVALID_REQUEST, t.getKey() + " has a host name that does not resolve"))));
    }
    return Future.all(checks).mapEmpty();
  }

  private void delete(RoutingContext ctx) {
    Principal p = ApiRouter.require(ctx, Scope.ADMIN);
    String name = ctx.pathParam("name");
    if (channels.isGlobal(name) && !stored.getOrDefault(p.tenant(), Map.of()).containsKey(name)) {
      throw new ApiError(ErrorCode.CONFLICT, "channel " + name + " is configured in vigil.yaml and read-only here");
    }
    store.delete(p.tenant(), name).onComplete(ar -> {
      if (ar.failed()) {
        ctx.fail(ar.cause());
      } else if (!ar.result()) {
        ctx.fail(ApiError.notFound("channel " + name));
      } else {
        channels.remove(p.tenant(), name);
        Map<String, JsonObject> own = stored.get(p.tenant());
        if (own != null) {
          own.remove(name);
        }
        audit.record(new AuditLog.Entry(clock.instant(), p.keyId(), p.tenant(), "channels.delete", name, null, "ok",
            null)).onComplete(x -> ctx.response().setStatusCode(204).end());
      }
    });
  }

  /** Sends a test message now and answers what came of it. Nothing is stored. */
  private void test(RoutingContext ctx) {
    Principal p = ApiRouter.require(ctx, Scope.ADMIN);
    String name = ctx.pathParam("name");
    Channel ch = channels.get(p.tenant(), name).orElseThrow(() -> ApiError.notFound("channel " + name));
    JsonObject alert = sample(p.tenant());
    renderer.render(ch, alert, "test", Optional.empty())
        .compose(texts -> ch.send(new OutboundMessage(UUID.randomUUID(), 1, "test", renderer.view(alert), texts)))
        .onComplete(ar -> {
          if (ar.failed()) {
            ctx.fail(ar.cause());
            return;
          }
          DeliveryResult r = ar.result();
          JsonObject out = new JsonObject().put("channel", name).put("status_code", r.statusCode());
          if (r instanceof DeliveryResult.Delivered) {
            out.put("result", "delivered");
          } else if (r instanceof DeliveryResult.Retry retry) {
            out.put("result", "retry").put("error", retry.error());
          } else {
            out.put("result", "failed").put("error", ((DeliveryResult.Failed) r).error());
          }
          ctx.json(out);
        });
  }

  private JsonObject sample(String tenant) {
    String now = clock.instant().toString();
    return new JsonObject()
        .put("id", UUID.randomUUID().toString())
        .put("tenant", tenant)
        .put("rule", "Vigil test message")
        .put("key", "test")
        .put("fingerprint", "0".repeat(64))
        .put("severity", "info")
        .put("status", "active")
        .put("summary", "A test message from Vigil: this channel works.")
        .put("tags", new JsonArray().add("test"))
        .put("first_seen", now)
        .put("last_seen", now)
        .put("occurrences", 1)
        .put("evidence", new JsonArray());
  }

  private static JsonArray details(List<String> problems) {
    JsonArray out = new JsonArray();
    problems.forEach(m -> out.add(new JsonObject().put("message", m)));
    return out;
  }

  private static JsonNode toJackson(JsonObject o) {
    try {
      return JSON.readTree(o.encode());
    } catch (Exception e) {
      throw new ApiError(ErrorCode.INVALID_JSON, "the body must be a JSON object");
    }
  }
}
