package io.vigil.delivery.webhook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.Test;

/**
 * Signatures follow Standard Webhooks: {@code v1,} then base64 HMAC-SHA256 over {@code
 * id.timestamp.body}, keyed by the base64-decoded {@code whsec_} secret or a plain secret's bytes.
 */
class WebhookSignerTest {
  private static final String ID = "msg_2Lh9KRb0pzN4LeJJ2Rhbc7";
  private static final long TIMESTAMP = 1_795_000_000L;
  private static final byte[] BODY = "{\"alert\":{\"rule\":\"brute-force\",\"count\":12}}".getBytes(StandardCharsets.UTF_8);

  /** Computed here, independently of the signer. */
  private static String expected(byte[] key, String id, long timestamp, byte[] body) throws Exception {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(key, "HmacSHA256"));
    byte[] prefix = (id + "." + timestamp + ".").getBytes(StandardCharsets.UTF_8);
    byte[] content = new byte[prefix.length + body.length];
    System.arraycopy(prefix, 0, content, 0, prefix.length);
    System.arraycopy(body, 0, content, prefix.length, body.length);
    return "v1," + Base64.getEncoder().encodeToString(mac.doFinal(content));
  }

  @Test
  void signs_with_the_base64_decoded_key_of_a_whsec_secret() throws Exception {
    byte[] key = "vigil-test-key-0123456789abcdef".getBytes(StandardCharsets.UTF_8);
    String secret = "whsec_" + Base64.getEncoder().encodeToString(key);

    String signature = new WebhookSigner(secret).sign(ID, TIMESTAMP, BODY);

    assertEquals(expected(key, ID, TIMESTAMP, BODY), signature);
    assertNotEquals(expected(secret.getBytes(StandardCharsets.UTF_8), ID, TIMESTAMP, BODY), signature);
  }

  @Test
  void signs_with_the_utf8_bytes_of_a_plain_secret() throws Exception {
    String secret = "plain shared secret ✓";

    String signature = new WebhookSigner(secret).sign(ID, TIMESTAMP, BODY);

    assertEquals(expected(secret.getBytes(StandardCharsets.UTF_8), ID, TIMESTAMP, BODY), signature);
  }

  @Test
  void matches_the_standard_webhooks_reference_signature() {
    // Test vector published with the Standard Webhooks specification.
    String signature =
        new WebhookSigner("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
            .sign("msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330L,
                "{\"test\": 2432232314}".getBytes(StandardCharsets.UTF_8));

    assertEquals("v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", signature);
  }

  @Test
  void the_signature_is_v1_comma_base64_of_a_sha256_mac() {
    String signature = new WebhookSigner("whsec_c2VjcmV0").sign(ID, TIMESTAMP, BODY);

    assertTrue(signature.startsWith("v1,"), signature);
    assertEquals(32, Base64.getDecoder().decode(signature.substring(3)).length);
  }

  @Test
  void the_signature_changes_with_id_timestamp_and_body() {
    WebhookSigner signer = new WebhookSigner("whsec_c2VjcmV0");
    String base = signer.sign(ID, TIMESTAMP, BODY);

    assertEquals(base, signer.sign(ID, TIMESTAMP, BODY.clone()));
    assertNotEquals(base, signer.sign(ID + "x", TIMESTAMP, BODY));
    assertNotEquals(base, signer.sign(ID, TIMESTAMP + 1, BODY));
    assertNotEquals(base, signer.sign(ID, TIMESTAMP, "{}".getBytes(StandardCharsets.UTF_8)));
  }

  @Test
  void a_whsec_secret_that_is_not_base64_is_used_as_text() throws Exception {
    String secret = "whsec_not*base64!";

    String signature = new WebhookSigner(secret).sign(ID, TIMESTAMP, BODY);

    assertEquals(expected(secret.getBytes(StandardCharsets.UTF_8), ID, TIMESTAMP, BODY), signature);
  }
}
