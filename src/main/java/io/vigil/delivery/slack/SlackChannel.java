package io.vigil.delivery.slack;

import io.vertx.core.Future;
import io.vertx.core.MultiMap;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpMethod;
import io.vigil.config.ChannelConfig;
import io.vigil.config.Secret;
import io.vigil.delivery.Channel;
import io.vigil.delivery.DeliveryResult;
import io.vigil.delivery.HttpTransport;
import io.vigil.delivery.OutboundMessage;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;

/**
 * A Slack incoming webhook: posts one {@link SlackMessage} per alert. Slack answers 200
 * {@code ok}; 429 (with its {@code Retry-After}) and 5xx are retried, and 400, 403, 404 or
 * 410 fail for good with Slack's answer kept ({@code invalid_payload}, {@code no_service},
 * {@code channel_is_archived}), as {@link DeliveryResult#fromHttp} decides for every
 * channel. The webhook URL is the credential: it never appears in a result, even when a
 * receiver echoes it back.
 */
public final class SlackChannel implements Channel {
  private final ChannelConfig.Slack config;
  private final HttpTransport http;
  private final List<String> secretTexts;

  public SlackChannel(ChannelConfig.Slack config, HttpTransport http) {
    this.config = config;
    this.http = http;
    this.secretTexts = secretTexts(config.url().reveal());
  }

  @Override
  public ChannelConfig config() {
    return config;
  }

  @Override
  public Future<DeliveryResult> send(OutboundMessage message) {
    Buffer body = Buffer.buffer(SlackMessage.of(message).encode());
    MultiMap headers = MultiMap.caseInsensitiveMultiMap()
        .set("content-type", "application/json; charset=utf-8")
        .set("user-agent", "Vigil");
    return http.send(HttpMethod.POST, config.url().reveal(), headers, body).map(this::withoutUrl);
  }

  private DeliveryResult withoutUrl(DeliveryResult result) {
    if (result instanceof DeliveryResult.Retry r) {
      return new DeliveryResult.Retry(redact(r.error()), r.statusCode(), r.retryAfter());
    }
    if (result instanceof DeliveryResult.Failed f) {
      return new DeliveryResult.Failed(redact(f.error()), f.statusCode());
    }
    return result;
  }

  private String redact(String error) {
    String out = error;
    for (String s : secretTexts) {
      out = out.replace(s, Secret.MASK);
    }
    return out;
  }

  // The whole URL, then the path that carries the tokens (/services/T…/B…/…), longest first.
  private static List<String> secretTexts(String url) {
    List<String> out = new ArrayList<>();
    out.add(url);
    try {
      String path = URI.create(url).getRawPath();
      if (path != null && path.length() > 1) {
        out.add(path);
      }
    } catch (IllegalArgumentException e) {
      // An unreadable URL is refused by the transport before anything is sent.
    }
    out.removeIf(String::isEmpty);
    return List.copyOf(out);
  }
}
