package io.vigil.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * Checks the deployment files (Dockerfile, docker-compose.yml, .ci/run) and the sample
 * vigil.yaml against the code, without a Docker engine: a renamed configuration key, a
 * misspelt environment variable or a compose database URL that does not match the postgres
 * service fails here rather than at {@code docker compose up}.
 */
class DeploymentFilesTest {
  private static final Path ROOT = Path.of(System.getProperty("basedir", "."));
  private static final Pattern INTERPOLATION =
      Pattern.compile("\\$\\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?])([^}]*))?}");

  // ---------------------------------------------------------------- vigil.yaml

  @Test
  void sampleConfigIsValid() {
    VigilConfig config = ConfigLoader.load(Path.of("vigil.yaml"), Map.of());
    assertNotNull(config);
    assertEquals(8080, config.http().port(), "vigil.yaml http.port (the image EXPOSEs 8080)");
  }

  // ---------------------------------------------------------------- docker-compose.yml

  @Test
  void composeHasTheThreeServices() throws IOException {
    JsonNode services = compose().path("services");
    for (String name : List.of("postgres", "mailcatcher", "vigil")) {
      assertTrue(services.has(name), "docker-compose.yml: service " + name + " missing");
    }
    assertTrue(services.path("postgres").path("image").asText().startsWith("postgres:17"));
    assertTrue(services.path("mailcatcher").path("image").asText().startsWith("axllent/mailpit"));
    assertTrue(services.path("postgres").has("healthcheck"), "postgres needs a healthcheck");
    assertTrue(
        services.path("postgres").path("healthcheck").path("test").toString().contains("pg_isready"),
        "postgres healthcheck should use pg_isready");
  }

  @Test
  void vigilBuildsFromHereAndWaitsForPostgres() throws IOException {
    JsonNode vigil = compose().path("services").path("vigil");
    JsonNode build = vigil.path("build");
    String context = build.isTextual() ? build.asText() : build.path("context").asText();
    assertEquals(".", context, "vigil must build from the repository root");

    JsonNode dependsOn = vigil.path("depends_on");
    if (dependsOn.isArray()) {
      fail("vigil.depends_on should wait for postgres to be healthy (long form with condition)");
    }
    assertTrue(dependsOn.has("postgres"), "vigil must depend on postgres");
    assertEquals("service_healthy", dependsOn.path("postgres").path("condition").asText());

    List<String> ports = new ArrayList<>();
    vigil.path("ports").forEach(p -> ports.add(p.asText()));
    assertTrue(ports.contains("8080:8080"), "vigil should publish 8080:8080, has " + ports);
  }

  @Test
  void vigilEnvironmentUsesOnlyKnownNames() throws IOException {
    Map<String, String> env = environment(compose().path("services").path("vigil"));
    Set<String> known = new TreeSet<>(ConfigLoader.environmentVariables());
    Set<String> referenced = referencedInSampleConfig();
    List<String> unknown = new ArrayList<>();
    for (String name : env.keySet()) {
      if (name.startsWith("VIGIL_") && !known.contains(name) && !referenced.contains(name)) {
        unknown.add(name);
      }
    }
    assertTrue(
        unknown.isEmpty(),
        "docker-compose.yml gives vigil " + unknown + ", which neither ConfigLoader reads "
            + "nor vigil.yaml references; known: " + known + ", referenced: " + referenced);
    assertTrue(env.containsKey("VIGIL_DB_URL"), "vigil must be pointed at the postgres service");
    assertEquals("8080", env.get("VIGIL_HTTP_PORT"));
  }

  @Test
  void databaseUrlMatchesThePostgresService() throws IOException {
    JsonNode services = compose().path("services");
    Map<String, String> pg = environment(services.path("postgres"));
    Map<String, String> vigil = environment(services.path("vigil"));

    URI url = URI.create(interpolate(vigil.get("VIGIL_DB_URL")));
    assertTrue(
        "postgresql".equals(url.getScheme()) || "postgres".equals(url.getScheme()),
        "VIGIL_DB_URL scheme: " + url.getScheme());
    assertEquals("postgres", url.getHost(), "VIGIL_DB_URL must name the postgres service as host");
    assertTrue(url.getPort() == -1 || url.getPort() == 5432, "postgres listens on 5432");

    String user = interpolate(pg.get("POSTGRES_USER"));
    String password = interpolate(pg.get("POSTGRES_PASSWORD"));
    String db = pg.containsKey("POSTGRES_DB") ? interpolate(pg.get("POSTGRES_DB")) : user;
    assertEquals(user + ":" + password, url.getUserInfo(), "VIGIL_DB_URL user and password");
    assertEquals("/" + db, url.getPath(), "VIGIL_DB_URL database");
  }

