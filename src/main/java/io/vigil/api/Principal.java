package io.vigil.api;

import java.util.Set;

/** Who is calling: the API key's id, its tenant (the only source of the tenant), its scopes. */
public record Principal(String keyId, String tenant, Set<Scope> scopes) {
  public boolean has(Scope scope) {
    return scopes.contains(scope) || scopes.contains(Scope.OPERATOR);
  }
}
