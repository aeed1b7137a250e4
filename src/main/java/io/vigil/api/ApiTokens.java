package io.vigil.api;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/**
 * API tokens: 256 random bits, prefixed {@code vgl_} so they are easy to spot in a leak
 * scan. Only their SHA-256 is stored; with that much entropy a fast hash is enough.
 */
public final class ApiTokens {
  private static final SecureRandom RANDOM = new SecureRandom();

  private ApiTokens() {}

  public static String newToken() {
    return "vgl_" + random(32);
  }

  public static String newKeyId() {
    return "key_" + random(9);
  }

  private static String random(int bytes) {
    byte[] b = new byte[bytes];
    RANDOM.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  public static String hash(String token) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
