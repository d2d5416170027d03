package dev.pincette.examples.soak;

import dev.pincette.Compute;
import dev.pincette.DeviceArray;
import dev.pincette.examples.ParticleKernels;
import dev.pincette.examples.check.Checks;
import dev.pincette.kernels.ReduceOp;
import dev.pincette.spatial.DeviceNeighbors;
import dev.pincette.spatial.SpatialHashMap;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The soak's kernels: Java methods run by {@code Compute.forEach} and {@code Compute.sum} on Java arrays, chains of
 * them on {@link DeviceArray}s that stay where they run, uploads and downloads of every array type, and the particle
 * example's density over resident neighbour lists. Each result is compared with the same kernel run in plain Java:
 * element by element and bit for bit (the kernels use only operations every backend rounds as Java does), sums
 * within the sum contract.
 */
final class KernelOps {
  private KernelOps() {}

  static List<SoakOps.Weighted> mix() {
    return List.of(new SoakOps.Weighted("kernel", 4, KernelOps::onArrays),
        new SoakOps.Weighted("kernel.resident", 4, KernelOps::residentChain),
        new SoakOps.Weighted("array.upload", 2, KernelOps::uploads),
        new SoakOps.Weighted("kernel.neighbours", 1, KernelOps::density));
  }

  static void saxpy(int i, float a, float[] x, float[] y) {
    y[i] = a * x[i] + y[i];
  }

  static void scaleAndCount(int i, float s, float[] y, int[] counts) {
    y[i] = y[i] * s - 0.25f;
    counts[i] += 1;
  }

  static float energy(int i, float[] v, float[] m) {
    return 0.5f * m[i] * v[i] * v[i];
  }

  private static int size(SplittableRandom rnd) {
    return rnd.nextInt(10) == 0 ? rnd.nextInt(200_000) : rnd.nextInt(5000);
  }

  /** One kernel on Java arrays, then a sum of terms over them. */
  private static void onArrays(SplittableRandom rnd, Tally tally) {
    int n = size(rnd);
    float a = (float) rnd.nextDouble(-2, 2);
    float[] x = SoakOps.values(rnd, n), y = SoakOps.values(rnd, n);
    float[] want = y.clone();
    for (int i = 0; i < n; i++) saxpy(i, a, x, want);
    Compute.forEach(n, KernelOps::saxpy, a, x, y);
    tally.call("kernel");
    report(tally, "kernel", same("saxpy", want, y));
    double got = Compute.sum(n, KernelOps::energy, x, y);
    tally.call("kernel");
    report(tally, "kernel", sumOfTerms(n, x, y, got));
  }

  /**
   * A chain on resident arrays: {@code steps} kernels writing {@code y} and {@code counts} with no transfer between
   * them, read back by download, {@code Compute.sum(DeviceArray)} or a sum of terms. Data lost with a failed device is
   * counted apart, as the contract allows.
   */
  private static void residentChain(SplittableRandom rnd, Tally tally) {
    int n = size(rnd);
    int steps = 1 + rnd.nextInt(6);
    float a = (float) rnd.nextDouble(-2, 2);
    float s = (float) rnd.nextDouble(-1, 1);
    float[] x = SoakOps.values(rnd, n), y = SoakOps.values(rnd, n);
    float[] want = y.clone();
    int[] wantCounts = new int[n];
    for (int step = 0; step < steps; step++) {
      for (int i = 0; i < n; i++) saxpy(i, a, x, want);
      for (int i = 0; i < n; i++) scaleAndCount(i, s, want, wantCounts);
    }
    try (DeviceArray<float[]> dx = Compute.upload(x); DeviceArray<float[]> dy = Compute.upload(y);
        DeviceArray<int[]> counts = Compute.zeros(int[].class, n)) {
      for (int step = 0; step < steps; step++) {
        Compute.forEach(n, KernelOps::saxpy, a, dx, dy);
        tally.dispatched(Compute.lastCall());
        Compute.forEach(n, KernelOps::scaleAndCount, s, dy, counts);
        tally.call("kernel.resident");
      }
      switch (rnd.nextInt(3)) {
        case 0 -> {
          report(tally, "kernel.resident", same("chain", want, dy.download()));
          int[] gotCounts = counts.download();
          if (!Arrays.equals(wantCounts, gotCounts)) tally.wrong("kernel.resident", "counts of a chain of " + steps);
        }
        case 1 -> report(tally, "kernel.resident", Checks.sum("sum", ReduceOp.referenceSum(want),
            ReduceOp.absSum(want), Compute.sum(dy)));
        default -> report(tally, "kernel.resident", sumOfTerms(n, x, want, Compute.sum(n, KernelOps::energy, dx, dy)));
      }
      tally.call("kernel.resident");
    } catch (IllegalStateException lost) {
      if (!lostWithDevice(lost)) throw lost;
      tally.lost("kernel.resident", lost);
    }
  }

