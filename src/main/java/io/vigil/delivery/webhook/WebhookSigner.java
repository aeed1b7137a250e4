package io.vigil.delivery.webhook;

import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Standard Webhooks signatures: {@code v1,<base64 HMAC-SHA256(key, id.timestamp.body)>}.
 * A secret written {@code whsec_<base64>} is the base64-decoded key, as the spec says;
 * any other secret is its UTF-8 bytes.
 */
public final class WebhookSigner {
  private final byte[] key;

  public WebhookSigner(String secret) {
    this.key = keyOf(secret);
  }

  static byte[] keyOf(String secret) {
    if (secret.startsWith("whsec_")) {
      try {
        return Base64.getDecoder().decode(secret.substring("whsec_".length()));
      } catch (IllegalArgumentException e) {
        // Not valid base64 after the prefix: use the text itself rather than fail every delivery.
        return secret.getBytes(StandardCharsets.UTF_8);
      }
    }
    return secret.getBytes(StandardCharsets.UTF_8);
  }

  public String sign(String id, long timestampSeconds, byte[] body) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(key, "HmacSHA256"));
      mac.update((id + "." + timestampSeconds + ".").getBytes(StandardCharsets.UTF_8));
      mac.update(body);
      return "v1," + Base64.getEncoder().encodeToString(mac.doFinal());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA256 is always available", e);
    }
  }
}
