package io.vigil.alert.silence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonObject;
import io.vigil.alert.silence.MaintenanceWindow.Window;
import io.vigil.alert.silence.Silence.Status;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** A silence's own start and end, and its maintenance windows cut to them. */
class SilenceScheduleTest {
  static Silence silence(String startsAt, String endsAt, String recurrence) {
    JsonObject body = new JsonObject().put("matchers", new io.vertx.core.json.JsonArray()
            .add(new JsonObject().put("name", "rule").put("op", "=").put("value", "r")))
        .put("starts_at", startsAt).put("ends_at", endsAt);
    if (recurrence != null) {
      body.put("recurrence", new JsonObject(recurrence));
    }
    SilenceParser.Result r = SilenceParser.parse(body, UUID.randomUUID(), "acme", "k", Instant.parse(startsAt));
    assertTrue(r.ok(), () -> r.problems().toString());
    return r.silence();
  }

  static Instant t(String s) {
    return Instant.parse(s);
  }

  @Test
  @DisplayName("a one-off silence: pending before its start, active from it, expired from its end")
  void one_off() {
    Silence s = silence("2026-11-22T10:00:00Z", "2026-11-22T12:00:00Z", null);
    assertEquals(Status.PENDING, s.status(t("2026-11-22T09:59:59.999Z")));
    assertFalse(s.activeAt(t("2026-11-22T09:59:59.999Z")));
    assertEquals(Status.ACTIVE, s.status(t("2026-11-22T10:00:00Z")));
    assertTrue(s.activeAt(t("2026-11-22T11:59:59.999Z")));
    assertEquals(Status.EXPIRED, s.status(t("2026-11-22T12:00:00Z")));
    assertFalse(s.activeAt(t("2026-11-22T12:00:00Z")));
    assertEquals(Optional.empty(), s.window(t("2026-11-22T11:00:00Z")), "only recurring silences have windows");
  }

  @Test
  @DisplayName("a recurring silence is active only inside its windows and only between its start and end")
  void recurring() {
    // Every night 22:00-02:00 UTC, from Monday 23 November 23:00 to Thursday 26 November 01:00.
    Silence s = silence("2026-11-23T23:00:00Z", "2026-11-26T01:00:00Z",
        "{\"from\":\"22:00\",\"to\":\"02:00\",\"timezone\":\"UTC\"}");
    assertEquals(Status.PENDING, s.status(t("2026-11-23T22:30:00Z")), "in a window, before the start");
    assertEquals(Status.ACTIVE, s.status(t("2026-11-23T23:00:00Z")));
    assertEquals(Status.ACTIVE, s.status(t("2026-11-24T01:59:59Z")));
    assertEquals(Status.PENDING, s.status(t("2026-11-24T02:00:00Z")), "between windows");
    assertEquals(Status.ACTIVE, s.status(t("2026-11-24T22:00:00Z")));
    assertEquals(Status.ACTIVE, s.status(t("2026-11-26T00:59:59Z")));
    assertEquals(Status.EXPIRED, s.status(t("2026-11-26T01:00:00Z")), "the end cuts the last window");
  }

  @Test
  @DisplayName("the window shown is the current or next one, cut to the silence's start and end")
  void window_view() {
    Silence s = silence("2026-11-23T23:00:00Z", "2026-11-26T01:00:00Z",
        "{\"days\":[\"mon\",\"tue\",\"wed\"],\"from\":\"22:00\",\"to\":\"02:00\",\"timezone\":\"UTC\"}");
    assertEquals(Optional.of(new Window(t("2026-11-23T23:00:00Z"), t("2026-11-24T02:00:00Z"))),
        s.window(t("2026-11-23T12:00:00Z")));
    assertEquals(Optional.of(new Window(t("2026-11-24T22:00:00Z"), t("2026-11-25T02:00:00Z"))),
        s.window(t("2026-11-24T02:00:00Z")));
    assertEquals(Optional.of(new Window(t("2026-11-25T22:00:00Z"), t("2026-11-26T01:00:00Z"))),
        s.window(t("2026-11-25T23:00:00Z")));
    assertEquals(Optional.empty(), s.window(t("2026-11-26T01:00:00Z")));
  }
}
