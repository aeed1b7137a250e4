package io.vigil.api;

import freemarker.template.Template;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vigil.delivery.OutboundMessage;
import io.vigil.store.AuditLog;
import io.vigil.template.MessageModel;
import io.vigil.template.TemplateCheck;
import io.vigil.template.TemplateError;
import io.vigil.template.Templates;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.function.BiFunction;

/**
 * {@code /api/v1/templates}: the template files, {@code /{type}/{file}} (read: {@code read};
 * write and delete: {@code operator}, since templates are global), and a preview that renders
 * every part of a channel type against a stored alert of the caller's tenant or a sample.
 * The body of a PUT is the template text. An upload is parsed and checked ({@link
 * TemplateCheck}) before anything is written, then written atomically (temp file, rename),
 * so a rejected one ({@code 422 invalid_template} with file, line and column) leaves the file
 * as it was. Every change and every rejected upload is audited with the text's SHA-256.
 * Preview text sent in the request ({@code source}) needs {@code operator} like an upload.
 */
public final class TemplatesHandler {
  private static final Set<String> EVENTS = Set.of("alert.raised", "alert.acknowledged", "alert.resolved", "alert.repeated",
      "test",
      OutboundMessage.DIGEST, OutboundMessage.HELD_BACK);
  /** The batch events and the templates that render them; their previews use sample data. */
  private static final Map<String, String> BATCH_TEMPLATES = Map.of(
      OutboundMessage.DIGEST, "digest", OutboundMessage.HELD_BACK, "held_back");

  private final Vertx vertx;
  private final Templates templates;
  private final BiFunction<String, UUID, Future<Optional<JsonObject>>> alerts;
  private final AuditLog audit;
  private final Optional<String> publicUrl;
  private final Clock clock;

  /**
   * @param alerts an alert of a tenant by id, as the alerts API shows it, or empty
   * @param publicUrl {@code http.public_url}, for {@code alert.url} in previews
   */
  public TemplatesHandler(
      Vertx vertx, Templates templates, BiFunction<String, UUID, Future<Optional<JsonObject>>> alerts, AuditLog audit,
      Optional<String> publicUrl, Clock clock) {
    this.vertx = vertx;
    this.templates = templates;
    this.alerts = alerts;
    this.audit = audit;
    this.publicUrl = publicUrl;
    this.clock = clock;
  }

  public void mount(Router router) {
    router.post("/api/v1/templates/preview").handler(this::preview);
    router.get("/api/v1/templates/:type/:file").handler(this::getFile);
    router.put("/api/v1/templates/:type/:file").handler(this::putFile);
    router.delete("/api/v1/templates/:type/:file").handler(this::deleteFile);
  }

  private void getFile(RoutingContext ctx) {
    ApiRouter.require(ctx, Scope.READ);
    Path file = file(ctx);
    String name = displayName(ctx);
    vertx.executeBlocking(() -> {
      try {
        return Optional.of(Files.readString(file));
      } catch (NoSuchFileException e) {
        return Optional.<String>empty();
      }
    }, false).onComplete(ar -> {
      if (ar.failed()) {
        ctx.fail(ar.cause());
      } else if (ar.result().isEmpty()) {
        ctx.fail(ApiError.notFound("template " + name));
      } else {
        ctx.response().putHeader("Content-Type", "text/plain; charset=utf-8").end(ar.result().get());
      }
    });
  }

  private void putFile(RoutingContext ctx) {
    Principal p = ApiRouter.require(ctx, Scope.OPERATOR);
    Path file = file(ctx);
    String name = displayName(ctx);
    String text = ctx.body() == null || ctx.body().buffer() == null ? "" : ctx.body().asString("UTF-8");
    if (text.isBlank()) {
      throw new ApiError(ErrorCode.INVALID_REQUEST, "the body must be the text of the template");
    }
    String hash = AuditLog.sha256(text);
    vertx.executeBlocking(() -> {
      TemplateCheck.Result check = templates.check(name, text);
      if (!check.ok()) {
        return new Upload(check.errors(), false);
      }
      boolean existed = Files.exists(file);
      writeAtomically(file, text);
      return new Upload(List.of(), existed);
    }, false).onComplete(ar -> {
      if (ar.failed()) {
        ctx.fail(ar.cause());
        return;
      }
      Upload u = ar.result();
      if (!u.errors().isEmpty()) {
        JsonArray details = details(u.errors());
        record(p, "templates.put", name, hash, "rejected", new JsonObject().put("errors", details))
            .onComplete(x -> ctx.fail(new ApiError(ErrorCode.INVALID_TEMPLATE,
                u.errors().size() + " error(s); the template was not written", details)));
        return;
      }
      record(p, "templates.put", name, hash, "ok", new JsonObject().put("created", !u.existed()))
          .onComplete(x -> {
            ctx.response().setStatusCode(u.existed() ? 200 : 201);
            ctx.json(new JsonObject().put("file", name).put("sha256", hash)
                .put("bytes", text.getBytes(StandardCharsets.UTF_8).length).put("created", !u.existed()));
          });
    });
  }

