package dev.pincette.opencl;

import dev.pincette.BackendKind;
import dev.pincette.Compute;
import dev.pincette.ComputeOn;
import dev.pincette.DeviceArray;
import dev.pincette.Kernel3;
import dev.pincette.internal.Dispatcher;
import dev.pincette.internal.ResidentHandles;
import dev.pincette.spi.KernelArg;
import dev.pincette.spi.KernelLaunch;
import dev.pincette.spi.KernelMethod;
import java.lang.constant.MethodTypeDesc;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The host's share of a resident {@code forEach}: a saxpy on two resident arrays called through {@code Compute} and
 * straight through {@link ClJavaKernels} (checked, groups of {@link ClJavaKernels#LOCAL_SIZE}), in chains awaited at
 * their end, alternating. Reports the calling thread's CPU time per call (the device's own threads, PoCL's included,
 * are not counted, so a small n measures the host path even on a loaded machine) and the wall time.
 * {@code ClCallHostBench N REPS ROUNDS}, e.g. {@code 1024 1000 7}.
 */
public final class ClCallHostBench {
  private ClCallHostBench() {}

  static void saxpy(int i, float a, float[] x, float[] y) {
    y[i] = a * x[i] + y[i];
  }

  public static void main(String[] args) {
    if (args.length != 3) {
      System.err.println("usage: ClCallHostBench N REPS ROUNDS");
      System.exit(2);
    }
    int n = Integer.parseInt(args[0]);
    int reps = Integer.parseInt(args[1]);
    int rounds = Integer.parseInt(args[2]);
    ComputeOn gpu = Compute.on(BackendKind.OPENCL);
    ClBackend backend = (ClBackend) Dispatcher.get().backend("opencl");
    ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    float a = 0.5f;
    try (DeviceArray<float[]> x = gpu.call(() -> Compute.upload(new float[n]));
         DeviceArray<float[]> y = gpu.call(() -> Compute.zeros(float[].class, n))) {
      KernelMethod method = new KernelMethod((Kernel3<Float, float[], float[]>) ClCallHostBench::saxpy,
          ClCallHostBench.class, "saxpy", MethodTypeDesc.ofDescriptor("(IF[F[F)V"),
          List.of(int.class, float.class, float[].class, float[].class), List.of("i", "a", "x", "y"), false);
      ClResident rx = (ClResident) ResidentHandles.resident(x, "bench");
      ClResident ry = (ClResident) ResidentHandles.resident(y, "bench");
      KernelLaunch launch = new KernelLaunch(method, n, List.of(
          new KernelArg(1, "a", KernelArg.Kind.SCALAR, KernelArg.Type.FLOAT, a),
          new KernelArg(2, "x", KernelArg.Kind.RESIDENT, rx.type(), rx),
          new KernelArg(3, "y", KernelArg.Kind.RESIDENT, ry.type(), ry)), false);
      ClJavaKernels kernels = new ClJavaKernels(backend.device(), backend.fp64(), backend.reduceOp(), true,
          ClJavaKernels.LOCAL_SIZE);
      String[] names = {"compute", "direct"};
      Runnable[] chains = {() -> {
        for (int k = 0; k < reps; k++) gpu.forEach(n, ClCallHostBench::saxpy, a, x, y);
        y.await();
      }, () -> {
        for (int k = 0; k < reps; k++) kernels.run(backend.context(), launch);
        y.await();
      }};
      for (Runnable chain : chains) {
        chain.run();
        chain.run();
      }
      double[][] cpu = new double[2][rounds];
      double[][] wall = new double[2][rounds];
      for (int r = 0; r < rounds; r++) {
        for (int v = 0; v < 2; v++) {
          long cpuStart = threads.getCurrentThreadCpuTime();
          long wallStart = System.nanoTime();
          chains[v].run();
          cpu[v][r] = (threads.getCurrentThreadCpuTime() - cpuStart) / 1e3 / reps;
          wall[v][r] = (System.nanoTime() - wallStart) / 1e3 / reps;
        }
      }
      for (int v = 0; v < 2; v++) {
        Arrays.sort(cpu[v]);
        Arrays.sort(wall[v]);
        System.out.println(String.format(Locale.ROOT, "%-8s host cpu %.1f us/call, wall %.1f us/call (medians of %d"
            + " chains of %d, n=%d)", names[v], cpu[v][rounds / 2], wall[v][rounds / 2], rounds, reps, n));
      }
      System.out.println(String.format(Locale.ROOT, "RESULT callhost compute_cpu_us=%.1f direct_cpu_us=%.1f"
          + " ratio=%.2f compute_wall_us=%.1f direct_wall_us=%.1f", cpu[0][rounds / 2], cpu[1][rounds / 2],
          cpu[0][rounds / 2] / cpu[1][rounds / 2], wall[0][rounds / 2], wall[1][rounds / 2]));
    }
  }
}
