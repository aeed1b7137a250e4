package io.vigil.delivery;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.InetAddress;
import java.net.UnknownHostException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Deliveries stay off internal networks (SSRF): every loopback, private, link-local, CGNAT,
 * unique-local and IPv4-embedded form is private; public addresses are not. Only literal
 * addresses are used here, so nothing is resolved over DNS.
 */
class TargetGuardTest {
  private final TargetGuard guard = new TargetGuard(false);

  private static InetAddress literal(String address) throws UnknownHostException {
    return InetAddress.getByName(address);
  }

  @ParameterizedTest(name = "{0} is private")
  @ValueSource(
      strings = {
        "127.0.0.1",
        "127.8.9.10",
        "::1",
        "0.0.0.0",
        "::",
        "10.1.2.3",
        "172.16.0.1",
        "172.31.255.255",
        "192.168.1.1",
        "169.254.169.254",
        "100.64.0.1",
        "100.127.255.254",
        "::ffff:127.0.0.1",
        "::ffff:10.0.0.1",
        "fc00::1",
        "fd12:3456::1",
        "fe80::1",
        "64:ff9b::7f00:1",
        "64:ff9b::a9fe:a9fe",
        "2002:7f00:1::1",
        "224.0.0.1",
        "ff02::1",
        "255.255.255.255"
      })
  void private_loopback_and_embedded_forms_are_private(String address) throws UnknownHostException {
    assertTrue(TargetGuard.isPrivate(literal(address)), address);
  }

  @ParameterizedTest(name = "{0} is public")
  @ValueSource(
      strings = {
        "8.8.8.8",
        "2001:4860:4860::8888",
        "93.184.216.34",
        "172.15.255.255",
        "172.32.0.1",
        "100.63.255.255",
        "100.128.0.1",
        "64:ff9b::808:808",
        "::ffff:8.8.8.8"
      })
  void public_addresses_are_not_private(String address) throws UnknownHostException {
    assertFalse(TargetGuard.isPrivate(literal(address)), address);
  }

  @ParameterizedTest(name = "{0} is refused")
  @ValueSource(strings = {"localhost", "LOCALHOST", "api.localhost", "127.0.0.1", "[::1]", "10.0.0.5", "[fe80::1]"})
  void refuses_loopback_and_private_hosts_when_configured(String host) {
    assertNotNull(guard.refuseAtConfig(host), host);
  }

  @ParameterizedTest(name = "{0} is allowed")
  @ValueSource(strings = {"example.org", "hooks.slack.com", "8.8.8.8", "[2001:4860:4860::8888]"})
  void allows_public_hosts_when_configured(String host) {
    assertNull(guard.refuseAtConfig(host), host);
  }

  @Test
  void the_refusal_says_how_to_allow_it() {
    assertTrue(guard.refuseAtConfig("localhost").contains("delivery.allow_private_targets"));
    assertTrue(guard.refuseAtConfig("127.0.0.1").contains("delivery.allow_private_targets"));
  }

  @ParameterizedTest(name = "{0} is allowed with allow_private_targets")
  @ValueSource(strings = {"localhost", "127.0.0.1", "[::1]", "10.0.0.5", "example.org"})
  void allows_everything_when_private_targets_are_allowed(String host) {
    TargetGuard permissive = new TargetGuard(true);

    assertTrue(permissive.allowsPrivate());
    assertNull(permissive.refuseAtConfig(host), host);
  }

  @ParameterizedTest(name = "{0} is refused at send time without a worker")
  @ValueSource(strings = {"127.0.0.1", "[::1]", "[::ffff:127.0.0.1]", "10.0.0.5", "169.254.169.254", "[fe80::1]"})
  void refuses_private_literals_at_once(String host) {
    io.vertx.core.Future<InetAddress> f = guard.resolve(null, host);
    assertTrue(f.failed() && f.cause() instanceof TargetGuard.Refused, host + ": " + f.cause());
  }

  @ParameterizedTest(name = "{0} is resolved to itself without a worker")
  @ValueSource(strings = {"93.184.216.34", "[2001:4860:4860::8888]"})
  void takes_public_literals_at_once(String host) throws UnknownHostException {
    // No Vertx is given: a literal must not need a worker (or DNS) to be checked.
    io.vertx.core.Future<InetAddress> f = guard.resolve(null, host);
    assertTrue(f.succeeded(), host + ": " + f.cause());
    assertTrue(f.result().equals(literal(host.replace("[", "").replace("]", ""))), host);
    assertTrue(new TargetGuard(true).resolve(null, "127.0.0.1").succeeded(), "allowed when private targets are");
  }

  @ParameterizedTest(name = "{0} is not a literal Netty parses")
  @ValueSource(strings = {"example.org", "127.1", "0x7f.0.0.1", "localhost", ""})
  void names_and_odd_forms_are_not_literals(String host) {
    assertNull(TargetGuard.literalAddress(host), host);
  }

  @Test
  void a_strict_guard_says_it_does_not_allow_private_targets() {
    assertFalse(guard.allowsPrivate());
  }
}
