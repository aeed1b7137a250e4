package io.vigil.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.vertx.core.net.SelfSignedCertificate;
import io.vigil.testing.TestDatabase;
import io.vigil.testing.TestServer;
import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * With {@code http.tls.cert_file} and {@code http.tls.key_file} set, Vigil's listener speaks
 * HTTPS only, with that certificate: a client that trusts it gets answers, plain HTTP on the
 * same port gets none, and a client that does not trust it fails the handshake.
 */
class TlsIT {
  static SelfSignedCertificate cert;
  static TestServer server;

  @BeforeAll
  static void start() {
    TestDatabase.truncate();
    cert = SelfSignedCertificate.create("localhost");
    server = TestServer.builder()
        .env("VIGIL_HTTP_TLS_CERT_FILE", cert.certificatePath())
        .env("VIGIL_HTTP_TLS_KEY_FILE", cert.privateKeyPath())
        .start();
  }

  @AfterAll
  static void stop() {
    server.close();
    cert.delete();
  }

  private static HttpClient trusting(Path certificate) throws Exception {
    KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
    trust.load(null, null);
    try (InputStream in = Files.newInputStream(certificate)) {
      trust.setCertificateEntry("vigil", CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(trust);
    SSLContext ssl = SSLContext.getInstance("TLS");
    ssl.init(null, tmf.getTrustManagers(), null);
    return HttpClient.newBuilder().sslContext(ssl).connectTimeout(Duration.ofSeconds(5)).build();
  }

  private static HttpResponse<String> get(HttpClient client, String url, String token) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  @DisplayName("over HTTPS with the configured certificate, /health and the API answer")
  void https_answers() throws Exception {
    HttpClient client = trusting(Path.of(cert.certificatePath()));
    String base = "https://localhost:" + server.port();

    HttpResponse<String> health = get(client, base + "/health", null);
    assertEquals(200, health.statusCode());
    assertTrue(health.body().contains("\"up\""), health.body());
    assertTrue(health.sslSession().orElseThrow().getProtocol().startsWith("TLSv1."), "answered over TLS");

    HttpResponse<String> alerts = get(client, base + "/api/v1/alerts", TestServer.OPERATOR_TOKEN);
    assertEquals(200, alerts.statusCode(), alerts.body());
  }

  @Test
  @DisplayName("plain HTTP on the TLS port gets no HTTP answer")
  void plain_http_is_refused() {
    HttpClient plain = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    assertThrows(IOException.class, () -> get(plain, "http://127.0.0.1:" + server.port() + "/health", null));
  }

  @Test
  @DisplayName("a client that does not trust the certificate fails the handshake")
  void untrusted_certificate_fails_the_handshake() {
    SelfSignedCertificate stranger = SelfSignedCertificate.create("localhost");
    try {
      HttpClient client = trusting(Path.of(stranger.certificatePath()));
      assertThrows(SSLHandshakeException.class, () -> get(client, "https://localhost:" + server.port() + "/health",
          null));
    } catch (Exception e) {
      throw new IllegalStateException(e);
    } finally {
      stranger.delete();
    }
  }
}
