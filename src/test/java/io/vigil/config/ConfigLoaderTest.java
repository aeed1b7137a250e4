package io.vigil.config;

import static org.junit.jupiter.api.Assertions.assertAll;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vigil.config.VigilConfig.DeliveryConfig;
import io.vigil.config.VigilConfig.IngestConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;
import org.junit.jupiter.api.io.TempDir;

/**
 * The effective configuration is {@code vigil.yaml} overridden by {@code VIGIL_*} variables, and a
 * configuration with problems is refused with every problem listed at once. The environment is
 * always passed in, never read from the process.
 */
class ConfigLoaderTest {
  @TempDir Path dir;

  private Path yaml(String text) throws IOException {
    Path file = dir.resolve("vigil.yaml");
    Files.writeString(file, text);
    return file;
  }

  private static InvalidConfigException invalid(Executable load) {
    return assertThrows(InvalidConfigException.class, load);
  }

  /** Asserts that one problem is about {@code path} and says {@code fragment}. */
  private static Executable hasProblem(List<String> problems, String path, String fragment) {
    return () ->
        assertTrue(
            problems.stream().anyMatch(p -> p.startsWith(path + ": ") && p.contains(fragment)),
            "expected a problem '" + path + ": ..." + fragment + "...' in " + problems);
  }

  @Test
  void uses_the_documented_defaults_when_there_is_no_file_and_no_environment() {
    VigilConfig c = ConfigLoader.load(null, Map.of());

    assertAll(
        () -> assertEquals("0.0.0.0", c.http().host()),
        () -> assertEquals(8080, c.http().port()),
        () -> assertEquals(Optional.empty(), c.http().publicUrl()),
        () -> assertEquals(Path.of("./data"), c.dataDir()),
        () -> assertEquals(Path.of("./rules"), c.rulesDir()),
        () -> assertEquals(Path.of("./templates"), c.templatesDir()),
        () -> assertEquals(Optional.empty(), c.adminToken()),
        () -> assertEquals(new VigilConfig.DbConfig(Optional.empty(), 8, Duration.ofSeconds(5), 0, 4096), c.db()),
        () ->
            assertEquals(
                new IngestConfig(1024 * 1024, 1000, 64, 64 * 1024, Duration.ofHours(1), Duration.ofMinutes(5),
                    50_000, 2_000, 0),
                c.ingest()),
        () -> assertEquals(new VigilConfig.EngineConfig(Duration.ofSeconds(1), 20_000, 50, true, Duration.ofSeconds(1), Duration.ofMinutes(10), 200_000), c.engine()),
        () ->
            assertEquals(
                new DeliveryConfig(false, 64, 16, Duration.ofSeconds(1), Duration.ofMinutes(2), Duration.ofSeconds(10),
                    new VigilConfig.RetryConfig(Duration.ofSeconds(5), Duration.ofMinutes(10), 12), 64 * 1024),
                c.delivery()),
        () -> assertEquals(List.of(), c.channels()),
        () -> assertEquals(List.of(), c.defaultChannels()),
        () -> assertEquals(Map.of(), c.tenants()),
        () -> assertEquals(Optional.empty(), c.http().tls()),
        () -> assertEquals(new VigilConfig.RetentionConfig(Duration.ofDays(30), Duration.ofDays(90), Duration.ofDays(7),
            Duration.ofMinutes(10), 1000), c.retention()));
  }

  @Test
  void the_shipped_vigil_yaml_loads_and_states_the_same_defaults_as_the_code() {
    Path shipped = Path.of("vigil.yaml");
    assertTrue(Files.isRegularFile(shipped), "vigil.yaml is shipped at the project root");

    VigilConfig fromFile = ConfigLoader.load(shipped, Map.of());
    VigilConfig defaults = ConfigLoader.load(null, Map.of());

    assertAll(
        () -> assertEquals(defaults.http(), fromFile.http()),
        () -> assertEquals(defaults.dataDir(), fromFile.dataDir()),
        () -> assertEquals(defaults.rulesDir(), fromFile.rulesDir()),
        () -> assertEquals(defaults.templatesDir(), fromFile.templatesDir()),
        () -> assertEquals(defaults.db(), fromFile.db()),
        () -> assertEquals(defaults.ingest(), fromFile.ingest()),
        () -> assertEquals(defaults.engine(), fromFile.engine()),
        () -> assertEquals(defaults.delivery(), fromFile.delivery()),
        () -> assertEquals(defaults.alerts(), fromFile.alerts()),
        () -> assertEquals(defaults.templates(), fromFile.templates()),
        () -> assertEquals(defaults.retention(), fromFile.retention()));
  }

