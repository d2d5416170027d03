package dev.pincette.examples.fuzz;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/**
 * Fuzzes the whole public API from forked JVMs: each runs {@link ApiFuzzer} and reports its cases line by line, so a
 * JVM that dies (a crash in native code) or a call that never returns ends that worker, is recorded against the case
 * it was running, and a new worker goes on from the next case.
 *
 * <pre>{@code
 * Fuzzer.Result r = new Fuzzer(new Fuzzer.Options(1, 12, 60, false, "")).run(System.out);
 * if (!r.passed()) ...   // r.failures(): one line per failing case, with its method, index and arguments
 * }</pre>
 */
public final class Fuzzer {
  /** Workers a run may start before it gives up (each crash or hang costs one). */
  private static final int MAX_WORKERS = 50;

  /**
   * @param seed makes the cases; a case is reproduced by its seed, method and index
   * @param cases cases per method
   * @param timeoutSeconds the longest a call may take before it counts as hung
   * @param includeKnown also run the known defects that crash or hang (see {@link KnownDefects})
   * @param only run only the methods whose signature starts with this ({@code Compute.matmul}), or all
   */
  public record Options(long seed, int cases, long timeoutSeconds, boolean includeKnown, String only) {}

  /**
   * What a run found: failing cases (wrong results, unexpected exceptions or messages, crashes, hangs), cases of known
   * defects, cases of known defects that now pass, and how many cases ran.
   */
  public record Result(List<String> failures, List<String> known, List<String> nowPassing, long cases, int methods) {
    public boolean passed() {
      return failures.isEmpty();
    }
  }

  private final Options options;

  public Fuzzer(Options options) {
    if (options.cases() < 1) throw new IllegalArgumentException("fuzz: cases must be at least 1, got " + options.cases());
    this.options = options;
  }

  /** The public methods no fuzz target calls; the fuzzer covers the API when this is empty. */
  public static List<String> uncovered() {
    return ApiFuzzer.uncovered();
  }

  /** Runs every method's cases in forked workers; progress (one line per method) and findings go to {@code log}. */
  public Result run(PrintStream log) throws IOException, InterruptedException {
    List<String> failures = new ArrayList<>(), known = new ArrayList<>(), nowPassing = new ArrayList<>();
    long cases = 0;
    int methods = 0;
    String from = null;
    int fromIndex = 0;
    for (int worker = 0; worker < MAX_WORKERS; worker++) {
      Process process = start(from, fromIndex);
      String lastCase = null;
      boolean ended = false;
      StringBuilder jvmReport = new StringBuilder();
      // A worker silent for longer than a call may take (stuck outside a call, or unable to exit) is ended.
      java.util.concurrent.atomic.AtomicLong lastLine = new java.util.concurrent.atomic.AtomicLong(System.nanoTime());
      Thread watchdog = Thread.ofPlatform().daemon().start(() -> {
        while (process.isAlive()) {
          if (System.nanoTime() - lastLine.get() > TimeUnit.SECONDS.toNanos(2 * options.timeoutSeconds() + 60)) {
            process.destroyForcibly();
          }
          try {
            Thread.sleep(1000);
          } catch (InterruptedException e) {
            return;
          }
        }
      });
      try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(),
          StandardCharsets.UTF_8))) {
        for (String line = in.readLine(); line != null; line = in.readLine()) {
          lastLine.set(System.nanoTime());
          String[] f = line.split(" ", 4);
          switch (f[0]) {
            case "CASE" -> {
              lastCase = line.substring(5);
              cases++;
            }
            case "FAIL" -> failures.add(line.substring(5));
            case "KNOWN" -> known.add(line.substring(6));
            case "NOWPASSES" -> nowPassing.add(line.substring(10));
            case "SKIP" -> known.add(line.substring(5) + " (not run)");
            case "DONE" -> {
              methods++;
              log.println("  " + f[1] + ": " + f[2] + " cases" + (f.length > 3 ? ", " + f[3] + " ms" : ""));
            }
            case "END" -> ended = true;
            case "HANG" -> failures.add("hang: " + line.substring(5));
            default -> {
              // The JVM's own lines: an hs_err report names its file on standard output.
              if (line.startsWith("#")) jvmReport.append(line).append('\n');
            }
          }
        }
      }
      if (!process.waitFor(options.timeoutSeconds() + 60, TimeUnit.SECONDS)) process.destroyForcibly();
      process.waitFor();
      watchdog.interrupt();
      if (ended) break;
      int exit = process.exitValue();
      if (lastCase == null) {
        failures.add("the fuzzing JVM exited with " + exit + " before its first case");
        break;
      }
      if (exit != ApiFuzzer.HUNG) {
        failures.add("crash: the JVM died (exit " + exit + ") in " + lastCase + jvmFile(jvmReport));
      }
      String[] f = lastCase.split(" ", 3);
      from = f[0];
      fromIndex = Integer.parseInt(f[1]) + 1;
      if (fromIndex >= options.cases()) {
        // Go on with the method after the one that died: the worker skips to it by name.
        from = nextMethod(from);
        fromIndex = 0;
        if (from == null) break;
      }
    }
    for (String f : failures) log.println("FAIL " + f);
    for (String k : known) log.println("known " + k);
    for (String p : nowPassing) log.println("now passes " + p + " (remove it from KnownDefects)");
    log.printf(Locale.ROOT, "fuzz: %d methods, %,d cases, %d failing, %d of known defects%n", methods, cases,
        failures.size(), known.size());
    return new Result(List.copyOf(failures), List.copyOf(known), List.copyOf(nowPassing), cases, methods);
  }

  private String nextMethod(String signature) {
    List<String> all = ApiFuzzer.targets(options.only()).stream().map(Target::signature).toList();
    int at = all.indexOf(signature);
    return at >= 0 && at + 1 < all.size() ? all.get(at + 1) : null;
  }

  private static String jvmFile(StringBuilder report) {
    for (String line : report.toString().split("\n")) {
      if (line.contains("hs_err")) return "; " + line.replace("#", "").strip();
    }
    return "";
  }

  /** A worker JVM like this one: same Java, class path, JVM flags and pincette properties. */
  private Process start(String from, int fromIndex) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    for (String arg : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (arg.startsWith("--add-modules") || arg.startsWith("--enable-native-access") || arg.startsWith("-Dpincette.")
          || arg.startsWith("--sun-misc") || arg.startsWith("-Xmx")) {
        command.add(arg);
      }
    }
    if (command.stream().noneMatch(a -> a.startsWith("--add-modules"))) command.add("--add-modules=jdk.incubator.vector");
    if (command.stream().noneMatch(a -> a.startsWith("--enable-native-access"))) {
      command.add("--enable-native-access=ALL-UNNAMED");
    }
    // Crash reports go to the system's temporary folder, not the working directory.
    command.add("-XX:ErrorFile=" + Path.of(System.getProperty("java.io.tmpdir"), "pincette-fuzz-hs_err_%p.log"));
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add(ApiFuzzer.class.getName());
    command.add(Long.toString(options.seed()));
    command.add(Integer.toString(options.cases()));
    command.add(Long.toString(options.timeoutSeconds()));
    command.add(Boolean.toString(options.includeKnown()));
    command.add(options.only().isEmpty() ? "-" : options.only());
    if (from != null) {
      command.add(from);
      command.add(Integer.toString(fromIndex));
    }
    return new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT).start();
  }
}
