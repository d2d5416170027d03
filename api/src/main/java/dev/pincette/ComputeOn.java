package dev.pincette;

import dev.pincette.internal.Dispatcher;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * {@link Compute} bound to one backend, for one call or a scope:
 *
 * <pre>{@code
 * float[] c = Compute.on(BackendKind.CPU).matmul(a, 64, 64, b, 64, 64);
 * double total = Compute.on(BackendKind.OPENCL).call(() -> Compute.sum(x) + Compute.sum(y));
 * }</pre>
 *
 * A forced backend that is unavailable throws {@link IllegalStateException} with the reason; one that fails during
 * a call still falls back to the CPU (see {@link CallRecord#fallbackReason()}).
 */
public final class ComputeOn {
  private final BackendKind kind;

  ComputeOn(BackendKind kind) {
    this.kind = kind;
  }

  public BackendKind kind() {
    return kind;
  }

  /** Runs {@code body} with every {@code Compute} call on this thread placed on this backend. */
  public void run(Runnable body) {
    Objects.requireNonNull(body, "run: body is null");
    check();
    ScopedValue.where(Dispatcher.SCOPE, kind).run(body);
  }

  /** Like {@link #run} with a result. */
  public <T> T call(Supplier<T> body) {
    Objects.requireNonNull(body, "call: body is null");
    check();
    return ScopedValue.where(Dispatcher.SCOPE, kind).call(body::get);
  }

  private void check() {
    if (kind != BackendKind.AUTO) Dispatcher.get().backend(kind.id());
  }

  /** Asynchronous calls placed on this backend; see {@link AsyncCompute}. */
  public AsyncCompute async() {
    check();
    return new AsyncCompute(kind);
  }

  /** {@link Compute#upload} onto this backend. */
  public DeviceMatrix upload(Matrix m) {
    return call(() -> Compute.upload(m));
  }

  /** {@link Compute#matmul(DeviceMatrix, DeviceMatrix)} on this backend. */
  public DeviceMatrix matmul(DeviceMatrix a, DeviceMatrix b) {
    return call(() -> Compute.matmul(a, b));
  }

  /** {@link Compute#sum(DeviceMatrix)} on this backend. */
  public double sum(DeviceMatrix x) {
    return call(() -> Compute.sum(x));
  }

  /** {@link Compute#hostMatrix} from this backend (pinned by a GPU backend, ordinary off-heap memory on the CPU). */
  public HostMatrix hostMatrix(int rows, int cols) {
    return call(() -> Compute.hostMatrix(rows, cols));
  }

  /** {@link Compute#matmul(HostMatrix, HostMatrix, HostMatrix)} on this backend. */
  public HostMatrix matmul(HostMatrix a, HostMatrix b, HostMatrix out) {
    return call(() -> Compute.matmul(a, b, out));
  }

  public Matrix matmul(Matrix a, Matrix b) {
    return call(() -> Compute.matmul(a, b));
  }

  public float[] matmul(float[] a, int aRows, int aCols, float[] b, int bRows, int bCols) {
    return call(() -> Compute.matmul(a, aRows, aCols, b, bRows, bCols));
  }

  public float[] batchedMatmul(float[] a, float[] b, int count, int m, int k, int n) {
    return call(() -> Compute.batchedMatmul(a, b, count, m, k, n));
  }

  public double sum(float[] x) {
    return call(() -> Compute.sum(x));
  }

  public double mean(float[] x) {
    return call(() -> Compute.mean(x));
  }

  public float min(float[] x) {
    return call(() -> Compute.min(x));
  }

  public float max(float[] x) {
    return call(() -> Compute.max(x));
  }

  public int argmin(float[] x) {
    return call(() -> Compute.argmin(x));
  }

  public int argmax(float[] x) {
    return call(() -> Compute.argmax(x));
  }

  public double dot(float[] x, float[] y) {
    return call(() -> Compute.dot(x, y));
  }
}
