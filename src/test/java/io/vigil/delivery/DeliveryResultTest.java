package io.vigil.delivery;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Which HTTP answers are retried is decided once for every channel: 2xx is delivered; 408, 429
 * and 5xx are retried (honouring Retry-After); every other 4xx fails at once with the answer kept.
 */
class DeliveryResultTest {
  private static final Instant NOW = Instant.parse("2015-10-21T07:26:00Z");

  @ParameterizedTest(name = "HTTP {0} is delivered")
  @ValueSource(ints = {200, 201, 202, 204, 299})
  void a_2xx_answer_is_delivered(int status) {
    DeliveryResult r = DeliveryResult.fromHttp(status, "ok", null, NOW);

    assertEquals(new DeliveryResult.Delivered(status), r);
  }

  @ParameterizedTest(name = "HTTP {0} is retried")
  @ValueSource(ints = {408, 429, 500, 502, 503, 504, 599})
  void timeouts_rate_limits_and_server_errors_are_retried(int status) {
    DeliveryResult r = DeliveryResult.fromHttp(status, "try later", null, NOW);

    DeliveryResult.Retry retry = assertInstanceOf(DeliveryResult.Retry.class, r);
    assertEquals(status, retry.statusCode());
    assertEquals("HTTP " + status + ": try later", retry.error());
    assertEquals(Optional.empty(), retry.retryAfter());
  }

  @ParameterizedTest(name = "HTTP {0} fails for good")
  @ValueSource(ints = {400, 401, 403, 404, 405, 410, 413, 422, 499})
  void other_4xx_answers_fail_at_once_keeping_the_body(int status) {
    DeliveryResult r = DeliveryResult.fromHttp(status, "channel_not_found", null, NOW);

    assertEquals(new DeliveryResult.Failed("HTTP " + status + ": channel_not_found", status), r);
  }

  @Test
  void an_empty_body_leaves_just_the_status() {
    assertEquals(new DeliveryResult.Failed("HTTP 404", 404), DeliveryResult.fromHttp(404, "  \n", null, NOW));
    assertEquals(new DeliveryResult.Failed("HTTP 404", 404), DeliveryResult.fromHttp(404, null, null, NOW));
  }

  @Test
  void a_retried_answer_carries_its_retry_after() {
    DeliveryResult r = DeliveryResult.fromHttp(429, "slow down", "30", NOW);

    assertEquals(Optional.of(Duration.ofSeconds(30)), ((DeliveryResult.Retry) r).retryAfter());
  }

  @Test
  void parses_retry_after_in_seconds() {
    assertEquals(Optional.of(Duration.ofSeconds(120)), DeliveryResult.parseRetryAfter("120", NOW));
    assertEquals(Optional.of(Duration.ZERO), DeliveryResult.parseRetryAfter(" 0 ", NOW));
  }

  @Test
  void parses_retry_after_as_an_http_date() {
    assertEquals(
        Optional.of(Duration.ofSeconds(120)),
        DeliveryResult.parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", NOW));
  }

  @Test
  void a_retry_after_date_in_the_past_means_now() {
    assertEquals(Optional.of(Duration.ZERO), DeliveryResult.parseRetryAfter("Wed, 21 Oct 2015 07:00:00 GMT", NOW));
  }

  @Test
  void an_absent_negative_or_unreadable_retry_after_is_empty() {
    for (String header : new String[] {null, "", "  ", "-5", "soon", "1.5", "2015-10-21T07:28:00Z"}) {
      assertEquals(Optional.empty(), DeliveryResult.parseRetryAfter(header, NOW), "header " + header);
    }
  }

  @Test
  void keeps_a_short_one_line_excerpt_of_the_body() {
    String body = "line one\n\n\tline   two " + "x".repeat(500);

    DeliveryResult.Failed r = (DeliveryResult.Failed) DeliveryResult.fromHttp(400, body, null, NOW);

    String expected = ("line one line two " + "x".repeat(500)).substring(0, 200) + "...";
    assertEquals("HTTP 400: " + expected, r.error());
    assertTrue(r.error().length() <= "HTTP 400: ".length() + 203, r.error());
  }

  @Test
  void a_body_of_exactly_the_excerpt_length_is_kept_whole() {
    String body = "y".repeat(200);

    DeliveryResult.Failed r = (DeliveryResult.Failed) DeliveryResult.fromHttp(400, body, null, NOW);

    assertEquals("HTTP 400: " + body, r.error());
  }
}
