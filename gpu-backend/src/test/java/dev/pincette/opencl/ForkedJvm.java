package dev.pincette.opencl;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Runs a main class of the test class path in a JVM of its own, with this JVM's {@code pincette.*} properties: a call
 * that would crash the JVM in native code (a kernel writing past its buffer) then fails the test that made it instead
 * of killing the whole test run.
 */
final class ForkedJvm {
  private ForkedJvm() {}

  /** How the forked JVM ended: its exit code (a crash gives a non-zero one) and everything it printed. */
  record Result(int exitCode, String output) {}

  static Result run(Class<?> main, long timeoutSeconds, String... args) throws IOException, InterruptedException {
    return run(main, timeoutSeconds, List.of(), args);
  }

  /** As {@link #run(Class, long, String...)}, with {@code jvmOptions} (e.g. {@code -Dpincette.opencl.fp64=false}). */
  static Result run(Class<?> main, long timeoutSeconds, List<String> jvmOptions, String... args)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.add("--add-modules=jdk.incubator.vector");
    command.add("--enable-native-access=ALL-UNNAMED");
    command.add("-XX:-CreateCoredumpOnCrash");
    // A crash report goes to the temporary folder, not into the module's working directory.
    command.add("-XX:ErrorFile=" + Path.of(System.getProperty("java.io.tmpdir"), "pincette-hs_err_%p.log"));
    for (String name : System.getProperties().stringPropertyNames()) {
      if (name.startsWith("pincette.")) command.add("-D" + name + "=" + System.getProperty(name));
    }
    command.addAll(jvmOptions);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(main.getName());
    command.addAll(List.of(args));
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    byte[][] output = new byte[1][];
    Thread reader = Thread.ofVirtual().start(() -> {
      try {
        output[0] = process.getInputStream().readAllBytes();
      } catch (IOException e) {
        output[0] = ("reading the output failed: " + e).getBytes(StandardCharsets.UTF_8);
      }
    });
    if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
      process.destroyForcibly().waitFor();
      reader.join();
      return new Result(-1, "timed out after " + timeoutSeconds + " s:\n"
          + new String(output[0], StandardCharsets.UTF_8));
    }
    reader.join();
    return new Result(process.exitValue(), new String(output[0], StandardCharsets.UTF_8));
  }
}
