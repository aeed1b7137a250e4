package io.vigil.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.vertx.core.buffer.Buffer;
import io.vertx.ext.web.Router;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * {@code GET /api/v1/openapi.json}: the OpenAPI 3 description of the whole API, kept by hand
 * in {@code openapi.yaml} (easier to review than JSON) and served as JSON. It needs no token:
 * it describes the API and holds nothing of any tenant.
 */
public final class OpenApiHandler {
  public static final String PATH = "/api/v1/openapi.json";
  public static final String RESOURCE = "openapi.yaml";

  private final Buffer json;

  public OpenApiHandler() {
    this.json = Buffer.buffer(document().toString());
  }

  /** The document as a tree, read from the classpath. */
  public static JsonNode document() {
    try (InputStream in = OpenApiHandler.class.getClassLoader().getResourceAsStream(RESOURCE)) {
      if (in == null) {
        throw new IllegalStateException("missing resource " + RESOURCE);
      }
      return new ObjectMapper(new YAMLFactory()).readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  void mount(Router router) {
    router.get(PATH).handler(ctx -> ctx.response().putHeader("Content-Type", "application/json").end(json));
  }
}
