package io.vigil.store;

import io.vigil.config.Secret;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.Optional;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * Encrypts what is stored with secrets in it (channel configurations) with AES-256-GCM: a
 * fresh 96-bit nonce per value, stored with it, and the 128-bit tag authenticating it.
 * The key is {@code secret_key} ({@code VIGIL_SECRET_KEY}: 32 bytes in base64), else the
 * one generated at first start into {@code <data dir>/secret-key} (mode 0600). Losing the
 * key loses the stored channels; rotating it is not supported yet.
 */
public final class SecretBox {
  private static final String PREFIX = "v1:";
  private static final SecureRandom RANDOM = new SecureRandom();

  private final SecretKeySpec key;

  SecretBox(byte[] key) {
    if (key.length != 32) {
      throw new IllegalArgumentException("the secret key must be 32 bytes (base64 of 32 random bytes)");
    }
    this.key = new SecretKeySpec(key, "AES");
  }

  /** The configured key, else the data directory's, generated if absent. Blocking. */
  public static SecretBox open(Optional<Secret> configured, Path dataDir) throws IOException {
    if (configured.isPresent()) {
      try {
        return new SecretBox(Base64.getDecoder().decode(configured.get().reveal().trim()));
      } catch (IllegalArgumentException e) {
        // The message never echoes the key.
        throw new IllegalArgumentException("secret_key must be 32 random bytes in base64 (e.g. openssl rand -base64 32)");
      }
    }
    Path file = dataDir.resolve("secret-key");
    if (Files.exists(file)) {
      return new SecretBox(Base64.getDecoder().decode(Files.readString(file, StandardCharsets.UTF_8).trim()));
    }
    byte[] fresh = new byte[32];
    RANDOM.nextBytes(fresh);
    Files.createDirectories(dataDir);
    Path tmp = file.resolveSibling("secret-key.tmp");
    Files.deleteIfExists(tmp);
    Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(tmp, Base64.getEncoder().encodeToString(fresh) + "\n", StandardCharsets.UTF_8);
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
    return new SecretBox(fresh);
  }

  public String seal(String plain) {
    try {
      byte[] nonce = new byte[12];
      RANDOM.nextBytes(nonce);
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, nonce));
      byte[] sealed = c.doFinal(plain.getBytes(StandardCharsets.UTF_8));
      return PREFIX + Base64.getEncoder().encodeToString(
          ByteBuffer.allocate(nonce.length + sealed.length).put(nonce).put(sealed).array());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("AES-GCM is always available", e);
    }
  }

  /** The plain text; fails when the value was sealed under another key or altered. */
  public String open(String sealed) {
    if (!sealed.startsWith(PREFIX)) {
      throw new IllegalArgumentException("not a sealed value");
    }
    byte[] all = Base64.getDecoder().decode(sealed.substring(PREFIX.length()));
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(128, all, 0, 12));
      return new String(c.doFinal(all, 12, all.length - 12), StandardCharsets.UTF_8);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("a stored secret cannot be decrypted: wrong secret_key, or the value was altered");
    }
  }
}
