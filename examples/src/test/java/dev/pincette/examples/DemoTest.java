package dev.pincette.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pincette.examples.cli.PincetteCli;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class DemoTest {
  @Test
  void demoRunsEveryOpAndAllBackendsAgree() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int disagreements = new Demo(new PrintStream(bytes, true, StandardCharsets.UTF_8), 32).run();
    String out = bytes.toString(StandardCharsets.UTF_8);
    assertEquals(0, disagreements, out);
    for (String op : new String[] {"matmul", "sum", "dot", "max", "neighbours"}) {
      assertTrue(out.contains(op + " ") && out.contains("auto chose"), "demo output lacks " + op + ":\n" + out);
    }
    assertTrue(out.contains("All backends agree."), out);
  }

  @Test
  void userMistakesAreOneLineAndANonZeroExit() {
    StringWriter err = new StringWriter();
    CommandLine cli = new CommandLine(new PincetteCli());
    cli.setErr(new PrintWriter(err));
    int code = cli.execute("demo", "--scale", "banana");
    assertTrue(code != 0);
    assertTrue(err.toString().contains("banana"), err.toString());
    assertTrue(!err.toString().contains("\tat "), "no stack trace: " + err);
    assertTrue(new CommandLine(new PincetteCli()).execute("nonsense") != 0);
  }
}
