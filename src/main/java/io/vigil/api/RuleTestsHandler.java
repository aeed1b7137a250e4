package io.vigil.api;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.ext.web.Router;
import io.vertx.ext.web.RoutingContext;
import io.vigil.engine.RuleReloader;
import io.vigil.engine.RuleTester;
import io.vigil.ruletest.TestCase;
import io.vigil.ruletest.TestCaseParser;
import io.vigil.ruletest.TestRunner;
import java.time.Clock;
import java.util.Map;
import java.util.Set;

/**
 * {@code POST /api/v1/rules/test}: runs events through a fresh session on a pseudo clock and
 * answers the alerts that would be raised. Nothing is stored or delivered. Without {@code
 * rules} it runs the live rules and the caller's policies ({@code read}); rules sent in the
 * request are code run in the server, so they need {@code operator}.
 */
public final class RuleTestsHandler {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Vertx vertx;
  private final RuleReloader reloader;
  private final TestRunner runner;
  private final Set<String> channels;
  private final Clock clock;

  public RuleTestsHandler(Vertx vertx, RuleReloader reloader, TestRunner runner, Set<String> channels, Clock clock) {
    this.vertx = vertx;
    this.reloader = reloader;
    this.runner = runner;
    this.channels = channels;
    this.clock = clock;
  }

  public void mount(Router router) {
    router.post("/api/v1/rules/test").handler(this::test);
  }

  private void test(RoutingContext ctx) {
    Principal p = ApiRouter.require(ctx, Scope.READ);
    JsonNode body;
    try {
      body = JSON.readTree(ctx.body() == null || ctx.body().buffer() == null ? "" : ctx.body().asString("UTF-8"));
    } catch (Exception e) {
      throw new ApiError(ErrorCode.INVALID_JSON, "the body is not valid JSON");
    }
    TestCase c;
    try {
      c = TestCaseParser.parse(body, "request", clock);
    } catch (TestCaseParser.Invalid e) {
      throw new ApiError(ErrorCode.INVALID_REQUEST, "the test is not valid: " + e.getMessage(),
          new JsonArray(e.problems().stream().map(m -> (Object) new JsonObject().put("message", m)).toList()));
    }
    if (c.rules().isPresent() && !p.has(Scope.OPERATOR)) {
      throw new ApiError(ErrorCode.FORBIDDEN, "testing DRL sent in the request needs the 'operator' scope");
    }
    Future<Map<String, String>> sources = c.rules().isPresent()
        ? Future.succeededFuture(c.rules().get())
        : reloader.liveSources(p.tenant());
    sources.compose(files -> vertx.executeBlocking(() -> {
          try (RuleTester tester = RuleTester.of(files, channels, p.tenant())) {
            return runner.run(tester, c, p.tenant());
          }
        }, false))
        .onComplete(ar -> {
          if (ar.failed()) {
            ctx.fail(ar.cause() instanceof RuleTester.RulesDoNotCompile e
                ? new ApiError(ErrorCode.INVALID_RULE, e.errors().size() + " error(s) in the rules",
                    RulesHandler.errors(e.errors()))
                : ar.cause());
            return;
          }
          JsonArray alerts = new JsonArray();
          for (TestRunner.Fired f : ar.result().alerts()) {
            alerts.add(new JsonObject().put("rule", f.rule()).put("key", f.key()).put("severity", f.severity())
                .put("summary", f.summary()).put("at", f.at().toString()).put("suppressed", f.suppressed()));
          }
          JsonObject out = new JsonObject().put("alerts", alerts);
          if (!c.expect().isEmpty() || !c.expectNone().isEmpty()) {
            out.put("passed", ar.result().passed()).put("failures", new JsonArray(ar.result().failures()));
          }
          ctx.json(out);
        });
  }
}
