package io.vigil.engine;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/** Reads the {@code *.drl} files of the rules directory (not its subdirectories). */
public final class RuleFiles {
  private RuleFiles() {}

  public static Map<String, String> read(Path dir) throws IOException {
    Map<String, String> files = new TreeMap<>();
    if (!Files.isDirectory(dir)) {
      return files;
    }
    try (Stream<Path> list = Files.list(dir)) {
      for (Path p : (Iterable<Path>) list.sorted()::iterator) {
        String name = p.getFileName().toString();
        if (name.endsWith(".drl") && Files.isRegularFile(p)) {
          files.put(name, Files.readString(p, StandardCharsets.UTF_8));
        }
      }
    }
    return files;
  }
}
