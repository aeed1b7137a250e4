package io.vigil.template;

import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import freemarker.template.Template;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A render that runs past the deadline is abandoned: the caller gets {@link
 * RenderDeadlineException} at the deadline and can send the built-in text. A template
 * looping in FTL is interrupted and frees its thread; work FreeMarker cannot interrupt keeps
 * its thread until it ends, but never holds the caller.
 */
class TemplateDeadlineTest {
  static final Duration DEADLINE = Duration.ofMillis(300);
  static final String ENDLESS = "<#list 1.. as i><#list 1.. as j></#list></#list>";

  @TempDir Path dir;
  Templates templates;
  Map<String, Object> model;
  ExecutorService callers;

  @BeforeEach
  void setUp() throws Exception {
    templates = new Templates(dir, Masking.DEFAULT, DEADLINE);
    model = MessageModel.of(new JsonObject().put("id", "a1").put("rule", "R").put("severity", "high")
        .put("summary", "S").put("occurrences", 1), "hook", "webhook", Optional.empty());
    callers = Executors.newCachedThreadPool();
  }

  @AfterEach
  void tearDown() {
    callers.shutdownNow();
  }

  /** How long a render took to fail with the deadline, in milliseconds. */
  long millisToDeadline(Template t, Map<String, Object> m) {
    long t0 = System.nanoTime();
    assertThrows(RenderDeadlineException.class, () -> templates.render(t, m));
    return (System.nanoTime() - t0) / 1_000_000;
  }

  @Test
  @DisplayName("a template file looping forever without output is abandoned at the deadline and its thread is freed")
  void endless_loop_is_abandoned_and_interrupted() throws Exception {
    Files.createDirectories(dir.resolve("webhook"));
    Files.writeString(dir.resolve("webhook/default.ftl"), ENDLESS);
    Template t = templates.resolve("webhook", Optional.empty());
    assertEquals("webhook/default.ftl", t.getName(), "the endless template passed the check and is in use");

    long ms = millisToDeadline(t, model);
    assertTrue(ms >= DEADLINE.toMillis() && ms < DEADLINE.toMillis() + 2_000, "abandoned after " + ms + " ms");
    await().atMost(Duration.ofSeconds(5)).until(() -> templates.rendersRunning() == 0);
    assertEquals("[high] S", templates.renderBuiltIn("", model), "the built-in text stands in");
  }

  @Test
  @DisplayName("twice as many endless renders as template threads all end at the deadline and leave every thread free")
  void many_endless_renders_free_every_thread() throws Exception {
    Template endless = templates.check("webhook/x.ftl", ENDLESS).template();
    List<Future<Long>> results = new ArrayList<>();
    for (int i = 0; i < 2 * Templates.RENDER_THREADS; i++) {
      results.add(callers.submit(() -> millisToDeadline(endless, model)));
    }
    for (Future<Long> r : results) {
      long ms = r.get();
      assertTrue(ms < DEADLINE.toMillis() + 2_000, "every caller released near the deadline: " + ms + " ms");
    }
    await().atMost(Duration.ofSeconds(5)).until(() -> templates.rendersRunning() == 0);
    Template quick = templates.check("webhook/y.ftl", "ok ${alert.rule}").template();
    assertEquals("ok R", templates.render(quick, model), "the threads render again");
  }

  @Test
  @DisplayName("a render stuck where FreeMarker cannot interrupt it releases the caller at the deadline and keeps only its own thread")
  void uninterruptible_work_releases_the_caller() throws Exception {
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    Map<String, Object> stuck = new AbstractMap<>() {
      @Override
      public Set<Entry<String, Object>> entrySet() {
        return Set.of();
      }

      @Override
      public Object get(Object key) {
        entered.countDown();
        // Ignores interrupts, like a long built-in or a backtracking regular expression.
        while (true) {
          try {
            release.await();
            return "late";
          } catch (InterruptedException e) {
            // keep waiting
          }
        }
      }
    };
    Template t = templates.check("webhook/x.ftl", "${alert.summary}").template();
    long ms = millisToDeadline(t, Map.of("alert", stuck));
    assertTrue(ms >= DEADLINE.toMillis() && ms < DEADLINE.toMillis() + 2_000, "caller released after " + ms + " ms");
    entered.await();
    assertEquals(1, templates.rendersRunning(), "the abandoned render still holds its thread");
    Template quick = templates.check("webhook/y.ftl", "ok ${alert.rule}").template();
    assertEquals("ok R", templates.render(quick, model), "other renders use the other threads");

    release.countDown();
    await().atMost(Duration.ofSeconds(5)).until(() -> templates.rendersRunning() == 0);
  }

  @Test
  @DisplayName("a failure inside the render, such as runaway recursion, comes back to the caller as an error, not a hang")
  void recursion_fails_fast() {
    Template t = templates.check("webhook/x.ftl", "<#macro m><@m/></#macro><@m/>").template();
    Exception e = assertThrows(Exception.class, () -> templates.render(t, model));
    assertTrue(!(e instanceof RenderDeadlineException), "failed before the deadline: " + e);
    assertInstanceOf(StackOverflowError.class, rootCause(e), e.toString());
  }

  static Throwable rootCause(Throwable e) {
    Throwable c = e;
    while (c.getCause() != null && c.getCause() != c) {
      c = c.getCause();
    }
    return c instanceof ExecutionException x ? x.getCause() : c;
  }
}
