package io.vigil.api;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vigil.config.VigilConfig;
import io.vigil.store.ApiKeyStore;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.List;

/**
 * The operator key of tenant {@code default}, with every scope: the token from {@code
 * VIGIL_ADMIN_TOKEN} when set; else the one in {@code <data dir>/admin-token}, generated
 * (mode 0600) at first start. Only its hash goes into the database, and only the file's
 * path is ever logged.
 */
public final class OperatorKey {
  public static final String ID = "key_operator";
  public static final String TENANT = "default";

  private OperatorKey() {}

  /** Ensures the operator key exists; returns where its token comes from, for the log. */
  public static Future<String> bootstrap(Vertx vertx, VigilConfig config, ApiKeyStore keys) {
    return vertx.executeBlocking(() -> {
          if (config.adminToken().isPresent()) {
            return new String[] {config.adminToken().get().reveal(), "VIGIL_ADMIN_TOKEN"};
          }
          Path file = config.dataDir().resolve("admin-token");
          if (Files.exists(file)) {
            return new String[] {Files.readString(file, StandardCharsets.UTF_8).trim(), file.toString()};
          }
          String token = ApiTokens.newToken();
          writePrivate(file, token + "\n");
          return new String[] {token, file + " (generated)"};
        }, false)
        .compose(t -> keys.upsertBootstrap(ID, TENANT,
                Arrays.stream(Scope.values()).map(Scope::label).toList(), ApiTokens.hash(t[0]))
            .map(t[1]));
  }

  private static void writePrivate(Path file, String content) throws IOException {
    Files.createDirectories(file.getParent());
    Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
    Files.deleteIfExists(tmp);
    Files.createFile(tmp, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
    Files.writeString(tmp, content, StandardCharsets.UTF_8);
    Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
  }

  static List<String> allScopes() {
    return Arrays.stream(Scope.values()).map(Scope::label).toList();
  }
}
