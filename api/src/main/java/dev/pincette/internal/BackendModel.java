package dev.pincette.internal;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;

/**
 * One backend's calibrated cost: fixed overhead per call, transfer bandwidth, and a compute curve per op family.
 * Immutable; stored as a properties file keyed by device, driver and library version.
 */
record BackendModel(String key, double overheadSeconds, double bytesPerSecond, Map<String, Curve> curves) {
  private static final System.Logger LOG = System.getLogger("dev.pincette");
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
    Curve c = curves.get(family.startsWith(CallCost.KERNEL) ? CallCost.REDUCE : family);
    return c == null ? Double.POSITIVE_INFINITY : c.seconds(work);
  }

  /** Stores the model in {@code file} (see {@link CacheFiles#write}); false when it could not. */
  boolean save(Path file) {
    Properties p = new Properties();
    p.setProperty("format", FORMAT);
    p.setProperty("key", key);
    p.setProperty("overhead", String.format(Locale.ROOT, "%.6g", overheadSeconds));
    p.setProperty("bandwidth", Double.toString(bytesPerSecond));
    curves.forEach((family, curve) -> p.setProperty("curve." + family, curve.encode()));
    // The byte streams' format: Latin-1, every other character escaped, so a device name in any script survives the
    // round trip (written raw through a Writer, then encoded as Latin-1, "摩尔线程" came back as "????" and never
    // matched).
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try {
      p.store(bytes, "Pincette cost-model calibration; delete to recalibrate");
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return CacheFiles.write(file, bytes.toByteArray());
  }

  /**
   * The stored model for {@code key}, or null when the file is missing, stale, refused ({@link CacheFiles#read}) or
   * damaged. A value no calibration writes (a negative or non-finite overhead, a bandwidth ≤ 0 or NaN, a curve point
   * ≤ 0 or infinite) is logged and the file ignored: {@code overhead=Infinity} once switched a backend off in silence.
   */
  static BackendModel load(Path file, String key) {
    byte[] bytes = CacheFiles.read(file);
    if (bytes == null) return null;
    Properties p = new Properties();
    try {
      p.load(new ByteArrayInputStream(bytes));
      if (!FORMAT.equals(p.getProperty("format")) || !key.equals(p.getProperty("key"))) return null;
      double overhead = Double.parseDouble(p.getProperty("overhead"));
      double bandwidth = Double.parseDouble(p.getProperty("bandwidth"));
      // Bandwidth is infinite where inputs are used in place (the CPU, host-unified memory), never NaN or ≤ 0.
      if (!(overhead >= 0) || Double.isInfinite(overhead) || !(bandwidth > 0)) {
        throw new IllegalArgumentException("overhead=" + p.getProperty("overhead") + ", bandwidth="
            + p.getProperty("bandwidth"));
      }
      Map<String, Curve> curves = new TreeMap<>();
      for (String name : p.stringPropertyNames()) {
        if (name.startsWith("curve.")) curves.put(name.substring(6), Curve.decode(p.getProperty(name)));
      }
      return curves.isEmpty() ? null : new BackendModel(key, overhead, bandwidth, curves);
    } catch (IOException | RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "pincette: ignoring the calibration " + file + " (" + e.getMessage()
          + "); the backend is calibrated again");
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
