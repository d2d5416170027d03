package dev.pincette.examples.cli;

import dev.pincette.AsyncCompute;
import dev.pincette.BackendKind;
import dev.pincette.Compute;
import dev.pincette.DeviceMatrix;
import dev.pincette.HostMatrix;
import dev.pincette.Matrix;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.function.DoubleSupplier;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code pincette device-data}: what keeping data on the device, asynchronous calls and pipelined transfers buy, each
 * as a ratio measured in one run: a chain of dependent products on resident matrices against the same calls on host
 * arrays; many small independent products issued asynchronously against one after another; and a large host-array
 * product against its own kernel time.
 */
@Command(name = "device-data", mixinStandardHelpOptions = true,
    description = {"Resident chains, asynchronous overlap and pipelined transfers, measured as ratios in one run.",
        "Example: pincette device-data --chain-size 4096 --pipeline-size 8192"})
final class DeviceDataCommand implements Callable<Integer> {
  @Option(names = "--backend", defaultValue = "opencl", description = "opencl (default), auto or cpu.")
  String backend;

  @Option(names = "--chain-size", defaultValue = "4096", description = "Side of the chained matrices.")
  int chainSize;

  @Option(names = "--chain-length", defaultValue = "10", description = "Dependent products in the chain.")
  int chainLength;

  @Option(names = "--async-count", defaultValue = "1000", description = "Independent products issued at once.")
  int asyncCount;

  @Option(names = "--async-size", defaultValue = "256", description = "Side of each independent product.")
  int asyncSize;

  @Option(names = "--pipeline-size", defaultValue = "8192", description = "Side of the large host-array product.")
  int pipelineSize;

  @Option(names = "--repeats", defaultValue = "3", description = "Timed runs per case; the median is shown.")
  int repeats;