  @Test
  void composeEnvironmentIsAValidConfiguration() throws IOException {
    Map<String, String> env = new LinkedHashMap<>();
    environment(compose().path("services").path("vigil")).forEach((name, value) -> {
      if (value == null) {
        return; // passed through from the operator's shell; unset here
      }
      // ${VIGIL_ADMIN_TOKEN:?...} has no default: the operator must provide one.
      env.put(name, interpolate(value, Map.of("VIGIL_ADMIN_TOKEN", "compose-test-token-0123456789")));
    });
    VigilConfig config = ConfigLoader.load(Path.of("vigil.yaml"), env);
    assertTrue(config.db().url().isPresent(), "compose must configure an external database");
    assertEquals(8080, config.http().port());
  }

  // ---------------------------------------------------------------- Dockerfile

  @Test
  void dockerfileFinalStageExposes8080AndRunsTheJar() throws IOException {
    List<List<String[]>> stages = dockerStages();
    assertTrue(stages.size() >= 2, "Dockerfile should be a multi-stage build");
    assertTrue(stages.get(0).get(0)[1].startsWith("maven:3.9-eclipse-temurin-17"), "build stage image");
    assertTrue(stages.get(0).stream().anyMatch(i -> i[0].equals("RUN") && i[1].contains("mvn -B package")));

    List<String[]> last = stages.get(stages.size() - 1);
    assertTrue(last.get(0)[1].startsWith("eclipse-temurin:17-jre"), "runtime stage image");

    List<String> exposed = new ArrayList<>();
    List<String> entrypoint = new ArrayList<>();
    String user = null;
    for (String[] i : last) {
      switch (i[0]) {
        case "EXPOSE" -> exposed.addAll(List.of(i[1].trim().split("\\s+")));
        case "ENTRYPOINT" -> {
          entrypoint.clear();
          JsonNode exec = new ObjectMapper().readTree(i[1]);
          assertTrue(exec.isArray(), "ENTRYPOINT should use the exec (JSON array) form");
          exec.forEach(e -> entrypoint.add(e.asText()));
        }
        case "USER" -> user = i[1].trim();
        case "ENV" -> {
          for (String name : envNames(i[1])) {
            if (name.startsWith("VIGIL_")) {
              assertTrue(
                  ConfigLoader.environmentVariables().contains(name),
                  "Dockerfile sets " + name + ", which ConfigLoader does not read");
            }
          }
        }
        default -> {}
      }
    }
    assertTrue(
        exposed.contains("8080") || exposed.contains("8080/tcp"),
        "final stage must EXPOSE 8080, has " + exposed);
    assertEquals(List.of("java", "-jar", "/app/vigil.jar"), entrypoint);
    assertNotNull(user, "final stage must switch to a non-root USER");
    assertFalse(user.equals("root") || user.equals("0") || user.startsWith("0:") || user.startsWith("root:"),
        "final stage runs as root: USER " + user);
  }

  @Test
  void dockerfileCopiesWhatExists() throws IOException {
    for (List<String[]> stage : dockerStages()) {
      for (String[] i : stage) {
        if (!i[0].equals("COPY") || i[1].contains("--from=")) {
          continue;
        }
        String[] parts = i[1].trim().split("\\s+");
        for (int k = 0; k < parts.length - 1; k++) {
          if (!parts[k].startsWith("--")) {
            assertTrue(Files.exists(ROOT.resolve(parts[k])), "Dockerfile COPYs missing " + parts[k]);
          }
        }
      }
    }
  }

  // ---------------------------------------------------------------- .ci/run

  @Test
  void ciRunsMavenVerify() throws IOException {
    Path run = ROOT.resolve(".ci/run");
    assertTrue(Files.isRegularFile(run), ".ci/run missing");
    assertTrue(Files.isExecutable(run), ".ci/run must be executable");
    List<String> lines = Files.readAllLines(run);
    assertTrue(lines.get(0).startsWith("#!") && lines.get(0).contains("bash"), ".ci/run must be bash");
    assertTrue(lines.stream().anyMatch(l -> l.trim().equals("set -euo pipefail")));
    assertTrue(
        lines.stream().anyMatch(l -> l.trim().equals("mvn -B verify")),
        ".ci/run must run exactly `mvn -B verify`");
  }