  @Test
  void the_commented_channel_examples_in_the_shipped_vigil_yaml_are_valid() throws IOException {
    String text = Files.readString(Path.of("vigil.yaml"));
    String examples = text.substring(text.lastIndexOf("\nchannels:"));
    // Uncomment the example entries (two-space list indent, then "# "), leave notes as comments.
    String uncommented = examples.replaceAll("(?m)^  # ([ -].*|[a-z].*)$", "  $1")
        .replaceAll("(?m)^  # Every type.*$", "");
    Path file = yaml("templates:\n  mask_sensitive: true\n" + uncommented);
    VigilConfig c = ConfigLoader.load(file, Map.of("SMTP_PASSWORD", "p", "SLACK_WEBHOOK_URL",
        "https://hooks.slack.com/services/T/B/x", "PAGERDUTY_ROUTING_KEY", "k"));
    assertEquals(List.of("secops-webhook", "audit-log", "secops-mail", "secops-slack", "oncall", "siem"),
        c.channels().stream().map(ChannelConfig::name).toList());
    assertEquals(List.of("webhook", "log", "email", "slack", "pagerduty", "syslog"),
        c.channels().stream().map(ChannelConfig::type).toList());
  }

  @Test
  void reads_values_from_the_yaml_file() throws IOException {
    Path file =
        yaml(
            """
            http:
              host: 127.0.0.1
              port: 9000
              public_url: https://vigil.example.org
            data_dir: /var/lib/vigil
            ingest:
              max_body_size: 2MiB
              max_lateness: 30m
            channels:
              - name: audit-log
                type: log
            default_channels: [audit-log]
            tenants:
              acme:
                default_channels: []
            """);

    VigilConfig c = ConfigLoader.load(file, Map.of());

    assertAll(
        () -> assertEquals("127.0.0.1", c.http().host()),
        () -> assertEquals(9000, c.http().port()),
        () -> assertEquals(Optional.of("https://vigil.example.org"), c.http().publicUrl()),
        () -> assertEquals(Path.of("/var/lib/vigil"), c.dataDir()),
        () -> assertEquals(2L * 1024 * 1024, c.ingest().maxBodyBytes()),
        () -> assertEquals(Duration.ofMinutes(30), c.ingest().maxLateness()),
        () -> assertEquals(List.of(new ChannelConfig.Log("audit-log", ChannelConfig.Options.defaults())), c.channels()),
        () -> assertEquals(List.of("audit-log"), c.defaultChannelsFor("default")),
        () -> assertEquals(List.of(), c.defaultChannelsFor("acme")));
  }

  @Test
  void environment_variables_override_the_yaml_file() throws IOException {
    Path file =
        yaml(
            """
            http:
              host: 127.0.0.1
              port: 9000
            data_dir: /yaml/data
            rules_dir: /yaml/rules
            templates_dir: /yaml/templates
            admin_token: yaml-token-0123456789
            db:
              url: postgresql://vigil:yaml-pass@yaml-db.example.org:5432/vigil
            delivery:
              allow_private_targets: false
            """);
    Map<String, String> env =
        Map.of(
            "VIGIL_HTTP_PORT", "9100",
            "VIGIL_DELIVERY_ALLOW_PRIVATE_TARGETS", "true",
            "VIGIL_DB_URL", "postgresql://vigil:env-pass@env-db.example.org:5432/vigil",
            "VIGIL_DATA_DIR", "/env/data",
            "VIGIL_RULES_DIR", "/env/rules",
            "VIGIL_TEMPLATES_DIR", "/env/templates",
            "VIGIL_ADMIN_TOKEN", "env-token-0123456789abcdef");

    VigilConfig c = ConfigLoader.load(file, env);

    assertAll(
        () -> assertEquals(9100, c.http().port()),
        () -> assertEquals("127.0.0.1", c.http().host(), "keys without a variable keep the file's value"),
        () -> assertTrue(c.delivery().allowPrivateTargets()),
        () ->
            assertEquals(
                "postgresql://vigil:env-pass@env-db.example.org:5432/vigil",
                c.db().url().map(Secret::reveal).orElse(null)),
        () -> assertEquals(Path.of("/env/data"), c.dataDir()),
        () -> assertEquals(Path.of("/env/rules"), c.rulesDir()),
        () -> assertEquals(Path.of("/env/templates"), c.templatesDir()),
        () -> assertEquals("env-token-0123456789abcdef", c.adminToken().map(Secret::reveal).orElse(null)));
  }

