package io.vigil.engine;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the rules directory and asks for one reload once {@code *.drl} files have stopped
 * changing for the debounce period, so an editor's several saves in a second are one
 * reload. Files Vigil writes itself arrive here too; the reload sees them unchanged.
 */
public final class RulesWatcher implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(RulesWatcher.class);

  private final Path dir;
  private final long debounceMs;
  private final Runnable onChange;
  private WatchService watch;
  private Thread thread;

  public RulesWatcher(Path dir, Duration debounce, Runnable onChange) {
    this.dir = dir;
    this.debounceMs = debounce.toMillis();
    this.onChange = onChange;
  }

  public void start() throws IOException {
    Files.createDirectories(dir);
    watch = FileSystems.getDefault().newWatchService();
    dir.register(watch, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_MODIFY,
        StandardWatchEventKinds.ENTRY_DELETE);
    thread = new Thread(this::run, "vigil-rules-watch");
    thread.setDaemon(true);
    thread.start();
  }

  private void run() {
    long lastChange = 0;
    boolean pending = false;
    while (true) {
      WatchKey key;
      try {
        key = watch.poll(Math.min(100, Math.max(10, debounceMs / 4)), TimeUnit.MILLISECONDS);
      } catch (InterruptedException | ClosedWatchServiceException e) {
        return;
      }
      if (key != null) {
        for (WatchEvent<?> event : key.pollEvents()) {
          Object context = event.context();
          String name = context == null ? "" : context.toString();
          if (event.kind() == StandardWatchEventKinds.OVERFLOW || (name.endsWith(".drl") && !name.startsWith("."))) {
            lastChange = System.nanoTime();
            pending = true;
          }
        }
        if (!key.reset()) {
          log.warn("the rules directory {} is no longer watched", dir);
          return;
        }
      }
      if (pending && (System.nanoTime() - lastChange) / 1_000_000 >= debounceMs) {
        pending = false;
        try {
          onChange.run();
        } catch (RuntimeException e) {
          log.warn("reload after a file change failed: {}", e.toString());
        }
      }
    }
  }

  @Override
  public void close() {
    try {
      if (watch != null) {
        watch.close();
      }
    } catch (IOException e) {
      log.debug("closing the rules watcher: {}", e.toString());
    }
    if (thread != null) {
      thread.interrupt();
    }
  }
}
