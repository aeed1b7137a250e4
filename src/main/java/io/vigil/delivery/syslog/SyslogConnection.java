package io.vigil.delivery.syslog;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.net.NetClient;
import io.vertx.core.net.NetClientOptions;
import io.vertx.core.net.NetSocket;
import java.time.Duration;

/**
 * The one TCP connection a syslog channel keeps to its server: opened on first use, kept
 * open between messages, and opened again on the next write once it has dropped (the
 * server closed it, a write failed, or {@link #drop()} was called after a timeout). Each
 * frame is written with a single write, so concurrent messages never interleave.
 */
final class SyslogConnection {
  private final NetClient client;
  private final String host;
  private final int port;
  private Future<NetSocket> current; // guarded by this; null when there is no connection

  SyslogConnection(Vertx vertx, String host, int port, Duration connectTimeout) {
    this.host = host;
    this.port = port;
    this.client = vertx.createNetClient(new NetClientOptions()
        .setConnectTimeout((int) Math.min(Integer.MAX_VALUE, connectTimeout.toMillis()))
        .setTcpKeepAlive(true)
        .setTcpNoDelay(true));
  }

  Future<Void> write(Buffer frame) {
    Future<NetSocket> socket = socket();
    return socket.compose(s -> s.write(frame)).onFailure(e -> forget(socket, true));
  }

  /** Whether a connection is open (or being opened) for the next write. */
  synchronized boolean isOpen() {
    return current != null && !current.failed();
  }

  /** Closes the connection, if any; the next write opens a new one. */
  void drop() {
    Future<NetSocket> socket;
    synchronized (this) {
      socket = current;
    }
    if (socket != null) {
      forget(socket, true);
    }
  }

  Future<Void> close() {
    drop();
    return client.close();
  }

  private synchronized Future<NetSocket> socket() {
    if (current != null && !current.failed()) {
      return current;
    }
    Future<NetSocket> opening = client.connect(port, host);
    current = opening;
    opening.onComplete(ar -> {
      if (ar.failed()) {
        forget(opening, false);
        return;
      }
      NetSocket s = ar.result();
      // Syslog servers send nothing; reading anyway is how a closed connection is noticed.
      s.handler(ignored -> {});
      s.closeHandler(v -> forget(opening, false));
      s.exceptionHandler(e -> s.close());
    });
    return opening;
  }

  private void forget(Future<NetSocket> socket, boolean close) {
    synchronized (this) {
      if (current == socket) {
        current = null;
      }
    }
    if (close) {
      // Also when still connecting: a connection that opens after being dropped is closed.
      socket.onSuccess(NetSocket::close);
    }
  }
}
