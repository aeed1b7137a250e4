package io.vigil.delivery;

import io.netty.util.NetUtil;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Locale;

/**
 * Keeps outbound deliveries off internal networks (SSRF): loopback, private, link-local,
 * CGNAT, unique-local, multicast, unspecified and IPv4-mapped or -embedded forms of them
 * are refused unless {@code delivery.allow_private_targets} is set. Checked when a channel
 * is configured (literal addresses, localhost) and again at every send, on the resolved
 * address the connection is then pinned to, so DNS cannot change the answer in between.
 */
public final class TargetGuard {
  private final boolean allowPrivate;

  public TargetGuard(boolean allowPrivate) {
    this.allowPrivate = allowPrivate;
  }

  public boolean allowsPrivate() {
    return allowPrivate;
  }

  /** A reason to refuse a configured host without resolving it, or null when it may be used. */
  public String refuseAtConfig(String host) {
    if (allowPrivate || host == null) {
      return null;
    }
    String h = host.toLowerCase(Locale.ROOT);
    if (h.startsWith("[") && h.endsWith("]")) {
      h = h.substring(1, h.length() - 1);
    }
    while (h.endsWith(".")) {
      h = h.substring(0, h.length() - 1); // "localhost." is localhost
    }
    if (h.equals("localhost") || h.endsWith(".localhost")) {
      return "targets a loopback host; set delivery.allow_private_targets to allow it";
    }
    if (looksLikeAddress(h)) {
      try {
        if (isPrivate(InetAddress.getByName(h))) {
          return "targets a private or loopback address; set delivery.allow_private_targets to allow it";
        }
      } catch (UnknownHostException e) {
        return "is not a valid address";
      }
    }
    return null;
  }

  private static boolean looksLikeAddress(String h) {
    return h.contains(":") || h.matches("[0-9.]+") || h.matches("0x[0-9a-f.x]+");
  }

  /**
   * Resolves the host and returns the address to connect to, or fails with {@link Refused}.
   * A name is resolved on a worker (DNS blocks); an IP literal is parsed on the caller's
   * thread: there is nothing to look up, so a hop to a worker and back would only add wait.
   */
  public Future<InetAddress> resolve(Vertx vertx, String host) {
    InetAddress literal = literalAddress(host);
    if (literal != null) {
      return !allowPrivate && isPrivate(literal) ? Future.failedFuture(new Refused()) : Future.succeededFuture(literal);
    }
    return vertx.executeBlocking(() -> {
      InetAddress[] all = InetAddress.getAllByName(host);
      if (!allowPrivate) {
        for (InetAddress a : all) {
          if (isPrivate(a)) {
            throw new Refused();
          }
        }
      }
      return all[0];
    }, false);
  }

  /**
   * The address an IP literal host names ({@code 192.0.2.1}, {@code [2001:db8::1]}), parsed
   * without DNS by Netty's parser, or null for anything else: a name, or a form Netty does
   * not take (e.g. {@code 127.1}), which then goes through {@link InetAddress} on a worker.
   */
  static InetAddress literalAddress(String host) {
    if (host == null) {
      return null;
    }
    String h = host.startsWith("[") && host.endsWith("]") ? host.substring(1, host.length() - 1) : host;
    return NetUtil.createInetAddressFromIpAddressString(h);
  }

  public static boolean isPrivate(InetAddress a) {
    if (a.isAnyLocalAddress() || a.isLoopbackAddress() || a.isLinkLocalAddress() || a.isSiteLocalAddress()
        || a.isMulticastAddress()) {
      return true;
    }
    byte[] b = a.getAddress();
    if (a instanceof Inet4Address) {
      return isPrivateV4(b, 0);
    }
    if (a instanceof Inet6Address) {
      int first = b[0] & 0xff;
      if ((first & 0xfe) == 0xfc) {
        return true; // fc00::/7 unique local
      }
      boolean zeroPrefix10 = true;
      for (int i = 0; i < 10; i++) {
        zeroPrefix10 &= b[i] == 0;
      }
      if (zeroPrefix10 && ((b[10] == (byte) 0xff && b[11] == (byte) 0xff) || (b[10] == 0 && b[11] == 0))) {
        return isPrivateV4(b, 12); // IPv4-mapped ::ffff:a.b.c.d and IPv4-compatible ::a.b.c.d
      }
      if (first == 0x00 && (b[1] & 0xff) == 0x64 && (b[2] & 0xff) == 0xff && (b[3] & 0xff) == 0x9b) {
        return isPrivateV4(b, 12); // 64:ff9b::/96 NAT64
      }
      if (first == 0x20 && (b[1] & 0xff) == 0x02) {
        return isPrivateV4(b, 2); // 2002::/16 6to4
      }
    }
    return false;
  }

  private static boolean isPrivateV4(byte[] b, int o) {
    int a0 = b[o] & 0xff;
    int a1 = b[o + 1] & 0xff;
    int a2 = b[o + 2] & 0xff;
    return a0 == 0 // this network
        || a0 == 10
        || a0 == 127
        || (a0 == 100 && a1 >= 64 && a1 <= 127) // CGNAT
        || (a0 == 169 && a1 == 254)
        || (a0 == 172 && a1 >= 16 && a1 <= 31)
        || (a0 == 192 && a1 == 168)
        || (a0 == 192 && a1 == 0 && a2 == 0) // IETF protocol assignments
        || (a0 == 198 && (a1 == 18 || a1 == 19)) // benchmarking
        || a0 >= 224; // multicast, reserved, broadcast
  }

  /** The target resolved to an address deliveries may not reach. */
  public static final class Refused extends RuntimeException {
    Refused() {
      super("target_refused: the host resolves to a private or loopback address; "
          + "set delivery.allow_private_targets to allow it", null, false, false);
    }
  }
}
