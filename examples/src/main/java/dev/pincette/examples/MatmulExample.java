package dev.pincette.examples;

import dev.pincette.CallRecord;
import dev.pincette.Compute;
import dev.pincette.HostMatrix;
import dev.pincette.Matrix;

/** Multiplies matrices built from host arrays; Pincette places the call on the CPU or a GPU. */
public final class MatmulExample {
  private MatmulExample() {}

  public static void main(String[] args) {
    int n = args.length > 0 ? Integer.parseInt(args[0]) : 512;
    float[] data = new float[n * n];
    for (int i = 0; i < data.length; i++) data[i] = (i % 7) * 0.25f;

    // Matrix.of copies the array: later changes to `data` don't touch the matrix.
    Matrix a = Matrix.of(n, n, data);
    Matrix c = Compute.matmul(a, a.transpose());

    CallRecord last = Compute.lastCall();
    System.out.printf("c[0,0] = %.3f, %s on %s in %.2f ms%n", c.get(0, 0), last.shape(), last.backend(),
        last.nanos() / 1e6);

    // The same product on raw row-major arrays, without wrapping them in Matrix.
    float[] raw = Compute.matmul(data, n, n, a.transpose().toArray(), n, n);
    System.out.println("raw arrays agree: " + (raw[0] == c.get(0, 0)));

    // Host matrices: native memory filled in place, pinned when there is a discrete GPU, so large products move by
    // DMA with no host copy. Close them: pinned memory is scarce.
    try (HostMatrix ha = Compute.hostMatrix(n, n); HostMatrix hb = Compute.hostMatrix(n, n);
        HostMatrix hc = Compute.hostMatrix(n, n)) {
      ha.copyFrom(a);
      hb.copyFrom(a.transpose());
      Compute.matmul(ha, hb, hc);
      last = Compute.lastCall();
      System.out.printf("host matrices (%s): c[0,0] = %.3f on %s in %.2f ms%n", ha.isPinned() ? "pinned" : "not pinned",
          hc.get(0, 0), last.backend(), last.nanos() / 1e6);
    }
  }
}
