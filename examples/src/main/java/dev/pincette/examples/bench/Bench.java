package dev.pincette.examples.bench;

import dev.pincette.BackendKind;
import dev.pincette.Compute;
import dev.pincette.Explanation;
import dev.pincette.Prediction;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;
import me.tongfei.progressbar.ProgressBar;
import me.tongfei.progressbar.ProgressBarBuilder;
import me.tongfei.progressbar.ProgressBarStyle;

/**
 * Ops × sizes × backends: the median time of each case forced onto each backend, auto's choice, and the regret
 * {@code time(chosen)/time(fastest) − 1}. The backends take turns within a case (a warm-up each, then five rounds of
 * timed calls), so a machine whose speed drifts during a case shifts every backend's median alike.
 */
public final class Bench {
  private final List<BackendKind> kinds;
  private final double secondsPerCase;

  public Bench(List<BackendKind> kinds, double secondsPerCase) {
    this.kinds = kinds;
    this.secondsPerCase = secondsPerCase;
  }

  public List<BenchResult> run(List<BenchCase> cases, boolean progress) {
    List<BenchResult> results = new ArrayList<>();
    ProgressBarBuilder builder = new ProgressBarBuilder().setTaskName("bench").setInitialMax(cases.size())
        .setStyle(ProgressBarStyle.ASCII).setUpdateIntervalMillis(200).continuousUpdate();
    if (!progress) builder.setConsumer(new me.tongfei.progressbar.DelegatingProgressBarConsumer(s -> {}));
    try (ProgressBar bar = builder.build()) {
      for (BenchCase c : cases) {
        bar.setExtraMessage(c.op() + " " + c.shape());
        results.add(measure(c));
        bar.step();
      }
    }
    return results;
  }

  /** Rounds per case: the backends take turns, so a machine that speeds up or slows down meanwhile affects all. */
  private static final int ROUNDS = 5;

  private BenchResult measure(BenchCase c) {
    Supplier<Object> call = c.inputs().get();
    // Per backend: a third of its share warms up (the JIT compiles the CPU kernels, the device builds its programs),
    // the rest is timed in rounds.
    double share = secondsPerCase / Math.max(1, kinds.size());
    double slice = share * 2 / 3 / ROUNDS;
    Map<BackendKind, List<Double>> samples = new LinkedHashMap<>();
    for (BackendKind kind : kinds) {
      samples.put(kind, new ArrayList<>());
      warmUp(() -> Compute.on(kind).call(call), share / 3);
    }
    for (int round = 0; round < ROUNDS; round++) {
      for (BackendKind kind : kinds) sample(() -> Compute.on(kind).call(call), slice, samples.get(kind));
    }
    Map<String, Double> medians = new LinkedHashMap<>();
    samples.forEach((kind, times) -> {
      times.sort(null);
      medians.put(kind.id(), times.get(times.size() / 2));
    });
    Explanation e = Compute.explain(call::get);
    double predicted = e.predictions().stream().filter(p -> p.backend().equals(e.chosen()))
        .mapToDouble(Prediction::totalSeconds).findFirst().orElse(Double.NaN);
    return new BenchResult(c, medians, e.chosen(), predicted);
  }

  /** Calls until {@code seconds} have passed (at least twice): the JIT compiles, the device builds its programs. */
  private static void warmUp(Supplier<?> call, double seconds) {
    long end = System.nanoTime() + (long) (seconds * 1e9);
    int calls = 0;
    do {
      call.get();
      calls++;
    } while (calls < 2 || System.nanoTime() < end);
  }

  /** Times calls for {@code seconds} (at least one) into {@code times}. */
  private static void sample(Supplier<?> call, double seconds, List<Double> times) {
    long end = System.nanoTime() + (long) (seconds * 1e9);
    int calls = 0;
    do {
      long start = System.nanoTime();
      call.get();
      times.add((System.nanoTime() - start) * 1e-9);
      calls++;
    } while ((calls < 1 || System.nanoTime() < end) && times.size() < 100_000);
  }