  private record Upload(List<TemplateError> errors, boolean existed) {}

  private void deleteFile(RoutingContext ctx) {
    Principal p = ApiRouter.require(ctx, Scope.OPERATOR);
    Path file = file(ctx);
    String name = displayName(ctx);
    vertx.executeBlocking(() -> {
      String previous;
      try {
        previous = Files.readString(file);
      } catch (NoSuchFileException e) {
        return Optional.<String>empty();
      } catch (IOException e) {
        // Not text; it is deleted all the same.
        previous = null;
      }
      return Files.deleteIfExists(file) ? Optional.of(previous == null ? "" : previous) : Optional.<String>empty();
    }, false).onComplete(ar -> {
      if (ar.failed()) {
        ctx.fail(ar.cause());
      } else if (ar.result().isEmpty()) {
        ctx.fail(ApiError.notFound("template " + name));
      } else {
        record(p, "templates.delete", name, AuditLog.sha256(ar.result().get()), "ok", null)
            .onComplete(x -> ctx.json(new JsonObject().put("file", name).put("deleted", true)));
      }
    });
  }

  private void preview(RoutingContext ctx) {
    Principal p = ApiRouter.require(ctx, Scope.READ);
    JsonObject body = ApiRouter.jsonBody(ctx);
    String type = text(body, "type");
    if (type == null || !Templates.CHANNEL_TYPES.contains(type)) {
      throw new ApiError(ErrorCode.INVALID_REQUEST, "type must be one of " + String.join(", ", Templates.CHANNEL_TYPES));
    }
    Optional<String> name = Optional.ofNullable(text(body, "template"));
    if (name.isPresent() && !Templates.NAME.matcher(name.get()).matches()) {
      throw new ApiError(ErrorCode.INVALID_REQUEST, "template is a name of letters, digits, '-' or '_', as in @template");
    }
    String event = Optional.ofNullable(text(body, "event")).orElse("alert.raised");
    if (!EVENTS.contains(event)) {
      throw new ApiError(ErrorCode.INVALID_REQUEST, "event must be one of " + String.join(", ", EVENTS.stream().sorted().toList()));
    }
    Map<String, String> sources = sources(body, type, p);
    Optional<String> batch = Optional.ofNullable(BATCH_TEMPLATES.get(event));
    if (batch.isPresent() && (name.isPresent() || body.getValue("alert_id") != null)) {
      throw new ApiError(ErrorCode.INVALID_REQUEST, event + " is rendered from the " + batch.get()
          + " template with sample data: template and alert_id do not apply");
    }
    Future<JsonObject> alert;
    if (body.getValue("alert_id") == null) {
      alert = Future.succeededFuture(MessageModel.sampleAlert(p.tenant(), clock.instant()));
    } else {
      UUID id = alertId(body.getValue("alert_id"));
      alert = alerts.apply(p.tenant(), id).compose(found -> found
          .map(a -> Future.succeededFuture(MessageModel.alertFields(a)))
          .orElseGet(() -> Future.failedFuture(ApiError.notFound("alert"))));
    }
    alert.compose(a -> vertx.executeBlocking(() -> render(type, batch.or(() -> name), event, sources,
            model(p.tenant(), type, event, a), batch.isPresent()), false))
        .onComplete(ar -> {
          if (ar.failed()) {
            ctx.fail(ar.cause());
          } else {
            ctx.json(ar.result());
          }
        });
  }

  /** What the templates see: the alert's model, or sample data for a digest or held-back notice. */
  private Map<String, Object> model(String tenant, String type, String event, JsonObject alert) {
    return switch (event) {
      case OutboundMessage.DIGEST -> MessageModel.sampleDigest(tenant, clock.instant(), "preview", type, publicUrl,
          templates.masking());
      case OutboundMessage.HELD_BACK -> {
        Instant hour = clock.instant().truncatedTo(java.time.temporal.ChronoUnit.HOURS).minus(Duration.ofHours(1));
        yield MessageModel.heldBack(tenant, 7, Optional.of(MessageModel.sampleAlert(tenant, hour).getString("rule")),
            hour, hour.plus(Duration.ofHours(1)), "preview", type);
      }
      default -> MessageModel.of(alert, event, "preview", type, publicUrl, templates.masking());
    };
  }

  /** Renders every part; any template error fails the whole preview with all errors found. */
  private JsonObject render(String type, Optional<String> name, String event, Map<String, String> sources,
      Map<String, Object> model, boolean batch) throws IOException {
    JsonObject parts = new JsonObject();
    JsonObject used = new JsonObject();
    List<TemplateError> errors = new ArrayList<>();
    List<TemplateError> warnings = new ArrayList<>();
    for (String part : Templates.parts(type)) {
      String file = type + "/" + Templates.fileName(name.orElse("default"), part);
      Template template;
      if (sources.containsKey(part)) {
        TemplateCheck.Result check = templates.check(file, sources.get(part));
        if (!check.ok()) {
          errors.addAll(check.errors());
          continue;
        }
        template = check.template();
        used.put(part, "source");
      } else {
        template = batch ? templates.resolveBatch(type, name.orElseThrow(), part) : templates.resolve(type, name, part);
        used.put(part, templates.isBuiltIn(template) ? "built-in" : template.getName());
        for (String candidate : candidates(type, name, part)) {
          templates.rejection(type, candidate).ifPresent(warnings::add);
        }
      }
      try {
        parts.put(part, templates.render(template, model));
      } catch (Exception e) {
        errors.add(TemplateError.of(sources.containsKey(part) ? file : template.getName(), e));
      }
    }
    if (!errors.isEmpty()) {
      throw new ApiError(ErrorCode.INVALID_TEMPLATE, errors.size() + " template error(s)", details(errors));
    }
    return new JsonObject().put("type", type).put("event", event).put("parts", parts).put("templates", used)
        .put("warnings", details(warnings));
  }

