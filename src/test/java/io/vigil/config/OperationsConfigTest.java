package io.vigil.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.net.SelfSignedCertificate;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code http.tls.*} and {@code retention.*}: a TLS certificate and key are both given or
 * neither, and a file that is missing, not PEM, or a key that is not the certificate's is a
 * configuration problem listed with the others (so the process exits 2 before it starts).
 */
class OperationsConfigTest {
  static SelfSignedCertificate cert;
  static SelfSignedCertificate other;

  @TempDir Path dir;

  @BeforeAll
  static void certificates() {
    cert = SelfSignedCertificate.create("localhost");
    other = SelfSignedCertificate.create("other.example.org");
  }

  @AfterAll
  static void delete() {
    cert.delete();
    other.delete();
  }

  private static List<String> problems(Map<String, String> env) {
    return assertThrows(InvalidConfigException.class, () -> ConfigLoader.load(null, env)).problems();
  }

  @Test
  void a_matching_pem_certificate_and_key_turn_tls_on() {
    VigilConfig c = ConfigLoader.load(null, Map.of(
        "VIGIL_HTTP_TLS_CERT_FILE", cert.certificatePath(), "VIGIL_HTTP_TLS_KEY_FILE", cert.privateKeyPath()));
    assertEquals(Path.of(cert.certificatePath()), c.http().tls().orElseThrow().certFile());
    assertEquals(Path.of(cert.privateKeyPath()), c.http().tls().orElseThrow().keyFile());
  }

  @Test
  void a_certificate_without_a_key_is_a_problem_and_so_is_a_key_without_a_certificate() {
    assertEquals(List.of("http.tls.key_file: is required when http.tls.cert_file is set (TLS needs both)"),
        problems(Map.of("VIGIL_HTTP_TLS_CERT_FILE", cert.certificatePath())));
    assertEquals(List.of("http.tls.cert_file: is required when http.tls.key_file is set (TLS needs both)"),
        problems(Map.of("VIGIL_HTTP_TLS_KEY_FILE", cert.privateKeyPath())));
  }

  @Test
  void missing_files_are_listed_with_the_other_problems() {
    List<String> p = problems(Map.of("VIGIL_HTTP_TLS_CERT_FILE", dir.resolve("nope.crt").toString(),
        "VIGIL_HTTP_TLS_KEY_FILE", dir.resolve("nope.key").toString(), "VIGIL_HTTP_PORT", "99999"));
    assertEquals(3, p.size(), p.toString());
    assertTrue(p.contains("http.tls.cert_file: file " + dir.resolve("nope.crt") + " does not exist"), p.toString());
    assertTrue(p.contains("http.tls.key_file: file " + dir.resolve("nope.key") + " does not exist"), p.toString());
    assertTrue(p.stream().anyMatch(s -> s.startsWith("http.port:")), p.toString());
  }

  @Test
  void a_certificate_file_that_is_not_pem_is_a_problem() throws IOException {
    Path bad = Files.writeString(dir.resolve("bad.crt"), "this is not a certificate\n");
    List<String> p = problems(Map.of("VIGIL_HTTP_TLS_CERT_FILE", bad.toString(),
        "VIGIL_HTTP_TLS_KEY_FILE", cert.privateKeyPath()));
    assertEquals(List.of("http.tls.cert_file: is not a PEM certificate (no -----BEGIN CERTIFICATE----- block)"), p);

    Path broken = Files.writeString(dir.resolve("broken.crt"),
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n");
    p = problems(Map.of("VIGIL_HTTP_TLS_CERT_FILE", broken.toString(), "VIGIL_HTTP_TLS_KEY_FILE",
        cert.privateKeyPath()));
    assertEquals(1, p.size(), p.toString());
    assertTrue(p.get(0).startsWith("http.tls.cert_file: is not a valid PEM certificate"), p.toString());
  }

  @Test
  void a_key_file_that_is_not_a_pem_key_is_a_problem() throws IOException {
    Path bad = Files.writeString(dir.resolve("bad.key"), "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n");
    List<String> p = problems(Map.of("VIGIL_HTTP_TLS_CERT_FILE", cert.certificatePath(),
        "VIGIL_HTTP_TLS_KEY_FILE", bad.toString()));
    assertEquals(1, p.size(), p.toString());
    assertTrue(p.get(0).startsWith("http.tls.key_file: is not a PEM private key"), p.toString());
  }

  @Test
  void a_key_that_is_not_the_certificates_is_a_problem() {
    assertEquals(List.of("http.tls.key_file: does not belong to the certificate in http.tls.cert_file"),
        problems(Map.of("VIGIL_HTTP_TLS_CERT_FILE", cert.certificatePath(),
            "VIGIL_HTTP_TLS_KEY_FILE", other.privateKeyPath())));
  }

  @Test
  void retention_ages_and_batches_are_read_from_the_environment_and_checked() {
    VigilConfig c = ConfigLoader.load(null, Map.of("VIGIL_RETENTION_EVENTS", "2d", "VIGIL_RETENTION_ALERTS", "30d",
        "VIGIL_RETENTION_EVENT_IDS", "14d", "VIGIL_RETENTION_INTERVAL", "1m", "VIGIL_RETENTION_BATCH_SIZE", "50"));
    assertEquals(new VigilConfig.RetentionConfig(Duration.ofDays(2), Duration.ofDays(30), Duration.ofDays(14),
        Duration.ofMinutes(1), 50), c.retention());

    List<String> p = problems(Map.of("VIGIL_RETENTION_EVENTS", "forever", "VIGIL_RETENTION_BATCH_SIZE", "0"));
    assertEquals(2, p.size(), p.toString());
    assertTrue(p.stream().anyMatch(s -> s.startsWith("retention.events:")), p.toString());
    assertTrue(p.stream().anyMatch(s -> s.startsWith("retention.batch_size:")), p.toString());
  }
}