  @Test
  void a_nested_key_is_overridden_by_its_path_upper_cased_with_underscores() throws IOException {
    Path file =
        yaml(
            """
            delivery:
              retry:
                max_attempts: 3
            """);

    assertEquals(3, ConfigLoader.load(file, Map.of()).delivery().retry().maxAttempts());
    assertEquals(
        7,
        ConfigLoader.load(file, Map.of("VIGIL_DELIVERY_RETRY_MAX_ATTEMPTS", "7")).delivery().retry().maxAttempts());
    assertEquals(
        7, ConfigLoader.load(null, Map.of("VIGIL_DELIVERY_RETRY_MAX_ATTEMPTS", "7")).delivery().retry().maxAttempts());
  }

  @Test
  void a_bad_value_from_the_environment_is_a_problem_too() {
    InvalidConfigException e =
        invalid(() -> ConfigLoader.load(null, Map.of("VIGIL_DELIVERY_RETRY_MAX_ATTEMPTS", "lots")));
    assertEquals(
        List.of("delivery.retry.max_attempts: must be a whole number, got 'lots'"), e.problems());
  }

  @Test
  void a_list_key_takes_a_comma_separated_value_from_the_environment() throws IOException {
    Path file =
        yaml(
            """
            channels:
              - name: a
                type: log
              - name: b
                type: log
            default_channels: [a]
            """);

    VigilConfig c = ConfigLoader.load(file, Map.of("VIGIL_DEFAULT_CHANNELS", "a, b"));

    assertEquals(List.of("a", "b"), c.defaultChannels());
  }

  @Test
  void substitutes_environment_references_and_their_defaults_in_yaml_values() throws IOException {
    Path file =
        yaml(
            """
            http:
              public_url: https://${PUBLIC_HOST}/vigil
            channels:
              - name: hook
                type: webhook
                url: ${HOOK_URL}
                secret: ${HOOK_SECRET:-whsec_ZmFsbGJhY2s=}
            """);
    Map<String, String> env =
        Map.of("PUBLIC_HOST", "vigil.example.org", "HOOK_URL", "https://hooks.example.org/T1/abc");

    VigilConfig c = ConfigLoader.load(file, env);

    assertEquals(Optional.of("https://vigil.example.org/vigil"), c.http().publicUrl());
    ChannelConfig.Webhook hook = assertInstanceOf(ChannelConfig.Webhook.class, c.channels().get(0));
    assertEquals("https://hooks.example.org/T1/abc", hook.url().reveal());
    assertEquals("whsec_ZmFsbGJhY2s=", hook.secret().map(Secret::reveal).orElse(null));
  }

  @Test
  void substitutes_environment_references_in_webhook_header_values() throws IOException {
    Path file =
        yaml(
            """
            channels:
              - name: hook
                type: webhook
                url: https://hooks.example.org/in
                headers:
                  Authorization: Bearer ${HOOK_TOKEN}
                  X-Team: ${TEAM:-secops}
            """);

    VigilConfig c = ConfigLoader.load(file, Map.of("HOOK_TOKEN", "tok-123"));

    ChannelConfig.Webhook hook = assertInstanceOf(ChannelConfig.Webhook.class, c.channels().get(0));
    assertEquals("Bearer tok-123", hook.headers().get("Authorization").reveal());
    assertEquals("secops", hook.headers().get("X-Team").reveal());
  }

  @Test
  void a_set_variable_wins_over_the_reference_default() throws IOException {
    Path file = yaml("data_dir: ${DATA:-/default/data}\n");

    assertEquals(Path.of("/default/data"), ConfigLoader.load(file, Map.of()).dataDir());
    assertEquals(Path.of("/set/data"), ConfigLoader.load(file, Map.of("DATA", "/set/data")).dataDir());
  }

  @Test
  void a_reference_to_an_unset_variable_without_a_default_is_a_problem() throws IOException {
    Path file = yaml("data_dir: ${NOT_SET_ANYWHERE}\n");

    InvalidConfigException e = invalid(() -> ConfigLoader.load(file, Map.of()));

    assertEquals(List.of("data_dir: environment variable NOT_SET_ANYWHERE is not set"), e.problems());
  }

  @Test
  void lists_every_problem_of_a_configuration_at_once() throws IOException {
    Path file =
        yaml(
            """
            http:
              port: 70000
              colour: blue
            engine:
              tick: 5x
            default_channels: [audit-log, nowhere]
            channels:
              - name: audit-log
                type: log
              - name: audit-log
                type: log
              - name: pager
                type: carrier-pigeon
              - name: hook
                type: webhook
            """);

    InvalidConfigException e = invalid(() -> ConfigLoader.load(file, Map.of()));
    List<String> problems = e.problems();

    assertAll(
        hasProblem(problems, "http.colour", "unknown key"),
        hasProblem(problems, "engine.tick", "'5x' is not a duration"),
        hasProblem(problems, "http.port", "must be between 0 and 65535, got 70000"),
        hasProblem(problems, "channels[2].type", "unknown channel type 'carrier-pigeon'"),
        hasProblem(problems, "channels[1].name", "'audit-log' is used by another channel"),
        hasProblem(problems, "channels[3].url", "is required for a webhook channel"),
        hasProblem(problems, "default_channels", "names channel 'nowhere', which is not configured"),
        () -> assertEquals(7, problems.size(), "one problem each, nothing else: " + problems),
        () -> problems.forEach(p -> assertTrue(e.getMessage().contains(p), "the message lists " + p)));
  }

