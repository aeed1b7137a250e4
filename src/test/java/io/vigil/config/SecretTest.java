package io.vigil.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A secret is only ever shown by {@link Secret#reveal()}; printing or serializing it gives the mask. */
class SecretTest {
  private static final String VALUE = "s3cr3t-value-do-not-print";

  @Test
  void to_string_is_the_mask_and_never_the_value() {
    Secret s = Secret.of(VALUE);
    assertEquals(Secret.MASK, s.toString());
    assertFalse(s.toString().contains(VALUE));
    assertFalse(String.valueOf(Optional.of(s)).contains(VALUE));
    assertFalse(String.valueOf(Map.of("k", s)).contains(VALUE));
  }

  @Test
  void json_serialization_is_the_mask_and_never_the_value() throws Exception {
    String json = new ObjectMapper().writeValueAsString(Map.of("token", Secret.of(VALUE)));
    assertEquals("{\"token\":\"<secret>\"}", json);
  }

  @Test
  void reveal_gives_the_value_at_the_point_of_use() {
    assertEquals(VALUE, Secret.of(VALUE).reveal());
  }

  @Test
  void is_empty_only_for_the_empty_string() {
    assertTrue(Secret.of("").isEmpty());
    assertFalse(Secret.of(" ").isEmpty());
  }

  @Test
  void compares_by_value() {
    assertEquals(Secret.of(VALUE), Secret.of(VALUE));
    assertEquals(Secret.of(VALUE).hashCode(), Secret.of(VALUE).hashCode());
    assertNotEquals(Secret.of(VALUE), Secret.of(VALUE + "x"));
  }

  @Test
  void refuses_null() {
    assertThrows(NullPointerException.class, () -> Secret.of(null));
  }
}
