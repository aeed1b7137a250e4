package io.vigil.delivery.syslog;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.datagram.DatagramSocket;
import io.vertx.core.datagram.DatagramSocketOptions;
import io.vigil.config.ChannelConfig;
import io.vigil.delivery.Channel;
import io.vigil.delivery.DeliveryResult;
import io.vigil.delivery.OutboundMessage;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.time.Clock;
import java.time.Duration;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Sends each alert notice to a syslog server as one RFC 5424 message ({@link SyslogLine}):
 * PRI from the configured facility and the alert's severity, MSGID the event, the alert's
 * identity as structured data, and the rendered text as MSG.
 *
 * <p>Over UDP each message is one datagram of at most {@value #MAX_DATAGRAM_BYTES} bytes
 * (MSG is truncated to fit). UDP has no acknowledgement: a datagram handed to the network
 * counts as delivered, and one lost on the way, or sent while nothing listens, is never
 * known. Over TCP messages are framed by octet counting (RFC 6587 §3.4.1, {@code "<length>
 * <message>"}) on one connection kept open and reopened after it drops ({@link
 * SyslogConnection}); a failed connect or write is retried. TCP syslog has no
 * acknowledgement either: a message written just before the server closes the connection
 * can be lost. Every attempt ends within the timeout given.
 */
public final class SyslogChannel implements Channel {
  static final int MAX_DATAGRAM_BYTES = 8 * 1024;

  private final ChannelConfig.Syslog config;
  private final int facility;
  private final String hostname;
  private final long procId = ProcessHandle.current().pid();
  private final long timeoutMs;
  private final Clock clock;
  private final DatagramSocket udp;
  private final SyslogConnection tcp;

  public SyslogChannel(ChannelConfig.Syslog config, Vertx vertx, Duration timeout, Clock clock) {
    this.config = config;
    this.facility = SyslogLine.facility(config.facility());
    this.hostname = SyslogLine.localHostName();
    this.timeoutMs = timeout.toMillis();
    this.clock = clock;
    if (config.protocol().equals("tcp")) {
      this.udp = null;
      this.tcp = new SyslogConnection(vertx, config.host(), config.port(), timeout);
    } else {
      this.udp = vertx.createDatagramSocket(new DatagramSocketOptions());
      this.tcp = null;
    }
  }

  @Override
  public ChannelConfig config() {
    return config;
  }

  @Override
  public Future<DeliveryResult> send(OutboundMessage message) {
    SyslogLine line = message.isBatch()
        ? SyslogLine.ofBatch(facility, message.event(), message.batch(), message.text(), clock.instant(), hostname,
            procId)
        : SyslogLine.of(facility, message.event(), message.alert(), message.text(), clock.instant(), hostname, procId);
    Future<Void> sent = tcp != null ? tcp.write(frame(line.encode())) : udp.send(
        Buffer.buffer(line.encode(MAX_DATAGRAM_BYTES)), config.port(), config.host());
    return sent.timeout(timeoutMs, TimeUnit.MILLISECONDS).transform(ar -> {
      if (ar.succeeded()) {
        return Future.succeededFuture(DeliveryResult.delivered(null));
      }
      if (tcp != null) {
        // A write that failed or is still pending at the deadline leaves the stream in doubt
        // (half a frame may follow later): the next attempt starts on a new connection.
        tcp.drop();
      }
      return Future.succeededFuture(classify(ar.cause()));
    });
  }

  /** RFC 6587 octet counting: the message's length in bytes, a space, the message. */
  static Buffer frame(byte[] message) {
    return Buffer.buffer(message.length + 8).appendString(message.length + " ").appendBytes(message);
  }

  /** Whether a TCP channel holds an open connection; always false over UDP. */
  boolean connected() {
    return tcp != null && tcp.isOpen();
  }

  static DeliveryResult classify(Throwable e) {
    if (e instanceof UnknownHostException) {
      return DeliveryResult.retry("syslog host not found");
    }
    if (e instanceof ConnectException) {
      return DeliveryResult.retry("connection refused");
    }
    if (e instanceof TimeoutException || e.getClass().getSimpleName().contains("Timeout")) {
      return DeliveryResult.retry("timeout: not sent within the attempt's deadline");
    }
    if (e.getMessage() != null && e.getMessage().toLowerCase(Locale.ROOT).contains("closed")) {
      return DeliveryResult.retry("connection closed by the syslog server");
    }
    return DeliveryResult.retry("network error: " + e.getClass().getSimpleName());
  }

  @Override
  public Future<Void> close() {
    return tcp != null ? tcp.close() : udp.close();
  }
}