  @Test
  void refuses_a_file_that_is_not_valid_yaml_and_says_where() throws IOException {
    Path file = yaml("http:\n  port: [8080\n");

    InvalidConfigException e = invalid(() -> ConfigLoader.load(file, Map.of()));

    assertEquals(1, e.problems().size());
    assertTrue(e.problems().get(0).contains("not valid YAML"), e.problems().toString());
    assertTrue(e.problems().get(0).contains("line "), e.problems().toString());
  }

  @Test
  void refuses_a_vigil_config_variable_naming_a_missing_file() {
    Path missing = dir.resolve("missing.yaml");

    InvalidConfigException e = invalid(() -> ConfigLoader.load(Map.of("VIGIL_CONFIG", missing.toString())));

    assertEquals(List.of("VIGIL_CONFIG: file " + missing + " does not exist"), e.problems());
  }

  @Test
  void loads_the_file_named_by_vigil_config() throws IOException {
    Path file = yaml("http:\n  port: 9123\n");

    assertEquals(9123, ConfigLoader.load(Map.of("VIGIL_CONFIG", file.toString())).http().port());
  }

  @Test
  void the_effective_configuration_never_prints_a_secret() throws IOException {
    String dbPassword = "db-pass-8f3a1c";
    String adminToken = "admin-token-5e9b2d7a41c0";
    String hookToken = "hook-token-T0KEN123";
    String hmacSecret = "whsec_aG1hYy1zZWNyZXQtdmFsdWU=";
    String headerValue = "Bearer header-secret-77aa";
    Path file =
        yaml(
            """
            admin_token: %s
            db:
              url: postgresql://vigil:%s@db.example.org:5432/vigil
            channels:
              - name: hook
                type: webhook
                url: https://hooks.example.org/services/%s
                secret: %s
                headers:
                  Authorization: %s
            default_channels: [hook]
            """
                .formatted(adminToken, dbPassword, hookToken, hmacSecret, headerValue));

    VigilConfig c = ConfigLoader.load(file, Map.of());
    String printed = c.toString();

    ChannelConfig.Webhook hook = (ChannelConfig.Webhook) c.channels().get(0);
    assertEquals("https://hooks.example.org/services/" + hookToken, hook.url().reveal(), "the values were read");
    for (String secret : List.of(dbPassword, adminToken, hookToken, hmacSecret, headerValue, "header-secret-77aa")) {
      assertFalse(printed.contains(secret), "toString() shows " + secret + ": " + printed);
    }
    assertTrue(printed.contains(Secret.MASK));
  }

  @Test
  void a_problem_with_the_database_url_does_not_echo_the_password() {
    String password = "hunter2-db-password";

    InvalidConfigException e =
        invalid(() -> ConfigLoader.load(null, Map.of("VIGIL_DB_URL", "mysql://root:" + password + "@db/vigil")));

    assertEquals(1, e.problems().size());
    assertTrue(e.problems().get(0).startsWith("db.url: "), e.problems().toString());
    assertFalse(e.getMessage().contains(password), e.getMessage());
  }

  @Test
  void an_admin_token_shorter_than_16_characters_is_a_problem() {
    InvalidConfigException e = invalid(() -> ConfigLoader.load(null, Map.of("VIGIL_ADMIN_TOKEN", "short")));

    assertEquals(List.of("admin_token: must be at least 16 characters"), e.problems());
  }

  @Test
  void names_the_environment_variable_of_every_key() {
    Set<String> names = ConfigLoader.environmentVariables();

    for (String name :
        List.of(
            "VIGIL_HTTP_PORT",
            "VIGIL_DATA_DIR",
            "VIGIL_DB_URL",
            "VIGIL_RULES_DIR",
            "VIGIL_TEMPLATES_DIR",
            "VIGIL_ADMIN_TOKEN",
            "VIGIL_DELIVERY_ALLOW_PRIVATE_TARGETS",
            "VIGIL_DELIVERY_RETRY_MAX_ATTEMPTS",
            "VIGIL_DEFAULT_CHANNELS",
            "VIGIL_CONFIG")) {
      assertTrue(names.contains(name), name + " missing from " + names);
    }
    assertTrue(names.stream().allMatch(n -> n.startsWith("VIGIL_")), names.toString());
  }
}
