package dev.pincette.examples;

import dev.pincette.BackendKind;
import dev.pincette.CallRecord;
import dev.pincette.Compute;
import dev.pincette.DeviceArray;
import dev.pincette.DeviceMatrix;
import dev.pincette.Matrix;
import dev.pincette.Precision;
import dev.pincette.spatial.Neighbors;
import dev.pincette.spatial.SpatialHashMap;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;

/**
 * The README's usage tour, line for line, so that the build compiles it against the API; {@code main} runs it on
 * random data and prints what each step returned.
 */
public final class Tour {
  private Tour() {}

  /** The tour's two kernels. */
  static final class Physics {
    private Physics() {}

    static void saxpy(int i, float a, float[] x, float[] y) { y[i] = a * x[i] + y[i]; }

    static float energy(int i, float[] v, float[] m) { return 0.5f * m[i] * v[i] * v[i]; }
  }

  public static void main(String[] args) {
    SplittableRandom random = new SplittableRandom(18);
    int n = 100_000;
    Matrix b = random(random, 3, 4);
    Matrix weights = random(random, 64, 64);
    Matrix x = random(random, 64, 64);
    float[] samples = floats(random, n);
    float[] xyz = floats(random, 3 * 20_000);
    float[] movedXyz = xyz.clone();
    for (int i = 0; i < movedXyz.length; i += 100) movedXyz[i] = (float) random.nextDouble();
    float[] xs = floats(random, n);
    float[] ys = floats(random, n);
    float[] v = floats(random, n);
    float[] m = floats(random, n);

    // --- the README's tour, unchanged from here ---
    Matrix a = Matrix.of(2, 3, 1, 2, 3,
                               4, 5, 6);
    Matrix c = Compute.matmul(a, a.transpose());                 // placed per call: CPU or GPU
    Matrix t = Compute.with(Precision.TF32).matmul(a, b);        // relaxed precision: tensor cores on NVIDIA
    double s = Compute.sum(samples);                             // within 1e-6·Σ|x| of the exact sum
    int top = Compute.argmax(samples);                           // first NaN, else first largest
    Matrix g = Compute.on(BackendKind.CPU).matmul(a, b);         // one call forced onto a backend
    CallRecord last = Compute.lastCall();                        // where it ran, how long, whether it fell back

    try (SpatialHashMap map = SpatialHashMap.build(xyz, 3, 0.05f)) {    // x, y, z of each point
      int[] near = map.query(new float[] {0.5f, 0.5f, 0.5f}, 0.1f);    // ascending indices, radius inclusive
      Neighbors all = map.neighborsWithin(0.05f);                      // CSR: offsets() and indices()
      map.update(movedXyz);                                            // re-bins only points that changed cells
      System.out.printf("spatial: %d near the centre, %d pairs%n", near.length, all.totalPairs());
    }

    try (DeviceMatrix w = Compute.upload(weights);               // resident on the GPU if there is one
         DeviceMatrix in = Compute.upload(x);
         DeviceMatrix h1 = Compute.matmul(w, in);                // stays where it was computed
         DeviceMatrix h2 = Compute.matmul(w, h1)) {              // enqueued behind h1: no host round trip
      Matrix out = h2.download();                                // only what you ask for crosses the bus
      System.out.printf("resident chain: %s on %s%n", out.shape(), h2.backend());
    }
    CompletableFuture<Matrix> later = Compute.async().matmul(a, b);   // on Pincette's threads, same result

    Compute.forEach(n, Physics::saxpy, 2f, xs, ys);              // Java kernel: OpenCL C on a GPU, or the CPU
    double e = Compute.sum(n, Physics::energy, v, m);            // Σ of what each work item returns
    try (DeviceArray<float[]> dx = Compute.upload(xs);
         DeviceArray<float[]> dy = Compute.zeros(float[].class, n)) {
      for (int step = 0; step < 10; step++) Compute.forEach(n, Physics::saxpy, 2f, dx, dy);   // no transfers
      float[] result = dy.download();
      System.out.printf("kernels: energy %.3f, y[0] %.4f after 10 steps%n", e, result[0]);
    }
    // --- end of the tour ---

    System.out.printf("c = %s%nt = %s%ng = %s%nsum %.3f, argmax %d%nlast call: %s%nasync: %s%n", c, t, g, s, top,
        last, later.join().shape());
  }

  private static Matrix random(SplittableRandom random, int rows, int cols) {
    return Matrix.of(rows, cols, floats(random, rows * cols));
  }

  private static float[] floats(SplittableRandom random, int n) {
    float[] values = new float[n];
    for (int i = 0; i < n; i++) values[i] = (float) random.nextDouble();
    return values;
  }
}