  // ---------------------------------------------------------------- helpers

  private static JsonNode compose() throws IOException {
    return new ObjectMapper(new YAMLFactory()).readTree(ROOT.resolve("docker-compose.yml").toFile());
  }

  /** A service's environment, map or list form; a name without a value maps to null. */
  private static Map<String, String> environment(JsonNode service) {
    Map<String, String> env = new LinkedHashMap<>();
    JsonNode e = service.path("environment");
    if (e.isObject()) {
      Iterator<Map.Entry<String, JsonNode>> it = e.fields();
      while (it.hasNext()) {
        Map.Entry<String, JsonNode> f = it.next();
        env.put(f.getKey(), f.getValue().isNull() ? null : f.getValue().asText());
      }
    } else if (e.isArray()) {
      for (JsonNode item : e) {
        String s = item.asText();
        int eq = s.indexOf('=');
        env.put(eq < 0 ? s : s.substring(0, eq), eq < 0 ? null : s.substring(eq + 1));
      }
    }
    return env;
  }

  /** Compose interpolation with an empty host environment: defaults only. */
  private static String interpolate(String value) {
    return interpolate(value, Map.of());
  }

  private static String interpolate(String value, Map<String, String> host) {
    assertNotNull(value);
    Matcher m = INTERPOLATION.matcher(value.replace("$$", "\u0000"));
    StringBuilder out = new StringBuilder();
    while (m.find()) {
      String name = m.group(1);
      String op = m.group(2);
      String v = host.get(name);
      boolean unsetOrEmpty = v == null || (op != null && op.startsWith(":") && v.isEmpty());
      if (op != null && op.endsWith("-") && unsetOrEmpty) {
        v = m.group(3);
      } else if (op != null && op.endsWith("?") && unsetOrEmpty) {
        fail("docker-compose.yml requires " + name + " (" + m.group(3) + ")");
      } else if (v == null) {
        v = "";
      }
      m.appendReplacement(out, Matcher.quoteReplacement(v));
    }
    m.appendTail(out);
    return out.toString().replace("\u0000", "$");
  }

  /** VIGIL_* names written as ${NAME...} in vigil.yaml, outside comments. */
  private static Set<String> referencedInSampleConfig() throws IOException {
    Set<String> names = new TreeSet<>();
    for (String line : Files.readAllLines(ROOT.resolve("vigil.yaml"))) {
      if (line.trim().startsWith("#")) {
        continue;
      }
      Matcher m = INTERPOLATION.matcher(line);
      while (m.find()) {
        if (m.group(1).startsWith("VIGIL_")) {
          names.add(m.group(1));
        }
      }
    }
    return names;
  }

  /** The Dockerfile's instructions as {KEYWORD, arguments}, grouped by stage (FROM). */
  private static List<List<String[]>> dockerStages() throws IOException {
    List<String> instructions = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (String line : Files.readAllLines(ROOT.resolve("Dockerfile"))) {
      String t = line.trim();
      if (t.startsWith("#") || (t.isEmpty() && current.length() == 0)) {
        continue;
      }
      if (t.endsWith("\\")) {
        current.append(t, 0, t.length() - 1).append(' ');
        continue;
      }
      current.append(t);
      instructions.add(current.toString().trim());
      current.setLength(0);
    }
    if (current.length() > 0) {
      instructions.add(current.toString().trim());
    }
    List<List<String[]>> stages = new ArrayList<>();
    for (String instruction : instructions) {
      if (instruction.isEmpty()) {
        continue;
      }
      String[] kv = instruction.split("\\s+", 2);
      String[] i = {kv[0].toUpperCase(Locale.ROOT), kv.length > 1 ? kv[1] : ""};
      if (i[0].equals("FROM")) {
        stages.add(new ArrayList<>());
      }
      assertFalse(stages.isEmpty(), "Dockerfile: " + i[0] + " before FROM");
      stages.get(stages.size() - 1).add(i);
    }
    return stages;
  }

  /** Names set by an ENV instruction (NAME=value ... or the legacy NAME value form). */
  private static List<String> envNames(String args) {
    List<String> names = new ArrayList<>();
    Matcher m = Pattern.compile("(?:^|\\s)([A-Za-z_][A-Za-z0-9_]*)=").matcher(args);
    while (m.find()) {
      names.add(m.group(1));
    }
    if (names.isEmpty()) {
      names.add(args.trim().split("\\s+")[0]);
    }
    return names;
  }
}
