package dev.pincette;

import java.util.Locale;

/**
 * A backend's predicted time for one call, split the way the cost model sees it.
 *
 * @param backend backend name
 * @param overheadSeconds fixed cost of a call: dispatch, launch, synchronisation
 * @param transferSeconds moving inputs and results between host and device (0 on the CPU and host-unified memory)
 * @param computeSeconds the work itself, from the calibrated throughput curve at this size
 * @param waitSeconds time behind other calls already running on that backend
 * @param calibrated false while the backend has no calibration yet (it is then not chosen by {@code auto})
 */
public record Prediction(String backend, double overheadSeconds, double transferSeconds, double computeSeconds,
    double waitSeconds, boolean calibrated) {
  /** The whole predicted time the caller waits. */
  public double totalSeconds() {
    return overheadSeconds + transferSeconds + computeSeconds + waitSeconds;
  }

  @Override
  public String toString() {
    if (!calibrated) return backend + ": not calibrated yet";
    return String.format(Locale.ROOT, "%s: %s (overhead %s, transfer %s, compute %s, wait %s)", backend,
        seconds(totalSeconds()), seconds(overheadSeconds), seconds(transferSeconds), seconds(computeSeconds),
        seconds(waitSeconds));
  }

  static String seconds(double s) {
    if (s < 1e-3) return String.format(Locale.ROOT, "%.1f us", s * 1e6);
    if (s < 1) return String.format(Locale.ROOT, "%.2f ms", s * 1e3);
    return String.format(Locale.ROOT, "%.2f s", s);
  }
}
