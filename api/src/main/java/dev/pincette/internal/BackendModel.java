package dev.pincette.internal;

import java.io.IOException;
import java.io.Reader;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * One backend's calibrated cost: fixed overhead per call, transfer bandwidth, and a compute curve per op family.
 * Immutable; stored as a properties file keyed by device, driver and library version.
 */
record BackendModel(String key, double overheadSeconds, double bytesPerSecond, Map<String, Curve> curves) {
  /** Bumped when the calibration method changes, so old files are ignored. */
  static final String FORMAT = "pincette-calibration-5";

  double transferSeconds(long bytes) {
    return bytesPerSecond == Double.POSITIVE_INFINITY ? 0 : bytes / bytesPerSecond;
  }

  /**
   * The curve a call is predicted by: its precision's own ({@link CallCost#curve()}) where this backend computes that
   * precision faster than FP32 and so was calibrated for it, else its family's (the backend computes it in FP32).
   */
  String curveOf(CallCost cost) {
    String own = cost.curve();
    return curves.containsKey(own) ? own : cost.family();
  }

  double computeSeconds(String family, double work) {
    Curve c = curves.get(family);
    return c == null ? Double.POSITIVE_INFINITY : c.seconds(work);
  }

  void save(Path file) throws IOException {
    Properties p = new Properties();
    p.setProperty("format", FORMAT);
    p.setProperty("key", key);
    p.setProperty("overhead", String.format(Locale.ROOT, "%.6g", overheadSeconds));
    p.setProperty("bandwidth", Double.toString(bytesPerSecond));
    curves.forEach((family, curve) -> p.setProperty("curve." + family, curve.encode()));
    Files.createDirectories(file.getParent());
    Path tmp = Files.createTempFile(file.getParent(), "calibration", ".tmp");
    try (Writer w = Files.newBufferedWriter(tmp)) {
      p.store(w, "Pincette cost-model calibration; delete to recalibrate");
    }
    Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }

  /** The stored model for {@code key}, or null when the file is missing, stale or damaged. */
  static BackendModel load(Path file, String key) {
    if (!Files.isRegularFile(file)) return null;
    Properties p = new Properties();
    try (Reader r = Files.newBufferedReader(file)) {
      p.load(r);
      if (!FORMAT.equals(p.getProperty("format")) || !key.equals(p.getProperty("key"))) return null;
      double overhead = Double.parseDouble(p.getProperty("overhead"));
      double bandwidth = Double.parseDouble(p.getProperty("bandwidth"));
      if (!(overhead >= 0) || !(bandwidth > 0)) return null;
      Map<String, Curve> curves = new TreeMap<>();
      for (String name : p.stringPropertyNames()) {
        if (name.startsWith("curve.")) curves.put(name.substring(6), Curve.decode(p.getProperty(name)));
      }
      return curves.isEmpty() ? null : new BackendModel(key, overhead, bandwidth, curves);
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  @Override
  public String toString() {
    StringBuilder s = new StringBuilder(String.format(Locale.ROOT, "%s: overhead %.1f us, transfer %s%n", key,
        overheadSeconds * 1e6, bytesPerSecond == Double.POSITIVE_INFINITY ? "none"
            : String.format(Locale.ROOT, "%.1f GB/s", bytesPerSecond / 1e9)));
    curves.forEach((family, curve) -> s.append("  ").append(family).append(": ").append(curve.encode())
        .append(System.lineSeparator()));
    return s.toString();
  }
}
