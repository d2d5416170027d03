package dev.pincette.examples;

import dev.pincette.Compute;

/** Sum, mean, min/max and their positions, and a dot product over a host array. */
public final class ReductionExample {
  private ReductionExample() {}

  public static void main(String[] args) {
    float[] x = new float[10_000_000];
    for (int i = 0; i < x.length; i++) x[i] = (float) Math.sin(i * 1e-3);

    // sum and dot accumulate to within 1e-6 of Σ|terms|, even over millions of floats.
    System.out.printf("sum  = %.6f%n", Compute.sum(x));
    System.out.printf("mean = %.9f%n", Compute.mean(x));
    System.out.printf("min  = %.6f at %d%n", Compute.min(x), Compute.argmin(x));
    System.out.printf("max  = %.6f at %d%n", Compute.max(x), Compute.argmax(x));
    System.out.printf("x·x  = %.3f%n", Compute.dot(x, x));

    // NaN propagates rather than disappearing into a result.
    x[123] = Float.NaN;
    System.out.println("with a NaN, sum = " + Compute.sum(x) + ", argmax = " + Compute.argmax(x));
  }
}
