package io.vigil.alert;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vigil.store.AlertEvents;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * An alert's history in time order, built from what is stored: the raise (first seen), the
 * latest occurrence with the running count, every act on it (acknowledged, resolved, with
 * who and the note), and every delivery attempt with its outcome, plus deliveries that were
 * never attempted and why.
 *
 * <p>Occurrences are one entry, at last seen with the count, not one per raise: a noisy
 * rule can add an occurrence a second for days, and the timeline must stay small.
 */
public final class AlertTimeline {
  private AlertTimeline() {}

  /** {@code alert} is the API view with its deliveries and their attempt history. */
  public static JsonArray of(JsonObject alert, List<AlertEvents.Act> acts) {
    List<Entry> entries = new ArrayList<>();
    JsonObject raised = new JsonObject().put("kind", "raised").put("severity", alert.getString("severity"));
    if (alert.getString("suppressed_reason") != null) {
      raised.put("reason", alert.getString("suppressed_reason"));
    }
    putIfSet(raised, "silence_id", alert.getString("silence_id"));
    add(entries, alert.getString("first_seen"), raised);
    int occurrences = alert.getInteger("occurrences", 1);
    if (occurrences > 1) {
      add(entries, alert.getString("last_seen"),
          new JsonObject().put("kind", "occurrence").put("occurrences", occurrences));
    }
    for (AlertEvents.Act a : acts) {
      JsonObject e = new JsonObject().put("kind", a.kind());
      putIfSet(e, "by", a.who());
      putIfSet(e, "key_id", a.keyId());
      putIfSet(e, "note", a.note());
      if (a.details() != null) {
        a.details().forEach(d -> e.put(d.getKey(), d.getValue()));
      }
      entries.add(new Entry(a.at(), e.put("at", a.at().toString())));
    }
    JsonArray deliveries = alert.getJsonArray("deliveries", new JsonArray());
    for (int i = 0; i < deliveries.size(); i++) {
      JsonObject d = deliveries.getJsonObject(i);
      JsonArray history = d.getJsonArray("history", new JsonArray());
      for (int j = 0; j < history.size(); j++) {
        JsonObject h = history.getJsonObject(j);
        JsonObject e = new JsonObject().put("kind", "delivery_attempt").put("channel", d.getString("channel"))
            .put("delivery", d.getString("kind")).put("attempt", h.getInteger("attempt"))
            .put("outcome", h.getString("outcome"));
        putIfSet(e, "status_code", h.getInteger("status_code"));
        putIfSet(e, "error", h.getString("error"));
        add(entries, h.getString("finished_at"), e);
      }
      String digest = d.getString("digest_id");
      if (history.isEmpty() && digest != null && !"held".equals(d.getString("status"))) {
        // Went out in a digest: the attempts are the digest's own, one message for many alerts.
        JsonObject e = new JsonObject().put("kind", "delivery_digest").put("channel", d.getString("channel"))
            .put("delivery", d.getString("kind")).put("outcome", d.getString("status")).put("digest_id", digest);
        putIfSet(e, "error", d.getString("last_error"));
        add(entries, d.getString("updated_at"), e);
      } else if (history.isEmpty() && "held".equals(d.getString("status"))) {
        add(entries, d.getString("created_at"), new JsonObject().put("kind", "delivery_held")
            .put("channel", d.getString("channel")).put("delivery", d.getString("kind"))
            .put("reason", d.getString("reason")));
      } else if (history.isEmpty() && "skipped".equals(d.getString("status"))) {
        add(entries, d.getString("created_at"), new JsonObject().put("kind", "delivery_skipped")
            .put("channel", d.getString("channel")).put("delivery", d.getString("kind"))
            .put("reason", d.getString("reason")));
      } else if (history.isEmpty() && "failed".equals(d.getString("status"))) {
        add(entries, d.getString("created_at"), new JsonObject().put("kind", "delivery_failed")
            .put("channel", d.getString("channel")).put("delivery", d.getString("kind"))
            .put("error", d.getString("last_error")));
      }
    }
    // Stable: entries at the same instant keep the order above (raise, acts, deliveries).
    entries.sort(Comparator.comparing(Entry::at));
    JsonArray out = new JsonArray();
    entries.forEach(e -> out.add(e.json()));
    return out;
  }

  private static void add(List<Entry> entries, String at, JsonObject e) {
    if (at != null) {
      entries.add(new Entry(Instant.parse(at), e.put("at", at)));
    }
  }

  private static void putIfSet(JsonObject o, String key, Object value) {
    if (value != null) {
      o.put(key, value);
    }
  }

  private record Entry(Instant at, JsonObject json) {}
}