  /** Every array type up and back, whole or into an array of the caller's. */
  private static void uploads(SplittableRandom rnd, Tally tally) {
    int n = size(rnd);
    Object values = switch (rnd.nextInt(5)) {
      case 0 -> SoakOps.values(rnd, n);
      case 1 -> rnd.doubles(n).toArray();
      case 2 -> rnd.ints(n).toArray();
      case 3 -> rnd.longs(n).toArray();
      default -> {
        byte[] b = new byte[n];
        rnd.nextBytes(b);
        yield b;
      }
    };
    try (DeviceArray<?> d = upload(values)) {
      Object back = rnd.nextBoolean() ? d.download() : downloadInto(d, values);
      tally.call("array.upload");
      if (!java.util.Objects.deepEquals(values, back)) tally.wrong("array.upload", "a " + d + " came back changed");
    }
  }

  @SuppressWarnings("unchecked")
  private static <T> T downloadInto(DeviceArray<T> d, Object like) {
    return d.downloadInto((T) java.lang.reflect.Array.newInstance(like.getClass().componentType(),
        java.lang.reflect.Array.getLength(like)));
  }

  private static DeviceArray<?> upload(Object values) {
    return switch (values) {
      case float[] f -> Compute.upload(f);
      case double[] d -> Compute.upload(d);
      case int[] i -> Compute.upload(i);
      case long[] l -> Compute.upload(l);
      case byte[] b -> Compute.upload(b);
      default -> throw new IllegalArgumentException(values.getClass().getName());
    };
  }

  /** The particle example's density over a map's resident neighbour lists, against the same kernel in Java. */
  private static void density(SplittableRandom rnd, Tally tally) {
    int n = 1 + rnd.nextInt(3000);
    float[] pos = new float[2 * n];
    for (int i = 0; i < pos.length; i++) pos[i] = (float) rnd.nextDouble();
    float h = 0.01f + (float) rnd.nextDouble() * 0.04f;
    try (SpatialHashMap map = SpatialHashMap.build(pos, 2, h); DeviceNeighbors lists = map.neighborsWithinResident(h);
        DeviceArray<float[]> rho = Compute.zeros(float[].class, n)) {
      Compute.forEach(n, ParticleKernels::density, h, 1f, pos, lists.offsets(), lists.indices(), rho);
      tally.call("kernel.neighbours");
      dev.pincette.spatial.Neighbors host = map.neighborsWithin(h);
      float[] want = new float[n];
      for (int i = 0; i < n; i++) ParticleKernels.density(i, h, 1f, pos, host.offsets(), host.indices(), want);
      report(tally, "kernel.neighbours", same("density", want, rho.download()));
    } catch (IllegalStateException lost) {
      if (!lostWithDevice(lost)) throw lost;
      tally.lost("kernel.neighbours", lost);
    }
  }

  /** Data whose only copy went with a failed device: the documented outcome, counted apart. */
  private static boolean lostWithDevice(IllegalStateException e) {
    String message = String.valueOf(e.getMessage());
    return message.contains("could not be") || message.contains("were lost");
  }

  private static String sumOfTerms(int n, float[] v, float[] m, double got) {
    float[] terms = new float[n];
    for (int i = 0; i < n; i++) terms[i] = energy(i, v, m);
    return Checks.sum("sum of terms", ReduceOp.referenceSum(terms), ReduceOp.absSum(terms), got);
  }

  /** Null when equal bit for bit (NaNs alike), else the first difference. */
  private static String same(String what, float[] want, float[] got) {
    for (int i = 0; i < want.length; i++) {
      if (Float.compare(want[i], got[i]) != 0) return what + "[" + i + "] = " + got[i] + ", reference " + want[i];
    }
    return null;
  }

  private static void report(Tally tally, String op, String wrong) {
    if (wrong != null) tally.wrong(op, wrong);
  }
}
