package dev.pincette.internal;

import java.util.Arrays;
import java.util.Locale;

/**
 * Compute time as a function of work, from calibration points: piecewise linear in log-log space between points,
 * and proportional to work beyond them (small problems run below peak, so seconds per unit of work are taken from
 * the nearest end). Immutable.
 */
final class Curve {
  private final double[] logWork;
  private final double[] logSeconds;

  Curve(double[] work, double[] seconds) {
    Integer[] order = new Integer[work.length];
    for (int i = 0; i < order.length; i++) order[i] = i;
    Arrays.sort(order, (x, y) -> Double.compare(work[x], work[y]));
    logWork = new double[work.length];
    logSeconds = new double[work.length];
    for (int i = 0; i < order.length; i++) {
      logWork[i] = Math.log(work[order[i]]);
      logSeconds[i] = Math.log(Math.max(seconds[order[i]], 1e-9));
    }
  }

  double seconds(double work) {
    if (logWork.length == 0) return Double.POSITIVE_INFINITY;
    double lw = Math.log(Math.max(work, 1));
    int last = logWork.length - 1;
    if (lw <= logWork[0]) return Math.exp(logSeconds[0] + (lw - logWork[0]));
    if (lw >= logWork[last]) return Math.exp(logSeconds[last] + (lw - logWork[last]));
    int i = 0;
    while (logWork[i + 1] < lw) i++;
    double f = (lw - logWork[i]) / (logWork[i + 1] - logWork[i]);
    return Math.exp(logSeconds[i] + f * (logSeconds[i + 1] - logSeconds[i]));
  }

  /** {@code work:seconds,...} for the calibration file. */
  String encode() {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < logWork.length; i++) {
      if (i > 0) s.append(',');
      s.append(String.format(Locale.ROOT, "%.6g:%.6g", Math.exp(logWork[i]), Math.exp(logSeconds[i])));
    }
    return s.toString();
  }

  static Curve decode(String text) {
    String[] parts = text.isBlank() ? new String[0] : text.split(",");
    double[] w = new double[parts.length], t = new double[parts.length];
    for (int i = 0; i < parts.length; i++) {
      String[] p = parts[i].split(":");
      w[i] = Double.parseDouble(p[0]);
      t[i] = Double.parseDouble(p[1]);
      if (!(w[i] > 0) || !(t[i] > 0) || Double.isInfinite(w[i]) || Double.isInfinite(t[i])) {
        throw new IllegalArgumentException("bad calibration point " + parts[i]);
      }
    }
    return new Curve(w, t);
  }

  int points() {
    return logWork.length;
  }

  /** This curve with every time multiplied by {@code factor}. */
  Curve scaled(double factor) {
    double[] work = new double[logWork.length];
    double[] seconds = new double[logWork.length];
    for (int i = 0; i < work.length; i++) {
      work[i] = Math.exp(logWork[i]);
      seconds[i] = Math.exp(logSeconds[i]) * factor;
    }
    return new Curve(work, seconds);
  }
}
