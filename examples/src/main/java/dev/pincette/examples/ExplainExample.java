package dev.pincette.examples;

import dev.pincette.Compute;
import dev.pincette.Explanation;
import dev.pincette.Matrix;

/** Asks Pincette where calls would run and why, without running them. */
public final class ExplainExample {
  private ExplainExample() {}

  public static void main(String[] args) {
    for (int n : new int[] {16, 256, 2048}) {
      Matrix a = Matrix.zeros(n, n);
      // explain() validates and places the call, then returns instead of running it.
      Explanation e = Compute.explain(() -> Compute.matmul(a, a));
      System.out.println(e);
    }
    float[] x = new float[1 << 24];
    System.out.println(Compute.explain(() -> Compute.sum(x)));
    // Run with -Djava.util.logging.ConsoleHandler.level=FINE and the dev.pincette logger at FINE to see the
    // same line for every dispatched call.
  }
}
