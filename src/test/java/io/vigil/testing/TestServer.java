package io.vigil.testing;

import io.vigil.Server;
import io.vigil.config.ConfigLoader;
import io.vigil.config.VigilConfig;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The whole Vigil server, in this JVM, on a free port, against the shared test PostgreSQL
 * (or its own embedded one), with rules and templates in temporary directories: exactly
 * what {@code Main} builds, configured the way an operator would, through YAML and env.
 */
public final class TestServer implements AutoCloseable {
  public static final String OPERATOR_TOKEN = "vgl_test-operator-token-0123456789";

  private final VigilConfig config;
  private final Path root;
  private final Clock clock;
  private Server server;

  private TestServer(VigilConfig config, Path root, Clock clock) {
    this.config = config;
    this.root = root;
    this.clock = clock;
  }

  public static Builder builder() {
    return new Builder();
  }

  public TestServer start() {
    server = new Server(config, clock);
    await(server.start().toCompletionStage().toCompletableFuture(), 120);
    return this;
  }

  public void stop() {
    if (server != null) {
      await(server.stop().toCompletionStage().toCompletableFuture(), 120);
      server = null;
    }
  }

  /** Stops and starts again on the same configuration, data and database. */
  public TestServer restart() {
    stop();
    return start();
  }

  public int port() {
    return server.port();
  }

  /** The running server itself, for what only it can show (its routes, its pruning counts). */
  public Server server() {
    return server;
  }

  public String baseUrl() {
    return "http://127.0.0.1:" + port();
  }

  public Api api() {
    return new Api(baseUrl(), OPERATOR_TOKEN);
  }

  public Api api(String token) {
    return new Api(baseUrl(), token);
  }

  public VigilConfig config() {
    return config;
  }

  public Path root() {
    return root;
  }

  /** Creates a key over the API and returns its token. */
  public String newKey(String tenant, String... scopes) {
    String body = "{\"tenant\":\"" + tenant + "\",\"scopes\":[\"" + String.join("\",\"", scopes) + "\"]}";
    Api.Response r = api().post("/api/v1/api-keys", body);
    if (r.status() != 201) {
      throw new IllegalStateException("creating a key failed: " + r);
    }
    return r.json().getString("token");
  }

  @Override
  public void close() {
    stop();
  }

  private static void await(java.util.concurrent.CompletableFuture<?> f, int seconds) {
    try {
      f.get(seconds, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("server did not start/stop: " + e, e);
    }
  }

  public static final class Builder {
    private final Map<String, String> rules = new LinkedHashMap<>();
    private final Map<String, String> env = new HashMap<>();
    private String channelsYaml = "";
    private boolean sampleRules;
    private boolean embedded;
    private Path templates = Path.of("templates");
    private Path dataDir;
    private Clock clock = Clock.systemUTC();

    /** The server's clock; a {@link SettableClock} lets a test step schedules by hand. */
    public Builder clock(Clock c) {
      this.clock = c;
      return this;
    }

    public Builder sampleRules() {
      this.sampleRules = true;
      return this;
    }

    public Builder rule(String file, String drl) {
      rules.put(file, drl);
      return this;
    }

    /** YAML for the {@code channels:} list, e.g. a webhook to a loopback {@link Receiver}. */
    public Builder channels(String yaml) {
      this.channelsYaml = yaml;
      return this;
    }

    public Builder webhook(String name, String url, String secret) {
      channelsYaml += "  - name: " + name + "\n    type: webhook\n    url: " + url + "\n"
          + (secret == null ? "" : "    secret: " + secret + "\n");
      return this;
    }

    public Builder logChannel(String name) {
      channelsYaml += "  - name: " + name + "\n    type: log\n";
      return this;
    }

    public Builder env(String key, String value) {
      env.put(key, value);
      return this;
    }

    /** The server's own embedded PostgreSQL in its data directory, instead of the shared one. */
    public Builder embedded() {
      this.embedded = true;
      return this;
    }

    public Builder dataDir(Path dir) {
      this.dataDir = dir;
      return this;
    }

    public TestServer build() {
      try {
        Path root = Files.createTempDirectory("vigil-test");
        Path rulesDir = Files.createDirectories(root.resolve("rules"));
        if (sampleRules) {
          try (Stream<Path> files = Files.list(Path.of("rules"))) {
            for (Path p : (Iterable<Path>) files::iterator) {
              Files.copy(p, rulesDir.resolve(p.getFileName()));
            }
          }
        }
        for (Map.Entry<String, String> r : rules.entrySet()) {
          Files.writeString(rulesDir.resolve(r.getKey()), r.getValue(), StandardCharsets.UTF_8);
        }
        Path yaml = root.resolve("vigil.yaml");
        Files.writeString(yaml, channelsYaml.isEmpty() ? "channels: []\n" : "channels:\n" + channelsYaml,
            StandardCharsets.UTF_8);
        Map<String, String> e = new HashMap<>();
        e.put("VIGIL_HTTP_PORT", "0");
        e.put("VIGIL_HTTP_HOST", "127.0.0.1");
        e.put("VIGIL_DATA_DIR", (dataDir != null ? dataDir : root.resolve("data")).toString());
        e.put("VIGIL_RULES_DIR", rulesDir.toString());
        e.put("VIGIL_TEMPLATES_DIR", templates.toAbsolutePath().toString());
        e.put("VIGIL_ADMIN_TOKEN", OPERATOR_TOKEN);
        e.put("VIGIL_DELIVERY_ALLOW_PRIVATE_TARGETS", "true");
        e.put("VIGIL_DELIVERY_POLL_INTERVAL", "100ms");
        e.put("VIGIL_DELIVERY_RETRY_INITIAL", "100ms");
        e.put("VIGIL_DELIVERY_RETRY_MAX", "500ms");
        e.put("VIGIL_DELIVERY_TIMEOUT", "3s");
        e.put("VIGIL_ENGINE_TICK", "200ms");
        if (!embedded) {
          e.put("VIGIL_DB_URL", TestDatabase.url());
        }
        e.putAll(env);
        return new TestServer(ConfigLoader.load(yaml, e), root, clock);
      } catch (IOException ex) {
        throw new IllegalStateException(ex);
      }
    }

    public TestServer start() {
      return build().start();
    }
  }
}
