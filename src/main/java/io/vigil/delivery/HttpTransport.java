package io.vigil.delivery;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.Promise;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpClientRequest;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.PoolOptions;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.SocketAddress;
import java.net.ConnectException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLException;

/**
 * HTTP for every HTTP channel, written once: the target is checked by {@link TargetGuard}
 * and the connection pinned to the checked address; redirects are not followed; each
 * attempt has one deadline for connect, send and the whole response; at most {@code
 * maxResponseBytes} of a response are kept; statuses are classified by {@link
 * DeliveryResult#fromHttp}. Errors name what went wrong, never the URL (URLs carry tokens).
 */
public final class HttpTransport {
  private final Vertx vertx;
  private final HttpClient client;
  private final TargetGuard guard;
  private final long timeoutMs;
  private final long maxResponseBytes;
  private final Clock clock;

  public HttpTransport(Vertx vertx, TargetGuard guard, Duration timeout, long maxResponseBytes, Clock clock) {
    this.vertx = vertx;
    this.guard = guard;
    this.timeoutMs = timeout.toMillis();
    this.maxResponseBytes = maxResponseBytes;
    this.clock = clock;
    this.client = vertx.createHttpClient(
        new HttpClientOptions()
            .setConnectTimeout((int) timeoutMs)
            .setKeepAlive(true)
            .setTrustAll(false)
            .setVerifyHost(true)
            .setName("vigil-delivery"),
        new PoolOptions().setHttp1MaxSize(32));
  }

  public TargetGuard guard() {
    return guard;
  }

  public Future<DeliveryResult> send(HttpMethod method, String url, MultiMap headers, Buffer body) {
    URI uri;
    try {
      uri = URI.create(url);
    } catch (IllegalArgumentException e) {
      return Future.succeededFuture(DeliveryResult.failed("invalid URL"));
    }
    boolean ssl = "https".equalsIgnoreCase(uri.getScheme());
    int port = uri.getPort() > 0 ? uri.getPort() : ssl ? 443 : 80;
    String host = uri.getHost();
    String path = (uri.getRawPath() == null || uri.getRawPath().isEmpty() ? "/" : uri.getRawPath())
        + (uri.getRawQuery() == null ? "" : "?" + uri.getRawQuery());
    Promise<DeliveryResult> result = Promise.promise();
    AtomicReference<HttpClientRequest> inFlight = new AtomicReference<>();
    long deadline = vertx.setTimer(timeoutMs, t -> {
      if (result.tryComplete(DeliveryResult.retry("timeout: no complete answer within " + timeoutMs + "ms"))) {
        HttpClientRequest r = inFlight.get();
        if (r != null) {
          r.reset();
        }
      }
    });
    guard.resolve(vertx, host)
        .compose(address -> client.request(new RequestOptions()
            .setMethod(method)
            .setHost(host)
            .setPort(port)
            .setSsl(ssl)
            .setURI(path)
            .setServer(SocketAddress.inetSocketAddress(port, address.getHostAddress()))
            .setFollowRedirects(false)
            .setConnectTimeout(timeoutMs)
            .setIdleTimeout(timeoutMs)))
        .compose(req -> {
          inFlight.set(req);
          req.headers().addAll(headers);
          return req.send(body);
        })
        .compose(resp -> {
          Promise<DeliveryResult> read = Promise.promise();
          Buffer kept = Buffer.buffer();
          resp.handler(chunk -> {
            long room = maxResponseBytes - kept.length();
            if (room > 0) {
              kept.appendBuffer(chunk.length() <= room ? chunk : chunk.slice(0, (int) room));
            }
          });
          resp.exceptionHandler(read::tryFail);
          resp.endHandler(v -> read.tryComplete(DeliveryResult.fromHttp(
              resp.statusCode(), kept.toString(StandardCharsets.UTF_8), resp.getHeader("Retry-After"),
              clock.instant())));
          return read.future();
        })
        .onComplete(ar -> {
          vertx.cancelTimer(deadline);
          result.tryComplete(ar.succeeded() ? ar.result() : classify(ar.cause()));
        });
    return result.future();
  }

  /** Turns a transport failure into a result whose text is safe to store and show. */
  static DeliveryResult classify(Throwable e) {
    if (e instanceof TargetGuard.Refused) {
      return DeliveryResult.failed(e.getMessage());
    }
    if (e instanceof UnknownHostException) {
      return DeliveryResult.retry("host not found");
    }
    if (e instanceof ConnectException) {
      return DeliveryResult.retry("connection refused");
    }
    if (e instanceof TimeoutException || e.getClass().getSimpleName().contains("Timeout")) {
      return DeliveryResult.retry("timeout");
    }
    if (e instanceof SSLException || e.getClass().getSimpleName().contains("Ssl")) {
      return DeliveryResult.retry("TLS handshake failed");
    }
    if (e.getMessage() != null && e.getMessage().contains("closed")) {
      return DeliveryResult.retry("connection closed by the receiver");
    }
    return DeliveryResult.retry("network error: " + e.getClass().getSimpleName());
  }

  public Future<Void> close() {
    return client.close();
  }
}
