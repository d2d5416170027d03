package dev.pincette.examples.cli;

import dev.pincette.internal.CostModel;
import dev.pincette.internal.Dispatcher;
import dev.pincette.spi.Backend;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code pincette calibrate}: runs the cost model's calibration now, stores it, and prints the fitted model. */
@Command(name = "calibrate", mixinStandardHelpOptions = true,
    description = "Calibrates the cost model on every usable backend (about a second each), stores it in the user's "
        + "cache directory and prints it: overhead, transfer bandwidth, and time-vs-work points per op family.")
final class CalibrateCommand implements Callable<Integer> {
  @Override
  public Integer call() {
    CostModel model = Dispatcher.get().costModel();
    model.awaitCalibration(60);
    System.out.println("cache: " + CostModel.defaultCacheDir());
    for (Backend b : Dispatcher.get().usableBackends()) {
      long start = System.nanoTime();
      model.calibrate(b);
      System.out.printf("%s (%.2f s)%n", b.name(), (System.nanoTime() - start) * 1e-9);
      System.out.print(model.describe(b.name()));
    }
    return 0;
  }
}
