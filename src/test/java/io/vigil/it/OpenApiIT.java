package io.vigil.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.swagger.v3.parser.OpenAPIV3Parser;
import io.swagger.v3.parser.core.models.ParseOptions;
import io.swagger.v3.parser.core.models.SwaggerParseResult;
import io.vertx.core.http.HttpMethod;
import io.vertx.ext.web.Route;
import io.vigil.api.ErrorCode;
import io.vigil.api.Scope;
import io.vigil.testing.Api;
import io.vigil.testing.TestDatabase;
import io.vigil.testing.TestServer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The OpenAPI document served at {@code /api/v1/openapi.json} describes exactly the routes
 * the running server mounts: a route added without documenting it, or a documented path that
 * is not served, fails the build with the method and path named. The document is valid
 * OpenAPI 3, and what it says about authentication is what the server does.
 */
class OpenApiIT {
  private static final Set<String> HTTP_METHODS = Set.of("get", "put", "post", "delete", "patch", "head", "options");

  static TestServer server;
  static JsonNode doc;

  @BeforeAll
  static void start() throws Exception {
    TestDatabase.truncate();
    server = TestServer.builder().start();
    Api.Response r = server.api(null).get("/api/v1/openapi.json");
    assertEquals(200, r.status(), r.body());
    doc = new ObjectMapper().readTree(r.body());
  }

  @AfterAll
  static void stop() {
    server.close();
  }

  @Test
  @DisplayName("the document is served as JSON to anyone, without a token")
  void served_without_a_token() {
    Api.Response r = server.api(null).get("/api/v1/openapi.json");
    assertEquals(200, r.status());
    assertTrue(r.header("Content-Type").startsWith("application/json"), r.header("Content-Type"));
    assertTrue(doc.path("openapi").asText().startsWith("3."), "an OpenAPI 3 document");
    assertTrue(doc.path("paths").size() > 20, "it describes the API");
  }

  @Test
  @DisplayName("every mounted route is documented with its method, and every documented operation is mounted")
  void routes_and_document_agree() {
    Set<String> mounted = mountedOperations();
    Set<String> documented = documentedOperations();

    Set<String> undocumented = new TreeSet<>(mounted);
    undocumented.removeAll(documented);
    Set<String> notServed = new TreeSet<>(documented);
    notServed.removeAll(mounted);
    assertTrue(undocumented.isEmpty() && notServed.isEmpty(),
        "src/main/resources/openapi.yaml and the server's routes differ:\n"
            + "  mounted but not documented: " + undocumented + "\n"
            + "  documented but not mounted: " + notServed);
    assertTrue(mounted.contains("POST /api/v1/events") && mounted.contains("GET /api/v1/alerts/{id}"),
        "the route listing works: " + mounted);
  }

  @Test
  @DisplayName("the document is valid OpenAPI 3 with every reference resolved")
  void valid_openapi() {
    ParseOptions options = new ParseOptions();
    options.setResolve(true);
    SwaggerParseResult result = new OpenAPIV3Parser().readContents(doc.toString(), null, options);
    assertNotNull(result.getOpenAPI(), "parsed: " + result.getMessages());
    assertEquals(List.of(), result.getMessages(), "the parser's complaints");
    assertEquals(documentedOperations().size(),
        result.getOpenAPI().getPaths().values().stream().mapToInt(p -> p.readOperations().size()).sum());
  }

  @Test
  @DisplayName("every /api/v1 operation names a known scope and needs a token; the public ones answer without one")
  void authentication_is_as_documented() {
    Set<String> scopes = Arrays.stream(Scope.values()).map(Scope::label).collect(Collectors.toSet());
    Api anonymous = server.api(null);
    List<String> wrong = new ArrayList<>();
    forEachOperation((method, path, op) -> {
      boolean isPublic = op.has("security") && op.get("security").isEmpty();
      String concrete = path.replaceAll("\\{[^}]+}", "x");
      int status = anonymous.send(method.toUpperCase(Locale.ROOT), concrete, null, null).status();
      if (isPublic) {
        if (status == 401 || status == 403) {
          wrong.add(method + " " + path + " is documented public but answers " + status);
        }
        return;
      }
      JsonNode x = op.path("x-scopes");
      if (!x.isArray() || x.isEmpty()) {
        wrong.add(method + " " + path + " has no x-scopes");
      }
      x.forEach(s -> {
        if (!scopes.contains(s.asText())) {
          wrong.add(method + " " + path + " names unknown scope " + s.asText());
        }
      });
      if (!op.path("responses").has("401")) {
        wrong.add(method + " " + path + " does not document 401");
      }
      if (status != 401) {
        wrong.add(method + " " + path + " answers " + status + " without a token, not 401");
      }
    });
    assertEquals(List.of(), wrong);
  }

  @Test
  @DisplayName("the documented error codes are exactly the server's")
  void error_codes_match() {
    Set<String> documented = new TreeSet<>();
    doc.at("/components/schemas/Error/properties/error/properties/code/enum").forEach(c -> documented.add(c.asText()));
    Set<String> actual = Arrays.stream(ErrorCode.values()).map(ErrorCode::code).collect(Collectors.toCollection(TreeSet::new));
    assertEquals(actual, documented);
  }

  /** "METHOD /path/{param}" for every route with a concrete path; any other route must be middleware. */
  private static Set<String> mountedOperations() {
    Set<String> out = new TreeSet<>();
    List<String> unclear = new ArrayList<>();
    for (Route r : server.server().router().getRoutes()) {
      Set<HttpMethod> methods = r.methods();
      boolean anyMethod = methods == null || methods.isEmpty();
      String path = r.getPath();
      // Vert.x turns ":param" paths into patterns: those are operations; a path without one that
      // is not exact ends in "*".
      boolean prefix = path == null || (!r.isExactPath() && !path.contains(":"));
      if (prefix) {
        if (!anyMethod) {
          unclear.add(methods + " " + (path == null ? "(regex)" : path + "*"));
        }
        continue; // middleware: request ids, body limits, authentication, the failure handler
      }
      if (anyMethod) {
        unclear.add("any method " + path);
        continue;
      }
      String documented = path.replaceAll(":([A-Za-z0-9_]+)", "{$1}");
      methods.forEach(m -> out.add(m.name() + " " + documented));
    }
    assertEquals(List.of(), unclear, "routes that cannot be matched against the document (give them a path and methods)");
    return out;
  }

  private static Set<String> documentedOperations() {
    Set<String> out = new TreeSet<>();
    forEachOperation((method, path, op) -> out.add(method.toUpperCase(Locale.ROOT) + " " + path));
    return out;
  }

  interface OperationVisitor {
    void visit(String method, String path, JsonNode operation);
  }

  private static void forEachOperation(OperationVisitor v) {
    Iterator<Map.Entry<String, JsonNode>> paths = doc.path("paths").fields();
    while (paths.hasNext()) {
      Map.Entry<String, JsonNode> p = paths.next();
      p.getValue().fields().forEachRemaining(e -> {
        if (HTTP_METHODS.contains(e.getKey())) {
          v.visit(e.getKey(), p.getKey(), e.getValue());
        }
      });
    }
  }
}
