package dev.pincette.examples.cli;

import dev.pincette.BackendKind;
import dev.pincette.Compute;
import dev.pincette.examples.bench.Bench;
import dev.pincette.examples.bench.BenchCase;
import dev.pincette.examples.bench.BenchChart;
import dev.pincette.examples.bench.BenchResult;
import dev.pincette.internal.Dispatcher;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code pincette bench}: ops × sizes × backends, auto's choice and its regret. */
@Command(name = "bench", mixinStandardHelpOptions = true,
    description = {"Measures every op over sizes on every available backend, shows where auto places each case and "
        + "the regret time(auto's choice)/time(fastest) - 1.",
        "Example: pincette bench --sweep --json bench.jsonl --chart bench.png"})
final class BenchCommand implements Callable<Integer> {
  @Option(names = "--sweep", description = "Sizes from tiny to large, crossovers included (slower).")
  boolean sweep;

  @Option(names = "--ops", split = ",", paramLabel = "OP",
      description = "Ops to measure (default: all): ${COMPLETION-CANDIDATES}", completionCandidates = OpNames.class)
  List<String> ops = new ArrayList<>(BenchCase.OPS);

  @Option(names = "--json", paramLabel = "FILE", description = "Write one JSON object per line and backend.")
  Path json;

  @Option(names = "--csv", paramLabel = "FILE", description = "Write a CSV file.")
  Path csv;

  @Option(names = "--chart", paramLabel = "FILE", description = "Write a chart (.png, or .svg per op).")
  Path chart;

  @Option(names = "--seconds-per-case", defaultValue = "0.6", description = "Time budget per case (default 0.6).")
  double secondsPerCase;

  @Option(names = "--no-progress", description = "No progress bar.")
  boolean noProgress;

  static final class OpNames extends ArrayList<String> {
    private static final long serialVersionUID = 1L;

    OpNames() {
      super(BenchCase.OPS);
    }
  }

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws IOException {
    for (String op : ops) {
      if (!BenchCase.OPS.contains(op)) {
        throw new CommandLine.ParameterException(spec.commandLine(), "unknown op '" + op + "': use " + BenchCase.OPS);
      }
    }
    if (chart != null && !chart.toString().matches("(?i).*\\.(png|svg)")) {
      throw new CommandLine.ParameterException(spec.commandLine(), "--chart wants a .png or .svg file");
    }
    if (chart != null && ModuleLayer.boot().findModule("java.desktop").isEmpty()) {
      throw new CommandLine.ParameterException(spec.commandLine(),
          "--chart needs the java.desktop module, which this Java runtime lacks");
    }
    for (Path out : new Path[] {json, csv, chart}) {
      Path dir = out == null ? null : out.toAbsolutePath().getParent();
      if (dir != null && !java.nio.file.Files.isDirectory(dir)) {
        throw new CommandLine.ParameterException(spec.commandLine(), "cannot write " + out + ": no folder " + dir);
      }
    }
    List<BackendKind> kinds = new ArrayList<>(List.of(BackendKind.CPU));
    if (Compute.devices().stream().anyMatch(d -> d.backend().equals("opencl") && d.available())) {
      kinds.add(BackendKind.OPENCL);
    }
    Dispatcher.get().costModel().awaitCalibration(60);
    List<BenchResult> results = new Bench(kinds, secondsPerCase).run(BenchCase.cases(ops, sweep),
        !noProgress && System.console() != null);
    Bench.printTable(results, kinds, System.out);
    System.out.println(Bench.regretSummary(results));
    if (json != null) Bench.writeJson(results, json);
    if (csv != null) Bench.writeCsv(results, csv);
    if (chart != null) {
      for (Path p : BenchChart.write(results, chart)) System.out.println("chart: " + p);
    }
    return 0;
  }
}
