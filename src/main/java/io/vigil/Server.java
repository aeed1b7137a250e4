package io.vigil;

import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.VertxOptions;
import io.vertx.core.http.HttpServer;
import io.vertx.core.http.HttpServerOptions;
import io.vertx.core.net.PemKeyCertOptions;
import io.vertx.ext.web.Router;
import io.vigil.alert.AlertAging;
import io.vigil.alert.AlertService;
import io.vigil.alert.SilenceExpiry;
import io.vigil.alert.silence.Silences;
import io.vigil.api.AlertsHandler;
import io.vigil.api.ChannelsHandler;
import io.vigil.api.DeliveriesHandler;
import io.vigil.api.ApiKeyAuth;
import io.vigil.api.ApiKeysHandler;
import io.vigil.api.ApiRouter;
import io.vigil.api.AuditHandler;
import io.vigil.api.StatsHandler;
import io.vigil.api.StatusHandler;
import io.vigil.api.HealthHandler;
import io.vigil.api.OperatorKey;
import io.vigil.api.PoliciesHandler;
import io.vigil.api.RuleTestsHandler;
import io.vigil.api.RulesHandler;
import io.vigil.api.SilencesHandler;
import io.vigil.api.TemplatesHandler;
import io.vigil.config.VigilConfig;
import io.vigil.metrics.DatabaseGauges;
import io.vigil.metrics.MeterBinding;
import io.vigil.delivery.Backoff;
import io.vigil.delivery.ChannelFactory;
import io.vigil.delivery.Channels;
import io.vigil.delivery.DeliveryWorker;
import io.vigil.delivery.Digests;
import io.vigil.delivery.HeldBackNotices;
import io.vigil.delivery.HttpTransport;
import io.vigil.delivery.MessageRenderer;
import io.vigil.delivery.TargetGuard;
import io.vigil.engine.RuleCompiler;
import io.vigil.engine.RuleEngine;
import io.vigil.engine.RuleReloader;
import io.vigil.engine.RuleSet;
import io.vigil.engine.RulesWatcher;
import io.vigil.engine.policy.PolicyFiles;
import io.vigil.ingest.EventParser;
import io.vigil.ingest.EventValidator;
import io.vigil.ingest.EventsHandler;
import io.vigil.ruletest.TestRunner;
import io.vigil.store.AlertEvents;
import io.vigil.store.AlertStore;
import io.vigil.store.ApiKeyStore;
import io.vigil.store.AuditLog;
import io.vigil.store.ChannelStore;
import io.vigil.store.DeliveryLog;
import io.vigil.store.SecretBox;
import io.vigil.store.SilenceStore;
import io.vigil.store.Database;
import io.vigil.store.EventJournal;
import io.vigil.store.Outbox;
import io.vigil.store.PolicyStore;
import io.vigil.store.Retention;
import io.vigil.store.RuleStateStore;
import io.vigil.store.StatsStore;
import io.vigil.store.StatusStore;
import io.vigil.template.Masking;
import io.vigil.template.Templates;
import java.time.Clock;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Builds Vigil from its configuration with plain constructors, in the order of the data
 * flow, and starts and stops it. {@link #start()} completes when the server listens;
 * {@link #stop()} stops taking requests, finishes what was accepted, and stops the
 * database last. Tests start it exactly as {@code Main} does.
 */
public final class Server {
  private static final Logger log = LoggerFactory.getLogger(Server.class);

  private final VigilConfig config;
  private final Clock clock;
  private final Vertx vertx;
  private final PrometheusMeterRegistry metrics = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private Database database;
  private EventJournal journal;
  private RuleEngine engine;
  private RuleReloader reloader;
  private RulesWatcher watcher;
  private PolicyStore policies;
  private MessageRenderer renderer;
  private SecretBox secretBox;
  private ChannelsHandler channelsHandler;
  private Set<String> channelNames = Set.of();
  private DeliveryWorker delivery;
  private AlertAging aging;
  private Silences silences;
  private SilenceExpiry silenceExpiry;
  private Digests digests;
  private HeldBackNotices heldBackNotices;
  private Channels channels;
  private HttpTransport http;
  private HttpServer server;
  private Router router;
  private Retention retention;
  private DatabaseGauges gauges;
  private java.time.Instant startedAt;

  public Server(VigilConfig config, Clock clock) {
    this.config = config;
    this.clock = clock;
    this.vertx = MeterBinding.vertx(new VertxOptions().setWorkerPoolSize(16), metrics);
  }

  public Future<Void> start() {
    long started = System.nanoTime();
    startedAt = clock.instant();
    new JvmMemoryMetrics().bindTo(metrics);
    new JvmGcMetrics().bindTo(metrics);
    new JvmThreadMetrics().bindTo(metrics);
    new ProcessorMetrics().bindTo(metrics);
    VigilConfig.DeliveryConfig dc = config.delivery();
    http = new HttpTransport(vertx, new TargetGuard(dc.allowPrivateTargets()), dc.timeout(), dc.maxResponseBytes(), clock);
    try {
      channels = Channels.build(config.channels(), new ChannelFactory(vertx, http, dc.timeout(), clock), http.guard());
      channelNames = Set.copyOf(channels.names());
    } catch (RuntimeException e) {
      return stop().transform(v -> Future.failedFuture(e));
    }
    return Database.start(vertx, config)
        .compose(db -> {
          database = db;
          log.info("data: {}", db.description());
          ApiKeyStore keys = new ApiKeyStore(db.pool());
          return OperatorKey.bootstrap(vertx, config, keys).map(source -> {
            log.info("operator API key (tenant default, every scope) from {}", source);
            return keys;
          });
        })
        .compose(keys -> {
          Templates templates;
          try {
            templates = new Templates(config.templatesDir(), new Masking(config.templates().maskSensitive(),
                config.templates().sensitiveFields()));
          } catch (java.io.IOException e) {
            return Future.failedFuture(e);
          }
          renderer = new MessageRenderer(vertx, templates, config.http().publicUrl());
          try {
            secretBox = SecretBox.open(config.secretKey(), config.dataDir());
          } catch (java.io.IOException | RuntimeException e) {
            return Future.failedFuture(e);
          }
          Backoff backoff = new Backoff(dc.retry().initial(), dc.retry().max(),
              bound -> bound <= 0 ? 0 : ThreadLocalRandom.current().nextLong(bound + 1));
          delivery = new DeliveryWorker(vertx, new Outbox(database.pool()), channels, renderer, dc, clock, backoff,
              metrics);
          digests = new Digests(vertx, database.pool(), channels, clock, dc.pollInterval(), delivery::wake);
          heldBackNotices = new HeldBackNotices(vertx, database.pool(), channels, clock, dc.pollInterval(),
              delivery::wake);
          silences = new Silences(new SilenceStore(database.pool()));
          AlertStore alertStore = new AlertStore(database.pool());
          AlertService alerts = new AlertService(vertx, alertStore, config, channels, silences, clock, delivery::wake);
          aging = new AlertAging(vertx, alertStore, alerts, config.alerts().checkInterval(), clock);
          journal = new EventJournal(vertx, database.pool(), config.ingest().batchMaxRows(),
              config.ingest().queueMax(), config.db().connectTimeout().toMillis());
          engine = new RuleEngine(vertx, config, journal, alerts, clock, metrics);
          silenceExpiry = new SilenceExpiry(vertx, silences, alertStore, alerts, this::cooldownOf, clock,
              delivery::wake, config.engine().tick());
          policies = new PolicyStore(database.pool());
          reloader = new RuleReloader(config.rulesDir(), new RuleCompiler(channels.names(), clock), engine,
              new RuleStateStore(database.pool()), new AuditLog(database.pool()),
              () -> PolicyFiles.load(policies), clock, metrics);
          channelsHandler = new ChannelsHandler(vertx, channels, new ChannelStore(database.pool(), secretBox),
              renderer, new AuditLog(database.pool()), clock);
          return channelsHandler.load()
              .onSuccess(n -> log.info("tenant channels loaded: {}", n))
              // Before the engine starts: no alert may be written without the silences.
              .compose(n -> silences.load(clock.instant()))
              .onSuccess(n -> log.info("silences loaded: {}", n))
              .compose(n -> reloader.start())
              .compose(v -> startWatching())
              .compose(v -> listen(keys, alerts));
        })
        .onSuccess(v -> {
          delivery.start();
          aging.start();
          silenceExpiry.start();
          retention = new Retention(vertx, database.pool(), config.retention(), clock, this::ruleWindow);
          retention.bindTo(metrics);
          retention.start();
          digests.start();
          heldBackNotices.start();
          gauges = new DatabaseGauges(vertx, new StatusStore(database.pool()), metrics, clock);
          gauges.start();
          log.info("channels: {}", channels.all().isEmpty() ? "none configured"
              : String.join(", ", channels.all().stream().map(c -> c.name() + " (" + c.type() + ")").toList()));
          log.info("listening on port {} (started in {} ms)", server.actualPort(),
              (System.nanoTime() - started) / 1_000_000);
        })
        .recover(e -> {
          CompletableFuture<Void> failed = new CompletableFuture<>();
          stop().onComplete(x -> failed.completeExceptionally(e));
          return Future.fromCompletionStage(failed);
        });
  }

  /** Reloads the rules when their files change, unless switched off (engine.watch_rules). */
  private Future<Void> startWatching() {
    if (!config.engine().watchRules()) {
      return Future.succeededFuture();
    }
    watcher = new RulesWatcher(config.rulesDir(), config.engine().reloadDebounce(),
        () -> reloader.reload("watcher", "rule files changed"));
    try {
      watcher.start();
      return Future.succeededFuture();
    } catch (java.io.IOException e) {
      return Future.failedFuture(e);
    }
  }

  private Future<Void> listen(ApiKeyStore keys, AlertService alerts) {
    ApiKeyAuth auth = new ApiKeyAuth(keys, clock);
    ApiRouter api = new ApiRouter(vertx, config.ingest().maxBodyBytes(), auth);
    EventParser parser = new EventParser(config.ingest().maxJsonDepth(), config.ingest().maxStringLength(),
        config.ingest().maxEventsPerRequest());
    EventValidator validator = new EventValidator(new com.fasterxml.jackson.databind.ObjectMapper(),
        config.ingest().maxLateness(), config.ingest().maxSkew());
    api.router().post("/api/v1/events").handler(new EventsHandler(parser, validator, journal, clock, metrics,
        config.ingest().tenantEventsPerSecond(), config.ingest().maxEventsPerRequest()));
    AuditLog audit = new AuditLog(database.pool());
    new AlertsHandler(alerts, new AlertEvents(database.pool()), audit, clock).mount(api.router());
    new ApiKeysHandler(keys, auth, audit, clock).mount(api.router());
    new RulesHandler(engine, reloader).mount(api.router());
    new TemplatesHandler(vertx, renderer.templates(), alerts::get, new AuditLog(database.pool()),
        config.http().publicUrl(), clock).mount(api.router());
    new PoliciesHandler(policies, reloader, clock).mount(api.router());
    new RuleTestsHandler(vertx, reloader, new TestRunner(validator), channelNames, clock).mount(api.router());
    new HealthHandler(database.pool(), engine, metrics).mount(api.router());
    new DeliveriesHandler(new DeliveryLog(database.pool())).mount(api.router());
    channelsHandler.mount(api.router());
    new StatsHandler(new StatsStore(database.pool()), clock).mount(api.router());
    new AuditHandler(audit).mount(api.router());
    new StatusHandler(engine, reloader, channels, new StatusStore(database.pool()), clock, startedAt)
        .mount(api.router());
    new SilencesHandler(silences, silenceExpiry, new AuditLog(database.pool()), clock).mount(api.router());
    router = api.router();
    HttpServerOptions options = new HttpServerOptions()
        .setHost(config.http().host())
        .setPort(config.http().port())
        .setCompressionSupported(true)
        // No cleartext HTTP/2 upgrade: a client that offers it (Java's HttpClient does by
        // default) at times got a corrupt HTTP/2 stream for the large compressed OpenAPI
        // document; h2c upgrade with compression is a known weak spot of Vert.x
        // (eclipse-vertx/vert.x#2934, #3988). Such clients are answered in HTTP/1.1.
        .setHttp2ClearTextEnabled(false)
        .setIdleTimeout(120)
        .setIdleTimeoutUnit(TimeUnit.SECONDS);
    config.http().tls().ifPresent(tls -> {
      options.setSsl(true).setKeyCertOptions(new PemKeyCertOptions()
          .setCertPath(tls.certFile().toString()).setKeyPath(tls.keyFile().toString()));
      log.info("TLS: HTTPS only, certificate {}", tls.certFile().toAbsolutePath());
    });
    server = vertx.createHttpServer(options);
    return server.requestHandler(router).listen().mapEmpty();
  }

  /**
   * How far back events must stay for the engine: the longest window or temporal range
   * (what sessions hold) or the longest replay after a restart, whichever is longer, plus a
   * minute; empty while no rule set is loaded.
   */
  private java.util.Optional<java.time.Duration> ruleWindow() {
    RuleSet rs = engine == null ? null : engine.ruleSet();
    if (rs == null) {
      return java.util.Optional.empty();
    }
    java.time.Duration longest = rs.expiry().compareTo(rs.retention()) >= 0 ? rs.expiry() : rs.retention();
    return java.util.Optional.of(longest.plusMinutes(1));
  }

  /** A rule's {@code @cooldown} in the live rule set; zero when it has none or is gone. */
  private java.time.Duration cooldownOf(String rule) {
    io.vigil.engine.RuleSet set = engine == null ? null : engine.ruleSet();
    io.vigil.engine.RuleInfo info = set == null ? null : set.rule(rule);
    return info == null ? java.time.Duration.ZERO : info.metadata().cooldown();
  }

  /** The port the server listens on (the chosen one when configured as 0). */
  public int port() {
    return server == null ? -1 : server.actualPort();
  }

  public VigilConfig config() {
    return config;
  }

  /** Every route the server answers; the OpenAPI document is checked against it. */
  public Router router() {
    return router;
  }

  /** The background pruning, for its counts. */
  /** The rule engine, for what only it can show (its retired tenants). */
  public RuleEngine engine() {
    return engine;
  }

  public Retention retention() {
    return retention;
  }

  /**
   * Stops in order: no new requests (in-flight ones finish), the journal's last commits,
   * the engine's queued events and their alerts, deliveries in flight, the database.
   */
  public Future<Void> stop() {
    Future<Void> f = server == null ? Future.succeededFuture() : server.shutdown(10, TimeUnit.SECONDS);
    CompletableFuture<Void> done = new CompletableFuture<>();
    f.transform(v -> {
          if (watcher != null) {
            watcher.close();
          }
          if (gauges != null) {
            gauges.stop();
          }
          if (reloader != null) {
            reloader.stop();
          }
          if (aging != null) {
            aging.stop();
          }
          return retention == null ? Future.succeededFuture() : retention.stop();
        })
        .transform(v -> engine == null ? Future.succeededFuture() : engine.stop())
        .transform(v -> silenceExpiry == null ? Future.succeededFuture() : silenceExpiry.stop())
        .transform(v -> digests == null ? Future.succeededFuture() : digests.stop())
        .transform(v -> heldBackNotices == null ? Future.succeededFuture() : heldBackNotices.stop())
        .transform(v -> delivery == null ? Future.succeededFuture() : delivery.stop())
        .transform(v -> channels == null ? Future.succeededFuture() : channels.close())
        .transform(v -> http == null ? Future.succeededFuture() : http.close())
        .transform(v -> database == null ? Future.succeededFuture() : database.stop())
        // Closing Vert.x from one of its own threads would leave this future's listeners
        // nowhere to run; close it from outside.
        .onComplete(v -> CompletableFuture.runAsync(() -> {
          vertx.close().toCompletionStage().toCompletableFuture().join();
          log.info("stopped");
          done.complete(null);
        }));
    return Future.fromCompletionStage(done);
  }
}