  private static List<String> candidates(String type, Optional<String> name, String part) {
    List<String> files = new ArrayList<>();
    name.ifPresent(n -> files.add(Templates.fileName(n, part)));
    if (name.isEmpty() || !Templates.BATCH_TEMPLATES.contains(name.get())) {
      files.add(Templates.fileName("default", part));
    }
    return files;
  }

  /**
   * {@code source}: text for the single part of most types (for email, name it with {@code
   * part}), or an object of part to text. Running sent text needs {@code operator}.
   */
  private static Map<String, String> sources(JsonObject body, String type, Principal p) {
    Object source = body.getValue("source");
    if (source == null) {
      return Map.of();
    }
    if (!p.has(Scope.OPERATOR)) {
      throw new ApiError(ErrorCode.FORBIDDEN, "previewing template text sent in the request needs the 'operator' scope");
    }
    List<String> parts = Templates.parts(type);
    Map<String, String> out = new LinkedHashMap<>();
    if (source instanceof String s) {
      String part = Optional.ofNullable(text(body, "part")).orElse(parts.size() == 1 ? parts.get(0) : null);
      if (part == null || !parts.contains(part)) {
        throw new ApiError(ErrorCode.INVALID_REQUEST, "part must be one of " + String.join(", ", parts)
            + " for " + type + " templates");
      }
      out.put(part, s);
    } else if (source instanceof JsonObject o) {
      for (String part : o.fieldNames()) {
        if (!parts.contains(part) || !(o.getValue(part) instanceof String s)) {
          throw new ApiError(ErrorCode.INVALID_REQUEST, "source maps parts of " + type + " templates ("
              + String.join(", ", parts.stream().map(x -> "\"" + x + "\"").toList()) + ") to template text");
        }
        out.put(part, s);
      }
    } else {
      throw new ApiError(ErrorCode.INVALID_REQUEST, "source must be template text or an object of part to text");
    }
    return out;
  }

  private static String text(JsonObject body, String field) {
    Object v = body.getValue(field);
    if (v != null && !(v instanceof String)) {
      throw new ApiError(ErrorCode.INVALID_REQUEST, field + " must be a string");
    }
    return (String) v;
  }

  private static UUID alertId(Object value) {
    try {
      return UUID.fromString((String) value);
    } catch (IllegalArgumentException | ClassCastException e) {
      // Not an id any alert can have: the same answer as an id of another tenant.
      throw ApiError.notFound("alert");
    }
  }

  private static JsonArray details(List<TemplateError> errors) {
    JsonArray out = new JsonArray();
    for (TemplateError e : errors) {
      out.add(new JsonObject().put("file", e.file()).put("line", e.line()).put("column", e.column())
          .put("message", e.message()));
    }
    return out;
  }

  private Future<Void> record(Principal p, String action, String target, String hash, String result, JsonObject details) {
    return audit.record(new AuditLog.Entry(clock.instant(), p.keyId(), null, action, target, hash, result, details))
        .otherwiseEmpty();
  }

  private static void writeAtomically(Path file, String text) throws IOException {
    Path dir = Files.createDirectories(file.getParent());
    Path tmp = Files.createTempFile(dir, ".upload-", ".tmp");
    try {
      Files.writeString(tmp, text, StandardCharsets.UTF_8);
      // The temp file is in the same directory, so the rename is atomic: a reader sees the old text or the new.
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** {@code <templates dir>/<type>/<file>}, for a type and file name that cannot leave that directory. */
  private Path file(RoutingContext ctx) {
    String type = ctx.pathParam("type");
    String file = ctx.pathParam("file");
    if (!Templates.CHANNEL_TYPES.contains(type)) {
      throw new ApiError(ErrorCode.INVALID_REQUEST, "the channel type must be one of "
          + String.join(", ", Templates.CHANNEL_TYPES));
    }
    if (!Templates.FILE_NAME.matcher(file).matches()) {
      throw new ApiError(ErrorCode.INVALID_REQUEST, "a template file name is <name>.ftl, <name>.<part>.ftl or "
          + "<name>.html.ftlh, where name and part are letters, digits, '-' or '_'");
    }
    return templates.directory().resolve(type).resolve(file);
  }

  private static String displayName(RoutingContext ctx) {
    return ctx.pathParam("type") + "/" + ctx.pathParam("file");
  }
}
