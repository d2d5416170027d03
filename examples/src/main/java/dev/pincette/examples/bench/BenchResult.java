package dev.pincette.examples.bench;

import java.util.Locale;
import java.util.Map;

/**
 * The measured medians of one case on every backend, and where {@code auto} placed it.
 *
 * @param medianSeconds by backend name, in the order measured
 * @param chosen the backend auto picks for this case
 * @param predictedSeconds auto's predicted time for the chosen backend
 */
public record BenchResult(BenchCase benchCase, Map<String, Double> medianSeconds, String chosen,
    double predictedSeconds) {
  public String fastest() {
    return medianSeconds.entrySet().stream().min(Map.Entry.comparingByValue()).orElseThrow().getKey();
  }

  /** time(chosen) / time(fastest) − 1. */
  public double regret() {
    double chosenTime = medianSeconds.getOrDefault(chosen, Double.NaN);
    return chosenTime / medianSeconds.get(fastest()) - 1;
  }

  String jsonLine(String backend) {
    return String.format(Locale.ROOT, "{\"op\":\"%s\",\"shape\":\"%s\",\"backend\":\"%s\",\"median_s\":%.9g,"
        + "\"chosen\":%b}", benchCase.op(), benchCase.shape(), backend, medianSeconds.get(backend),
        backend.equals(chosen));
  }

  String csvLine(String backend) {
    return String.format(Locale.ROOT, "%s,%s,%s,%.9g,%b", benchCase.op(), benchCase.shape(), backend,
        medianSeconds.get(backend), backend.equals(chosen));
  }
}
