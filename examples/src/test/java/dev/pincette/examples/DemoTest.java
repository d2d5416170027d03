package dev.pincette.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import dev.pincette.Compute;
import dev.pincette.examples.cli.PincetteCli;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

class DemoTest {
  /**
   * Every op ran on every backend and the results agree. The verdict compares two backends only when both produced a
   * result: with a device present (on CI always: PoCL), every op must have run on it without falling back.
   */
  @Test
  void demoRunsEveryOpAndAllBackendsAgree() {
    boolean device = Compute.devices().stream().anyMatch(d -> d.backend().equals("opencl") && d.available());
    if (!device && "true".equalsIgnoreCase(System.getenv("CI"))) {
      fail("no OpenCL device (CI=true: the demo must compare the cpu with a device)");
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int problems = new Demo(new PrintStream(bytes, true, StandardCharsets.UTF_8), 32).run();
    String out = bytes.toString(StandardCharsets.UTF_8);
    assertEquals(0, problems, out);
    for (String op : new String[] {"matmul", "sum", "dot", "max", "neighbours"}) {
      assertTrue(out.contains(op + " ") && out.contains("auto chose"), "demo output lacks " + op + ":\n" + out);
      assertTrue(out.lines().anyMatch(l -> ranOn(l, op, "cpu")), op + ":\n" + out);
      if (device) {
        assertTrue(out.lines().anyMatch(l -> ranOn(l, op, "opencl")),
            op + " ran on the device:\n" + out);
      }
    }
    assertFalse(out.contains("fell back"), out);
    assertTrue(out.contains(device ? "All backends agree." : "Only the cpu is available: nothing to compare."), out);
  }

  /** Whether {@code line} is the demo's line of {@code op} run on {@code backend} (not auto's verdict). */
  private static boolean ranOn(String line, String op, String backend) {
    return line.strip().startsWith(op + " ") && !line.contains("->") && line.contains(" " + backend + " ");
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
