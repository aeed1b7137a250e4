package io.vigil.delivery.syslog;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.vigil.testing.SampleBatches;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** One RFC 5424 message per digest or held-back notice. */
class SyslogBatchTest {
  static final Instant AT = Instant.parse("2026-11-22T10:05:00Z");

  @Test
  @DisplayName("a digest: MSGID alerts.digest, count and period as structured data, the most severe alert's severity")
  void digest_line() {
    var m = SampleBatches.digest("siem", "syslog", Map.of("", "digest of 2 alerts\n"));
    SyslogLine line = SyslogLine.ofBatch(16, m.event(), m.batch(), m.text(), AT, "host-1", 42);
    assertEquals("<130>1 2026-11-22T10:05:00.000Z host-1 vigil 42 alerts.digest [vigil@32473 count=\"2\""
        + " period_start=\"2026-11-22T10:00:00Z\" period_end=\"2026-11-22T10:05:00Z\"] digest of 2 alerts",
        new String(line.encode(), StandardCharsets.UTF_8));
  }

  @Test
  @DisplayName("a held-back notice: MSGID alerts.held_back, severity notice, the limit and hour as structured data")
  void held_back_line() {
    var m = SampleBatches.heldBack(Optional.of("Card \"fraud\""), "siem", "syslog", Map.of("", "7 alerts were held back"));
    SyslogLine line = SyslogLine.ofBatch(4, m.event(), m.batch(), m.text(), AT, "host-1", 42);
    assertEquals("<37>1 2026-11-22T10:05:00.000Z host-1 vigil 42 alerts.held_back [vigil@32473 count=\"7\""
        + " limit=\"rule\" rule=\"Card \\\"fraud\\\"\" hour_start=\"2026-11-22T09:00:00Z\""
        + " hour_end=\"2026-11-22T10:00:00Z\"] 7 alerts were held back",
        new String(line.encode(), StandardCharsets.UTF_8));
  }
}
