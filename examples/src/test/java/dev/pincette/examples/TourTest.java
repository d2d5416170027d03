package dev.pincette.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The usage shown in the README and the Javadoc overview is code the build compiles: {@link Tour}, line for line. */
class TourTest {
  private static final Pattern JAVA_BLOCK = Pattern.compile("```java\n(.*?)```", Pattern.DOTALL);
  private static final Path TOUR = Path.of("src/main/java/dev/pincette/examples/Tour.java");

  @Test
  void readmeUsageIsTheCompiledTour() throws IOException {
    assertShowsOnlyTourLines(Path.of("../README.md"), 2);
  }

  @Test
  void javadocOverviewUsageIsTheCompiledTour() throws IOException {
    assertShowsOnlyTourLines(Path.of("../src/javadoc/overview.md"), 1);
  }

  /** Every code line of the document's Java blocks (imports aside) is a line of {@link Tour}, blanks ignored. */
  private static void assertShowsOnlyTourLines(Path document, int blocks) throws IOException {
    Set<String> tour = Files.readAllLines(TOUR).stream().map(String::strip).collect(Collectors.toSet());
    Matcher m = JAVA_BLOCK.matcher(Files.readString(document));
    List<String> foreign = new ArrayList<>();
    int found = 0;
    while (m.find()) {
      found++;
      m.group(1).lines().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("import "))
          .filter(l -> !tour.contains(l)).forEach(foreign::add);
    }
    assertEquals(blocks, found, "Java blocks in " + document);
    assertTrue(foreign.isEmpty(), document + " shows lines that Tour.java does not compile: " + foreign);
  }
}
