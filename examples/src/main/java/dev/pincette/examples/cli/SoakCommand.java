package dev.pincette.examples.cli;

import dev.pincette.BackendKind;
import dev.pincette.examples.soak.Soak;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code pincette soak}: every op from many threads for a while, results checked, faults injected, memory compared. */
@Command(name = "soak", mixinStandardHelpOptions = true,
    description = {"Calls every op from many threads for a given time, checks every result against the float64 "
        + "reference, injects OpenCL failures at random, and reads native and device memory after the warm-up, "
        + "after each quarter of the rest and at the end. Exits 3 when a result was wrong, a call threw unexpectedly, "
        + "memory grew by more than 64 MiB or kept growing over the second half (over 1 MiB a minute), or a call hung. "
        + "With faults on, OpenCL switched off by them is probed again after 1 s (-Dpincette.retryAfterSeconds).",
        "Example: pincette soak --minutes 10 --threads 64"})
final class SoakCommand implements Callable<Integer> {
  @Option(names = "--minutes", defaultValue = "10", description = "How long to run (default 10); fractions allowed.")
  double minutes;

  @Option(names = "--threads", defaultValue = "64", description = "Threads calling at once (default 64).")
  int threads;

  @Option(names = "--backend", defaultValue = "mixed",
      description = "mixed (default: each op placed by auto, or forced onto the CPU or OpenCL, at random), auto, cpu "
          + "or opencl.")
  String backend;

  @Option(names = "--no-faults", description = "Inject no OpenCL failures.")
  boolean noFaults;

  @Option(names = "--seed", defaultValue = "1", description = "Seed of the random cases (default 1).")
  long seed;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    if (!(minutes > 0) || threads < 1) {
      throw new CommandLine.ParameterException(spec.commandLine(), "need --minutes > 0 and --threads ≥ 1");
    }
    BackendKind kind = null;
    try {
      if (!backend.equals("mixed")) kind = BackendKind.parse(backend);
    } catch (IllegalArgumentException e) {
      throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage() + ", or mixed");
    }
    if (!noFaults && System.getProperty("pincette.retryAfterSeconds") == null) {
      // Injected failures switch OpenCL off 3 at a time; after the default 30 s cool-down (doubling) most of a run
      // stayed on the CPU (121 device calls of 121,547 in 2 min), which left the device paths and their faults untried.
      System.setProperty("pincette.retryAfterSeconds", "1");
    }
    dev.pincette.internal.Dispatcher.get().costModel().awaitCalibration(60);
    Soak soak = new Soak(threads, minutes * 60, seed, !noFaults, kind, System.out);
    Soak.Result result = soak.run();
    soak.print(result);
    return result.passed() ? 0 : 3;
  }
}
