package dev.pincette.examples;

import dev.pincette.BackendKind;
import dev.pincette.CallRecord;
import dev.pincette.Compute;
import dev.pincette.DeviceInfo;
import dev.pincette.Matrix;
import java.util.SplittableRandom;

/** The same call forced onto each backend, then left to auto. */
public final class BackendComparison {
  private BackendComparison() {}

  public static void main(String[] args) {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 768;
    SplittableRandom rnd = new SplittableRandom(1);
    Matrix a = Demo.randomMatrix(rnd, n, n);
    Matrix b = Demo.randomMatrix(rnd, n, n);
    boolean opencl = Compute.devices().stream().anyMatch(d -> d.backend().equals("opencl") && d.available());
    for (BackendKind kind : BackendKind.values()) {
      if (kind == BackendKind.OPENCL && !opencl) {
        System.out.println("opencl: unavailable: " + Compute.devices().stream()
            .filter(d -> d.backend().equals("opencl")).map(DeviceInfo::reason).findFirst().orElse("not installed"));
        continue;
      }
      Compute.on(kind).matmul(a, b); // warm-up: JIT, program build, buffer pool
      Matrix c = Compute.on(kind).matmul(a, b);
      CallRecord last = Compute.lastCall();
      System.out.printf("%-6s ran on %-6s %8.2f ms   c[1,2] = %.4f%n", kind.id(), last.backend(), last.nanos() / 1e6,
          c.get(1, 2));
    }
  }
}
