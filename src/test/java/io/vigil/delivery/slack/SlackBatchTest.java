package io.vigil.delivery.slack;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vigil.testing.SampleBatches;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** What Slack gets for a digest and a held-back notice: a plain message with the rendered text. */
class SlackBatchTest {
  @Test
  @DisplayName("a digest is a header with the count and the rendered text, escaped; no alert facts or colour")
  void digest_message() {
    JsonObject m = SlackMessage.of(SampleBatches.digest("chat", "slack",
        Map.of("", "*2 alerts*\n• One declined payment <!channel>")));
    assertEquals("*2 alerts*\n• One declined payment &lt;!channel&gt;", m.getString("text"));
    assertFalse(m.containsKey("attachments"));
    JsonArray blocks = m.getJsonArray("blocks");
    assertEquals(2, blocks.size());
    assertEquals(":inbox_tray: Digest: 2 alerts", blocks.getJsonObject(0).getJsonObject("text").getString("text"));
    assertEquals("plain_text", blocks.getJsonObject(0).getJsonObject("text").getString("type"));
    assertEquals("*2 alerts*\n• One declined payment &lt;!channel&gt;",
        blocks.getJsonObject(1).getJsonObject("text").getString("text"));
  }

  @Test
  @DisplayName("a held-back notice says how many in its header; an empty text falls back to the header")
  void held_back_message() {
    JsonObject m = SlackMessage.of(SampleBatches.heldBack(Optional.of("Card fraud"), "chat", "slack", Map.of("", "")));
    assertEquals(":warning: 7 alerts were held back",
        m.getJsonArray("blocks").getJsonObject(0).getJsonObject("text").getString("text"));
    assertTrue(m.getString("text").contains("7 alerts were held back"), m.getString("text"));
  }
}
