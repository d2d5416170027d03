package dev.pincette.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * docs/properties.md lists every {@code pincette.*} system property the code reads: each string literal naming one in
 * the main sources of every module must appear there (a literal ending in a dot, a family such as
 * {@code pincette.opencl.buildOptions.}, as the start of a name there).
 */
class PropertiesDocTest {
  private static final Pattern PROPERTY = Pattern.compile("\"(pincette\\.[A-Za-z0-9_.]+)\"");

  @Test
  void everyPropertyTheCodeReadsIsDocumented() throws IOException {
    Path root = Path.of("").toAbsolutePath().getParent();
    String doc = Files.readString(root.resolve("docs/properties.md"));
    Set<String> properties = propertiesIn(root);
    assertTrue(properties.size() > 20, "found only " + properties + " under " + root);
    Set<String> missing = new TreeSet<>();
    for (String p : properties) {
      String documented = p.endsWith(".") ? "`" + p : "`" + p + "`";
      if (!doc.contains(documented)) missing.add(p);
    }
    assertEquals(Set.of(), missing, "pincette.* properties read in the code but not in docs/properties.md");
  }

  private static Set<String> propertiesIn(Path root) throws IOException {
    Set<String> found = new TreeSet<>();
    try (Stream<Path> modules = Files.list(root)) {
      for (Path main : modules.map(m -> m.resolve("src/main/java")).filter(Files::isDirectory).toList()) {
        List<Path> sources;
        try (Stream<Path> files = Files.walk(main)) {
          sources = files.filter(f -> f.toString().endsWith(".java")).toList();
        }
        for (Path source : sources) {
          Matcher m = PROPERTY.matcher(Files.readString(source));
          while (m.find()) found.add(m.group(1));
        }
      }
    }
    return found;
  }
}
