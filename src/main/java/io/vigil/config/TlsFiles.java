package io.vigil.config;

import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.PemKeyCertOptions;
import io.vigil.config.VigilConfig.TlsConfig;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.Certificate;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.Collection;
import java.util.Optional;
import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.X509KeyManager;

/**
 * Reads {@code http.tls.*}: a PEM certificate (chain) and its PEM private key, both or
 * neither. The files are loaded here with the same Vert.x PEM reader the listener uses, so a
 * missing file, a file that is not PEM, or a key that does not belong to the certificate is
 * a configuration problem listed with the others, not a failure after the database started.
 */
final class TlsFiles {
  private static final String CERT = "http.tls.cert_file";
  private static final String KEY = "http.tls.key_file";

  private TlsFiles() {}

  static Optional<TlsConfig> read(ConfigReader r) {
    Optional<String> cert = r.optionalString(CERT);
    Optional<String> key = r.optionalString(KEY);
    if (cert.isEmpty() && key.isEmpty()) {
      return Optional.empty();
    }
    if (cert.isEmpty() || key.isEmpty()) {
      String missing = cert.isEmpty() ? CERT : KEY;
      r.problem(missing, "is required when " + (cert.isEmpty() ? KEY : CERT) + " is set (TLS needs both)");
      return Optional.empty();
    }
    Path certFile = Path.of(cert.get());
    Path keyFile = Path.of(key.get());
    byte[] certPem = readFile(r, CERT, certFile);
    byte[] keyPem = readFile(r, KEY, keyFile);
    if (certPem == null || keyPem == null) {
      return Optional.empty();
    }
    if (!checkCertificate(r, certPem) || !checkKey(r, certPem, keyPem)) {
      return Optional.empty();
    }
    return Optional.of(new TlsConfig(certFile, keyFile));
  }

  private static byte[] readFile(ConfigReader r, String path, Path file) {
    if (!Files.isRegularFile(file)) {
      r.problem(path, "file " + file + " does not exist");
      return null;
    }
    try {
      return Files.readAllBytes(file);
    } catch (IOException e) {
      r.problem(path, "cannot read " + file + ": " + e.getMessage());
      return null;
    }
  }

  private static boolean checkCertificate(ConfigReader r, byte[] pem) {
    String text = new String(pem, java.nio.charset.StandardCharsets.US_ASCII);
    if (!text.contains("-----BEGIN CERTIFICATE-----")) {
      r.problem(CERT, "is not a PEM certificate (no -----BEGIN CERTIFICATE----- block)");
      return false;
    }
    try {
      Collection<? extends Certificate> certs =
          CertificateFactory.getInstance("X.509").generateCertificates(new ByteArrayInputStream(pem));
      if (certs.isEmpty()) {
        r.problem(CERT, "holds no certificate");
        return false;
      }
      return true;
    } catch (CertificateException e) {
      r.problem(CERT, "is not a valid PEM certificate: " + e.getMessage());
      return false;
    }
  }

  private static boolean checkKey(ConfigReader r, byte[] certPem, byte[] keyPem) {
    KeyManagerFactory kmf;
    try {
      kmf = new PemKeyCertOptions().setCertValue(Buffer.buffer(certPem)).setKeyValue(Buffer.buffer(keyPem))
          .getKeyManagerFactory(null);
    } catch (Exception e) {
      r.problem(KEY, "is not a PEM private key (PKCS#8, PKCS#1 RSA or EC): " + e.getMessage());
      return false;
    }
    for (KeyManager km : kmf.getKeyManagers()) {
      if (km instanceof X509KeyManager x) {
        for (String type : new String[] {"RSA", "EC", "EdDSA"}) {
          String[] aliases = x.getServerAliases(type, null);
          if (aliases != null && aliases.length > 0) {
            X509Certificate[] chain = x.getCertificateChain(aliases[0]);
            if (!belongTogether(x.getPrivateKey(aliases[0]), chain[0])) {
              r.problem(KEY, "does not belong to the certificate in " + CERT);
              return false;
            }
            return true;
          }
        }
      }
    }
    return true;
  }

  /** Signs a sample with the key and verifies it with the certificate's public key. */
  private static boolean belongTogether(PrivateKey key, X509Certificate cert) {
    String algorithm = switch (key.getAlgorithm()) {
      case "RSA" -> "SHA256withRSA";
      case "EC" -> "SHA256withECDSA";
      case "EdDSA", "Ed25519" -> "Ed25519";
      default -> null;
    };
    if (algorithm == null) {
      return true; // a key type we cannot test; the TLS handshake will tell
    }
    try {
      byte[] sample = "vigil tls key check".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      Signature s = Signature.getInstance(algorithm);
      s.initSign(key);
      s.update(sample);
      byte[] sig = s.sign();
      Signature v = Signature.getInstance(algorithm);
      v.initVerify(cert.getPublicKey());
      v.update(sample);
      return v.verify(sig);
    } catch (java.security.GeneralSecurityException e) {
      return false;
    }
  }
}
