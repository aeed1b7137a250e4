package io.vigil.api;

import io.vertx.core.Future;
import io.vertx.core.Handler;
import io.vertx.ext.web.RoutingContext;
import io.vigil.store.ApiKeyStore;
import java.time.Clock;
import java.util.EnumSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Authenticates {@code Authorization: Bearer <token>} against stored key hashes and puts
 * the {@link Principal} on the request. Lookups are cached for a few seconds so ingest does
 * not pay a query per request; revoking a key through this process drops it at once.
 */
public final class ApiKeyAuth implements Handler<RoutingContext> {
  static final String PRINCIPAL = "vigil.principal";
  private static final long CACHE_MS = 5_000;

  private final ApiKeyStore keys;
  private final Clock clock;
  private final Map<String, Cached> cache = new ConcurrentHashMap<>();

  public ApiKeyAuth(ApiKeyStore keys, Clock clock) {
    this.keys = keys;
    this.clock = clock;
  }

  @Override
  public void handle(RoutingContext ctx) {
    String header = ctx.request().getHeader("Authorization");
    if (header == null || !header.regionMatches(true, 0, "Bearer ", 0, 7) || header.length() <= 7) {
      ctx.fail(new ApiError(ErrorCode.UNAUTHORIZED, "send Authorization: Bearer <api token>"));
      return;
    }
    String hash = ApiTokens.hash(header.substring(7).trim());
    long now = clock.millis();
    Cached c = cache.get(hash);
    Future<Optional<Principal>> lookup = c != null && c.until > now
        ? Future.succeededFuture(c.principal)
        : keys.findByHash(hash).map(k -> {
          Optional<Principal> p = k.map(ApiKeyAuth::principalOf);
          if (cache.size() > 10_000) {
            cache.clear();
          }
          cache.put(hash, new Cached(p, now + CACHE_MS));
          return p;
        });
    lookup.onComplete(ar -> {
      if (ar.failed()) {
        ctx.fail(ApiError.unavailable("cannot check the API key: the database is unavailable", 5));
      } else if (ar.result().isEmpty()) {
        ctx.fail(new ApiError(ErrorCode.UNAUTHORIZED, "the API token is not valid"));
      } else {
        ctx.put(PRINCIPAL, ar.result().get());
        ctx.next();
      }
    });
  }

  /** Forgets cached lookups, after a key is revoked. */
  public void invalidate() {
    cache.clear();
  }

  static Principal principalOf(ApiKeyStore.KeyRecord k) {
    Set<Scope> scopes = EnumSet.noneOf(Scope.class);
    k.scopes().forEach(s -> Scope.parse(s).ifPresent(scopes::add));
    return new Principal(k.id(), k.tenant(), Set.copyOf(scopes));
  }

  private record Cached(Optional<Principal> principal, long until) {}
}
