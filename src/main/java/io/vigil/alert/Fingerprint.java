package io.vigil.alert;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * An alert's identity across raises: hex SHA-256 of tenant, rule and key, separated by NUL
 * so no two triples collide. 64 characters, so it also fits PagerDuty's dedup key.
 */
public final class Fingerprint {
  private Fingerprint() {}

  public static String of(String tenant, String rule, String key) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      byte[] digest =
          sha.digest((tenant + '\u0000' + rule + '\u0000' + key).getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().formatHex(digest);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is always available", e);
    }
  }
}
