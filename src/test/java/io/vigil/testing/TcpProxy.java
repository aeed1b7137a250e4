package io.vigil.testing;

import io.vertx.core.Vertx;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetServer;
import io.vertx.core.net.NetSocket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * A TCP proxy on loopback between Vigil and a server (PostgreSQL), with the faults a network
 * has: {@link #down()} closes every connection and refuses new ones, as a stopped server
 * does; {@link #blackhole()} keeps connections open but lets no byte through either way
 * and accepts new ones without ever connecting them, as a partition without resets does.
 * {@link #heal()} passes traffic again (held connections resume, as TCP retransmits).
 */
public final class TcpProxy implements AutoCloseable {
  private enum Mode { PASS, DOWN, BLACKHOLE }

  private final Vertx vertx = Vertx.vertx();
  private final NetServer server;
  private final NetClient client;
  private final Set<Link> links = ConcurrentHashMap.newKeySet();
  private volatile Mode mode = Mode.PASS;

  private record Link(NetSocket in, NetSocket out) {}

  public TcpProxy(String targetHost, int targetPort) {
    client = vertx.createNetClient();
    server = vertx.createNetServer().connectHandler(in -> {
      if (mode == Mode.DOWN) {
        in.close();
        return;
      }
      in.pause();
      client.connect(targetPort, targetHost).onComplete(ar -> {
        if (ar.failed()) {
          in.close();
          return;
        }
        NetSocket out = ar.result();
        Link link = new Link(in, out);
        links.add(link);
        in.handler(out::write);
        out.handler(in::write);
        in.closeHandler(v -> {
          links.remove(link);
          out.close();
        });
        out.closeHandler(v -> {
          links.remove(link);
          in.close();
        });
        if (mode == Mode.PASS) {
          in.resume();
        } else {
          out.pause();
        }
      });
    });
    try {
      server.listen(0, "127.0.0.1").toCompletionStage().toCompletableFuture().get(10, TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IllegalStateException("proxy did not start", e);
    }
  }

  public int port() {
    return server.actualPort();
  }

  /** The database is gone: connections reset, new ones refused. */
  public void down() {
    mode = Mode.DOWN;
    links.forEach(l -> {
      l.in().close();
      l.out().close();
    });
  }

  /** A partition: nothing passes, nothing is reset. */
  public void blackhole() {
    mode = Mode.BLACKHOLE;
    links.forEach(l -> {
      l.in().pause();
      l.out().pause();
    });
  }

  public void heal() {
    mode = Mode.PASS;
    links.forEach(l -> {
      l.in().resume();
      l.out().resume();
    });
  }

  @Override
  public void close() {
    vertx.close().toCompletionStage().toCompletableFuture().orTimeout(10, TimeUnit.SECONDS).join();
  }
}
