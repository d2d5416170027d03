package dev.pincette.examples.cli;

import dev.pincette.examples.fuzz.Fuzzer;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code pincette fuzz}: every public method with generated arguments, extremes included, in forked JVMs. */
@Command(name = "fuzz", mixinStandardHelpOptions = true,
    description = {"Calls every public method of the API with generated arguments (0, 1, negative and huge sizes, "
        + "products near 2^31 and 2^32, NaN, infinities, null, empty and wrong-length arrays, closed handles) in forked "
        + "JVMs, on every backend. Each call must return the float64 reference's result or throw "
        + "IllegalArgumentException, NullPointerException, IllegalStateException or ArithmeticException naming what "
        + "was wrong: never crash, hang or throw from inside. Exits 3 when a case failed.",
        "Example: pincette fuzz --cases 10000 --seed 7"})
final class FuzzCommand implements Callable<Integer> {
  @Option(names = "--cases", defaultValue = "1000", description = "Cases per method (default 1000).")
  int cases;

  @Option(names = "--seed", defaultValue = "1", description = "Seed of the cases (default 1).")
  long seed;

  @Option(names = "--timeout", defaultValue = "120", description = "Seconds a call may take (default 120).")
  long timeout;

  @Option(names = "--only", defaultValue = "", paramLabel = "PREFIX",
      description = "Only methods whose signature starts with this, e.g. SpatialHashMap.query or Compute.matmul.")
  String only;

  @Option(names = "--include-known", description = "Also run the known defects that crash or hang.")
  boolean includeKnown;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    if (cases < 1 || timeout < 1) {
      throw new CommandLine.ParameterException(spec.commandLine(), "need --cases ≥ 1 and --timeout ≥ 1");
    }
    List<String> uncovered = Fuzzer.uncovered();
    if (!uncovered.isEmpty()) System.out.println("not fuzzed (no target yet): " + uncovered);
    Fuzzer.Result result = new Fuzzer(new Fuzzer.Options(seed, cases, timeout, includeKnown, only)).run(System.out);
    return result.passed() && uncovered.isEmpty() ? 0 : 3;
  }
}