  /**
   * Median of repeated calls after a warm-up of a third of the budget (the JIT compiles the CPU kernels, the GPU
   * builds its programs), within {@code seconds} (at least 2 warm-up and 3 timed calls). The warm-up is bounded by
   * time, not by a call count: a small call needs thousands of runs before C2 compiles its loops, and measured
   * before that it shows the interpreter's speed, 100x slower.
   */
  public static double median(Supplier<?> call, double seconds) {
    long budget = (long) (seconds * 1e9);
    long warmEnd = System.nanoTime() + budget / 3;
    int warm = 0;
    do {
      call.get();
      warm++;
    } while (warm < 2 || System.nanoTime() < warmEnd);
    List<Double> times = new ArrayList<>();
    long end = System.nanoTime() + budget;
    while (times.size() < 3 || (System.nanoTime() < end && times.size() < 100_000)) {
      long start = System.nanoTime();
      call.get();
      times.add((System.nanoTime() - start) * 1e-9);
    }
    times.sort(null);
    return times.get(times.size() / 2);
  }

  public static void printTable(List<BenchResult> results, List<BackendKind> kinds, PrintStream out) {
    StringBuilder header = new StringBuilder(String.format(Locale.ROOT, "%-14s %-22s", "op", "shape"));
    for (BackendKind k : kinds) header.append(String.format(Locale.ROOT, " %12s", k.id()));
    header.append(String.format(Locale.ROOT, "  %-8s %12s %8s", "auto", "predicted", "regret"));
    out.println(header);
    for (BenchResult r : results) {
      StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "%-14s %-22s", r.benchCase().op(),
          r.benchCase().shape()));
      for (BackendKind k : kinds) {
        String t = time(r.medianSeconds().get(k.id()));
        line.append(String.format(Locale.ROOT, " %12s", k.id().equals(r.fastest()) ? "*" + t : t));
      }
      line.append(String.format(Locale.ROOT, "  %-8s %12s %7.1f%%", r.chosen(), time(r.predictedSeconds()),
          100 * r.regret()));
      out.println(line);
    }
    out.println("(* fastest)");
  }

  /** One line: mean and max regret over the results. */
  public static String regretSummary(List<BenchResult> results) {
    double sum = 0, max = 0;
    BenchResult worst = null;
    for (BenchResult r : results) {
      double regret = r.regret();
      sum += regret;
      if (worst == null || regret > max) {
        max = regret;
        worst = r;
      }
    }
    return String.format(Locale.ROOT, "regret over %d cases: mean %.1f%%, max %.1f%% (%s %s)", results.size(),
        100 * sum / Math.max(1, results.size()), 100 * max, worst == null ? "-" : worst.benchCase().op(),
        worst == null ? "" : worst.benchCase().shape());
  }

  public static void writeJson(List<BenchResult> results, Path file) throws IOException {
    List<String> lines = new ArrayList<>();
    for (BenchResult r : results) {
      for (String backend : r.medianSeconds().keySet()) lines.add(r.jsonLine(backend));
    }
    Files.write(file, lines);
  }

  public static void writeCsv(List<BenchResult> results, Path file) throws IOException {
    List<String> lines = new ArrayList<>();
    lines.add("op,shape,backend,median_s,chosen");
    for (BenchResult r : results) {
      for (String backend : r.medianSeconds().keySet()) lines.add(r.csvLine(backend));
    }
    Files.write(file, lines);
  }

  static String time(double s) {
    if (Double.isNaN(s)) return "-";
    if (s < 1e-3) return String.format(Locale.ROOT, "%.1f us", s * 1e6);
    if (s < 1) return String.format(Locale.ROOT, "%.2f ms", s * 1e3);
    return String.format(Locale.ROOT, "%.2f s", s);
  }
}
