package io.vigil.alert;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vigil.store.AlertEvents;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class AlertTimelineTest {
  static JsonObject alert(int occurrences, JsonArray deliveries) {
    return new JsonObject().put("severity", "high").put("first_seen", "2026-11-22T10:00:00Z")
        .put("last_seen", "2026-11-22T10:00:05Z").put("occurrences", occurrences).put("deliveries", deliveries);
  }

  static List<String> kinds(JsonArray timeline) {
    return timeline.stream().map(o -> ((JsonObject) o).getString("kind")).toList();
  }

  @Test
  @DisplayName("entries are ordered by time, not by the text of their timestamps")
  void ordered_by_instant() {
    // "10:00:00.5Z" sorts before "10:00:00Z" as text, yet is later.
    JsonArray deliveries = new JsonArray().add(new JsonObject().put("channel", "hook").put("kind", "raised")
        .put("status", "delivered").put("created_at", "2026-11-22T10:00:00Z").put("history", new JsonArray()
            .add(new JsonObject().put("attempt", 1).put("finished_at", "2026-11-22T10:00:00.500Z")
                .put("outcome", "delivered").put("status_code", 200))));
    List<AlertEvents.Act> acts = List.of(
        new AlertEvents.Act(Instant.parse("2026-11-22T10:00:03Z"), "acknowledged", "key_1", "alice", "on it", null),
        new AlertEvents.Act(Instant.parse("2026-11-22T10:00:09Z"), "resolved", "key_1", "key_1", null,
            new JsonObject().put("reason", "auto")));
    JsonArray t = AlertTimeline.of(alert(3, deliveries), acts);
    assertEquals(List.of("raised", "delivery_attempt", "acknowledged", "occurrence", "resolved"), kinds(t));
    assertEquals(3, t.getJsonObject(3).getInteger("occurrences"));
    assertEquals("alice", t.getJsonObject(2).getString("by"));
    assertEquals("auto", t.getJsonObject(4).getString("reason"), "details of an act are shown");
    assertEquals(false, t.getJsonObject(4).containsKey("note"), "unset fields are left out");
  }

  @Test
  @DisplayName("one raise without deliveries is a timeline of one entry; unsent deliveries say why")
  void minimal_and_unsent() {
    assertEquals(List.of("raised"), kinds(AlertTimeline.of(alert(1, new JsonArray()), List.of())));
    JsonArray deliveries = new JsonArray()
        .add(new JsonObject().put("channel", "x").put("kind", "raised").put("status", "failed")
            .put("last_error", "unknown_channel: x").put("created_at", "2026-11-22T10:00:01Z"))
        .add(new JsonObject().put("channel", "y").put("kind", "raised").put("status", "skipped")
            .put("reason", "below_min_severity").put("created_at", "2026-11-22T10:00:01Z"))
        .add(new JsonObject().put("channel", "z").put("kind", "raised").put("status", "pending")
            .put("created_at", "2026-11-22T10:00:01Z"));
    JsonArray t = AlertTimeline.of(alert(1, deliveries), List.of());
    assertEquals(List.of("raised", "delivery_failed", "delivery_skipped"), kinds(t), "a pending one is not yet history");
    assertEquals("unknown_channel: x", t.getJsonObject(1).getString("error"));
    assertEquals("below_min_severity", t.getJsonObject(2).getString("reason"));
  }

  @Test
  @DisplayName("a silenced raise names its silence; held for a digest, then out in one, each says so")
  void silenced_and_digested() {
    JsonObject alert = alert(1, new JsonArray()
        .add(new JsonObject().put("channel", "mail").put("kind", "raised").put("status", "held")
            .put("reason", "digest_pending").put("created_at", "2026-11-22T10:20:00Z"))
        .add(new JsonObject().put("channel", "chat").put("kind", "raised").put("status", "delivered")
            .put("reason", "digest").put("digest_id", "d-1").put("created_at", "2026-11-22T10:20:00Z")
            .put("updated_at", "2026-11-22T10:25:00Z")))
        .put("suppressed_reason", "silenced").put("silence_id", "s-1");
    List<AlertEvents.Act> acts = List.of(new AlertEvents.Act(Instant.parse("2026-11-22T10:10:00Z"), "released",
        null, "vigil", null, new JsonObject().put("silence_id", "s-1")));
    JsonArray t = AlertTimeline.of(alert, acts);
    assertEquals(List.of("raised", "released", "delivery_held", "delivery_digest"), kinds(t));
    assertEquals("s-1", t.getJsonObject(0).getString("silence_id"));
    assertEquals("silenced", t.getJsonObject(0).getString("reason"));
    assertEquals("s-1", t.getJsonObject(1).getString("silence_id"));
    assertEquals("digest_pending", t.getJsonObject(2).getString("reason"));
    assertEquals("d-1", t.getJsonObject(3).getString("digest_id"));
    assertEquals("delivered", t.getJsonObject(3).getString("outcome"));
  }
}
