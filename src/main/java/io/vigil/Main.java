package io.vigil;

import io.vigil.config.ConfigLoader;
import io.vigil.config.InvalidConfigException;
import io.vigil.config.VigilConfig;
import io.vigil.ruletest.RuleTestCommand;
import java.time.Clock;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** {@code java -jar vigil.jar}: load the configuration, start the server, stop it on SIGTERM. */
public final class Main {
  private static final Logger log = LoggerFactory.getLogger(Main.class);

  private Main() {}

  public static void main(String[] args) {
    if (args.length > 0 && args[0].equals("test")) {
      System.exit(RuleTestCommand.run(java.util.List.of(args).subList(1, args.length), System.out));
    }
    VigilConfig config;
    try {
      config = ConfigLoader.load(System.getenv());
    } catch (InvalidConfigException e) {
      System.err.println("vigil: " + e.getMessage());
      System.exit(2);
      return;
    }
    Server server = new Server(config, Clock.systemUTC());
    try {
      server.start().toCompletionStage().toCompletableFuture().get(5, TimeUnit.MINUTES);
    } catch (Exception e) {
      Throwable cause = e.getCause() != null ? e.getCause() : e;
      if (cause instanceof InvalidConfigException ice) {
        System.err.println("vigil: " + ice.getMessage());
        System.exit(2);
      }
      log.error("vigil failed to start: {}", cause.toString(), cause);
      System.exit(1);
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      log.info("shutting down");
      try {
        server.stop().toCompletionStage().toCompletableFuture().get(90, TimeUnit.SECONDS);
      } catch (Exception e) {
        log.warn("shutdown did not complete cleanly: {}", e.toString());
      }
    }, "vigil-shutdown"));
  }
}
