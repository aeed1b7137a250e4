package io.vigil.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

class RepeatedFailureLogTest {
  @Test
  @DisplayName("a run of failures logs the first one, not every pass, and then the recovery once")
  void first_failure_then_recovery() {
    Logger logger = (Logger) LoggerFactory.getLogger("test.repeated-failure");
    ListAppender<ILoggingEvent> lines = new ListAppender<>();
    lines.start();
    logger.addAppender(lines);
    RepeatedFailureLog failures = new RepeatedFailureLog(logger, "claiming deliveries", Duration.ofSeconds(1));

    for (int i = 0; i < 30; i++) {
      failures.failed(new IllegalStateException("connection refused"));
    }
    failures.succeeded();
    failures.succeeded();

    assertEquals(2, lines.list.size(), lines.list.toString());
    assertEquals("claiming deliveries failed (1 in a row), trying again every PT1S: java.lang.IllegalStateException:"
        + " connection refused", lines.list.get(0).getFormattedMessage());
    assertEquals("claiming deliveries works again after 30 failed passes", lines.list.get(1).getFormattedMessage());
  }
}
