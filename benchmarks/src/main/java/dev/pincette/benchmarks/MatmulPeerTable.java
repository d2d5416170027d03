package dev.pincette.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.util.Statistics;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.VerboseMode;

/**
 * Runs {@link MatmulPeerBenchmark} one shape at a time (its three sides back to back, so load from other processes
 * falls on all three alike) and prints the table: the median ms per product with its GFLOP/s, the fastest call, and
 * OpenBLAS time / Pincette time of both (above 1: Pincette is faster), with the machine, the OpenBLAS build and the
 * load average before and after, and the median time of allocating C alone (the JVM zeroes it on the caller's
 * thread; every Java API returning a new result pays it, OpenBLAS writing into a given buffer does not). Needs no
 * shaded jar, so it runs from the GPU bundle too.
 *
 * <pre>{@code
 * java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED \
 *     -cp benchmarks/target/benchmarks.jar dev.pincette.benchmarks.MatmulPeerTable [--rounds 2] [--shapes 512x512x512,...]
 * }</pre>
 */
public final class MatmulPeerTable {
  private static final List<String> SHAPES = List.of("256x256x256", "512x512x512", "1024x1024x1024",
      "2048x2048x2048", "4096x4096x4096", "4096x64x4096", "64x4096x64", "8192x256x256");

  private MatmulPeerTable() {}

  public static void main(String[] args) throws RunnerException, IOException {
    List<String> shapes = SHAPES;
    int rounds = 1;
    Integer warmups = null, iterations = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--shapes" -> shapes = Arrays.asList(args[++i].split(","));
        case "--rounds" -> rounds = Integer.parseInt(args[++i]);
        case "--wi" -> warmups = Integer.parseInt(args[++i]);
        case "--i" -> iterations = Integer.parseInt(args[++i]);
        default -> {
          System.err.println("usage: MatmulPeerTable [--shapes MxKxN,...] [--rounds N] [--wi N] [--i N]");
          System.exit(2);
        }
      }
    }
    int cores = Runtime.getRuntime().availableProcessors();
    String peer;
    try (OpenBlas blas = new OpenBlas(cores)) {
      peer = blas.description();
    }
    List<String> lines = new ArrayList<>();
    lines.add("CPU: " + cpuName() + ", " + cores + " cores; Java " + Runtime.version() + "; Pincette: "
        + dev.pincette.cpu.VectorSupport.describe());
    lines.add("peer: OpenBLAS " + peer);
    lines.add("median ms per product (GFLOP/s) / fastest ms; ratio = OpenBLAS time / Pincette time, median and"
        + " fastest (above 1: Pincette is faster); new float[]: median ms to allocate C alone");
    lines.add(String.format(Locale.ROOT, "%-15s %5s %24s %24s %24s %11s %11s %12s  %s", "m×k×n", "round",
        "public API", "backend", "OpenBLAS", "API ratio", "backend", "new float[]", "load avg 1/5/15 min before -> after"));
    lines.forEach(System.out::println);
    for (int round = 1; round <= rounds; round++) {
      for (String shape : shapes) {
        ChainedOptionsBuilder options = new OptionsBuilder()
            .include(MatmulPeerBenchmark.class.getName() + "\\.(publicApi|backend|openBlas|resultAllocation)$")
            .param("shape", shape).verbosity(VerboseMode.SILENT);
        if (warmups != null) options.warmupIterations(warmups);
        if (iterations != null) options.measurementIterations(iterations);
        String loadBefore = loadAverage();
        Map<String, Statistics> times = new TreeMap<>();
        for (RunResult r : new Runner(options.build()).run()) {
          String label = r.getParams().getBenchmark();
          times.put(label.substring(label.lastIndexOf('.') + 1), r.getPrimaryResult().getStatistics());
        }
        double flops = flops(shape);
        Statistics api = times.get("publicApi"), backend = times.get("backend"), blas = times.get("openBlas");
        String line = String.format(Locale.ROOT, "%-15s %5d %24s %24s %24s %5.2f %5.2f %5.2f %5.2f %12.3f  %s -> %s",
            shape, round, cell(api, flops), cell(backend, flops), cell(blas, flops), median(blas) / median(api),
            blas.getMin() / api.getMin(), median(blas) / median(backend), blas.getMin() / backend.getMin(),
            median(times.get("resultAllocation")), loadBefore, loadAverage());
        lines.add(line);
        System.out.println(line);
      }
    }
    System.out.println();
    lines.forEach(System.out::println);
  }

  private static String cell(Statistics ms, double flops) {
    return String.format(Locale.ROOT, "%.3f (%.0f) / %.3f", median(ms), flops / (median(ms) * 1e-3) / 1e9,
        ms.getMin());
  }

  private static double median(Statistics s) {
    return s.getPercentile(50);
  }

  private static double flops(String shape) {
    String[] p = shape.split("x");
    return 2.0 * Long.parseLong(p[0]) * Long.parseLong(p[1]) * Long.parseLong(p[2]);
  }

  private static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).split(" ");
      return f[0] + "/" + f[1] + "/" + f[2];
    } catch (IOException | RuntimeException e) {
      return "?";
    }
  }

  private static String cpuName() {
    try (var lines = Files.lines(Path.of("/proc/cpuinfo"))) {
      return lines.filter(l -> l.startsWith("model name")).map(l -> l.substring(l.indexOf(':') + 1).strip())
          .findFirst().orElse(System.getProperty("os.arch"));
    } catch (IOException | RuntimeException e) {
      return System.getProperty("os.arch");
    }
  }
}