  @Option(names = "--quick", description = "Small sizes, for a CPU or PoCL.")
  boolean quick;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    BackendKind kind;
    try {
      kind = BackendKind.parse(backend);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
    }
    if (quick) {
      chainSize = 256;
      asyncCount = 200;
      asyncSize = 64;
      pipelineSize = 1024;
    }
    if (Math.min(Math.min(chainSize, chainLength), Math.min(Math.min(asyncCount, asyncSize), pipelineSize)) < 1
        || repeats < 1) {
      throw new CommandLine.ParameterException(spec.commandLine(), "sizes, counts and repeats must be ≥ 1");
    }
    // Calibration runs in the background on first use; its calls would share the device with the timed ones.
    dev.pincette.internal.Dispatcher.get().costModel().awaitCalibration(60);
    var on = Compute.on(kind);
    System.out.printf(Locale.ROOT, "device-data on %s (%s)%n", kind.id(), Compute.devices().stream()
        .filter(d -> d.available() && d.backend().equals(kind == BackendKind.CPU ? "cpu" : "opencl")).findFirst()
        .map(d -> d.name()).orElse("?"));
    chain(on);
    async(on);
    pipeline(on);
    return 0;
  }

  private void chain(dev.pincette.ComputeOn on) {
    Matrix w = random(chainSize, 1);
    Matrix x = random(chainSize, 2);
    double host = median(() -> {
      Matrix current = x;
      for (int i = 0; i < chainLength; i++) current = on.matmul(w, current);
      return current.get(0, 0);
    });
    // Each run times the chain, then the first download of its last product (later ones read the kept host copy).
    double[] resident = new double[repeats + 1];
    double[] download = new double[repeats + 1];
    double[] pinnedDownload = new double[repeats + 1];
    try (DeviceMatrix dw = on.upload(w); DeviceMatrix dx = on.upload(x);
        HostMatrix out = on.hostMatrix(chainSize, chainSize)) {
      for (int r = 0; r <= repeats; r++) {
        List<DeviceMatrix> steps = new ArrayList<>();
        try {
          long start = System.nanoTime();
          DeviceMatrix current = dx;
          for (int i = 0; i < chainLength; i++) {
            current = on.matmul(dw, current);
            steps.add(current);
          }
          // Products return once issued: the chain is done when its last product is computed.
          current.await();
          long chained = System.nanoTime();
          current.downloadInto(out);
          long pinned = System.nanoTime();
          current.download();
          resident[r] = (chained - start) * 1e-9;
          pinnedDownload[r] = (pinned - chained) * 1e-9;
          download[r] = (System.nanoTime() - pinned) * 1e-9;
        } finally {
          steps.forEach(DeviceMatrix::close);
        }
      }
    }
    double chainSeconds = medianOfTimed(resident);
    double downloadSeconds = medianOfTimed(download);
    double pinnedSeconds = medianOfTimed(pinnedDownload);
    System.out.printf(Locale.ROOT, "chain of %d dependent %d² products: host arrays %.2f ms; resident %.2f ms"
        + " (%.2fx), and with the last result downloaded %.2f ms (%.2fx), or downloaded into a host matrix %.2f ms"
        + " (%.2fx)%n", chainLength, chainSize, host * 1e3, chainSeconds * 1e3, host / chainSeconds,
        (chainSeconds + downloadSeconds) * 1e3, host / (chainSeconds + downloadSeconds),
        (chainSeconds + pinnedSeconds) * 1e3, host / (chainSeconds + pinnedSeconds));
  }

  private void async(dev.pincette.ComputeOn on) {
    List<Matrix> as = new ArrayList<>();
    List<Matrix> bs = new ArrayList<>();
    for (int i = 0; i < asyncCount; i++) {
      as.add(random(asyncSize, 10L + i));
      bs.add(random(asyncSize, 20_000L + i));
    }
    double sync = median(() -> {
      double check = 0;
      for (int i = 0; i < asyncCount; i++) check += on.matmul(as.get(i), bs.get(i)).get(0, 0);
      return check;
    });
    AsyncCompute async = on.async();
    double overlapped = median(() -> {
      List<CompletableFuture<Matrix>> products = new ArrayList<>(asyncCount);
      for (int i = 0; i < asyncCount; i++) products.add(async.matmul(as.get(i), bs.get(i)));
      CompletableFuture.allOf(products.toArray(CompletableFuture[]::new)).join();
      double check = 0;
      for (CompletableFuture<Matrix> p : products) check += p.join().get(0, 0);
      return check;
    });
    System.out.printf(Locale.ROOT, "%d independent %d² products: one after another %.2f ms (%.0f/s), async %.2f ms"
        + " (%.0f/s), %.2fx the throughput%n", asyncCount, asyncSize, sync * 1e3, asyncCount / sync,
        overlapped * 1e3, asyncCount / overlapped, sync / overlapped);
  }

  private void pipeline(dev.pincette.ComputeOn on) {
    int n = pipelineSize;
    Matrix a = random(n, 3);
    Matrix b = random(n, 4);
    double hostArrays = median(() -> on.matmul(a, b).get(0, 0));
    double kernel;
    try (DeviceMatrix da = on.upload(a); DeviceMatrix db = on.upload(b)) {
      kernel = median(() -> {
        try (DeviceMatrix c = on.matmul(da, db)) {
          return c.await().rows();   // a product on a GPU returns once issued
        }
      });
    }
    double hostMatrices;
    boolean pinned;
    try (HostMatrix ha = on.hostMatrix(n, n).copyFrom(a); HostMatrix hb = on.hostMatrix(n, n).copyFrom(b);
        HostMatrix hc = on.hostMatrix(n, n)) {
      pinned = ha.isPinned();
      hostMatrices = median(() -> on.matmul(ha, hb, hc).get(0, 0));
    }
    double bytes = 3.0 * 4 * n * n;
    System.out.printf(Locale.ROOT, "host-array product N=%d: end to end %.2f ms; resident product (kernel and"
        + " launch) %.2f ms; %.0f MB moved, %.1f GB/s if all of the time were transfers%n", n, hostArrays * 1e3,
        kernel * 1e3, bytes / 1e6, bytes / hostArrays / 1e9);
    System.out.printf(Locale.ROOT, "host-matrix product N=%d (%s): end to end %.2f ms, %.2fx the resident product%n",
        n, pinned ? "pinned" : "not pinned", hostMatrices * 1e3, hostMatrices / kernel);
  }

  private double median(DoubleSupplier run) {
    double sink = run.getAsDouble();
    double[] seconds = new double[repeats];
    for (int r = 0; r < repeats; r++) {
      long start = System.nanoTime();
      sink += run.getAsDouble();
      seconds[r] = (System.nanoTime() - start) * 1e-9;
    }
    if (Double.isNaN(sink)) System.out.print("");
    Arrays.sort(seconds);
    return seconds[repeats / 2];
  }

  /** The median of runs 1..repeats (run 0 warmed up). */
  private static double medianOfTimed(double[] seconds) {
    double[] timed = Arrays.copyOfRange(seconds, 1, seconds.length);
    Arrays.sort(timed);
    return timed[timed.length / 2];
  }

  private static Matrix random(int n, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    float[] x = new float[n * n];
    for (int i = 0; i < x.length; i++) x[i] = (float) (rnd.nextDouble() * 2 - 1);
    return Matrix.of(n, n, x);
  }
}
