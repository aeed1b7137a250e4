package io.vigil.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class PrometheusTextTest {
  @Test
  @DisplayName("reads HELP, TYPE and samples with escaped label values")
  void reads_samples() {
    PrometheusText p = PrometheusText.parse("""
        # HELP vigil_x_total Things
        # TYPE vigil_x_total counter
        vigil_x_total{rule="a \\"b\\"",tenant="t"} 3.0
        vigil_y 2
        vigil_z{le="+Inf"} +Inf
        """);
    assertEquals(3.0, p.value("vigil_x_total", "rule", "a \"b\"").getAsDouble());
    assertEquals(2.0, p.valueOrZero("vigil_y"));
    assertEquals(0.0, p.valueOrZero("vigil_missing"));
    assertEquals("counter", p.type("vigil_x_total").orElseThrow());
    assertEquals(Double.POSITIVE_INFINITY, p.valueOrZero("vigil_z", "le", "+Inf"));
  }

  @Test
  @DisplayName("a line that is not the format fails the parse")
  void rejects_malformed() {
    assertThrows(IllegalArgumentException.class, () -> PrometheusText.parse("vigil_x{a=b} 1\n"));
    assertThrows(IllegalArgumentException.class, () -> PrometheusText.parse("vigil_x one\n"));
    assertThrows(IllegalArgumentException.class, () -> PrometheusText.parse("# nonsense here\n"));
    assertThrows(IllegalArgumentException.class, () -> PrometheusText.parse("vigil_x\n"));
  }
}
