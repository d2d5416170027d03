package dev.pincette;

import dev.pincette.internal.Dispatcher;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * {@link Compute} bound to a backend, a precision of matrix products, or both, for one call or a scope:
 *
 * <pre>{@code
 * float[] c = Compute.on(BackendKind.CPU).matmul(a, 64, 64, b, 64, 64);
 * double total = Compute.on(BackendKind.OPENCL).call(() -> Compute.sum(x) + Compute.sum(y));
 * Matrix p = Compute.with(Precision.TF32).matmul(a, b);                     // placed as usual, on tensor cores if any
 * Compute.on(BackendKind.OPENCL).precision(Precision.BF16).run(() -> step());  // both, for every call inside
 * }</pre>
 *
 * What is not set is inherited from the caller's scope. A forced backend that is unavailable throws
 * {@link IllegalStateException} with the reason; one that fails during a call still falls back to the CPU (see
 * {@link CallRecord#fallbackReason()}), which computes products in FP32, within every precision's bound.
 */
public final class ComputeOn {
  /** The backend, or null to keep the caller's. */
  private final BackendKind kind;
  /** The precision of matrix products, or null to keep the caller's. */
  private final Precision precision;
  /** Whether kernel calls check races ({@link Compute#checkingRaces()}). */
  private final boolean checkRaces;

  ComputeOn(BackendKind kind, Precision precision) {
    this(kind, precision, false);
  }

  ComputeOn(BackendKind kind, Precision precision, boolean checkRaces) {
    this.kind = kind;
    this.precision = precision;
    this.checkRaces = checkRaces;
  }

  /** The backend calls run on: the one set here, else the caller's current one. */
  public BackendKind kind() {
    return kind != null ? kind : Dispatcher.get().currentKind();
  }

  /** The precision of matrix products: the one set here, else the caller's current one. */
  public Precision precision() {
    return precision != null ? precision : Dispatcher.currentPrecision();
  }

  /** The same binding with matrix products computed in {@code precision}; see {@link Precision}. */
  public ComputeOn precision(Precision precision) {
    return new ComputeOn(kind, Objects.requireNonNull(precision, "precision: precision is null"), checkRaces);
  }

  /** The same binding, with kernel calls checking races: see {@link Compute#checkingRaces()}. */
  public ComputeOn checkingRaces() {
    return new ComputeOn(kind, precision, true);
  }

  /** Runs {@code body} with every {@code Compute} call on this thread placed and computed as bound here. */
  public void run(Runnable body) {
    Objects.requireNonNull(body, "run: body is null");
    check();
    scope().run(body);
  }

  /** Like {@link #run} with a result. */
  public <T> T call(Supplier<T> body) {
    Objects.requireNonNull(body, "call: body is null");
    check();
    return scope().call(body::get);
  }

  private ScopedValue.Carrier scope() {
    ScopedValue.Carrier scope = ScopedValue.where(Dispatcher.SCOPE, kind()).where(Dispatcher.PRECISION,
        precision());
    return checkRaces ? scope.where(KernelCalls.CHECKING, true) : scope;
  }

  private void check() {
    if (kind != null && kind != BackendKind.AUTO) Dispatcher.get().backend(kind.id());
  }

  /** Asynchronous calls placed and computed as bound here; see {@link AsyncCompute}. */
  public AsyncCompute async() {
    check();
    return new AsyncCompute(kind, precision, checkRaces);
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

  /** {@link Compute#matmul(Matrix, Matrix)} on this backend. */
  public Matrix matmul(Matrix a, Matrix b) {
    return call(() -> Compute.matmul(a, b));
  }

  /** {@link Compute#matmul(float[], int, int, float[], int, int)} on this backend. */
  public float[] matmul(float[] a, int aRows, int aCols, float[] b, int bRows, int bCols) {
    return call(() -> Compute.matmul(a, aRows, aCols, b, bRows, bCols));
  }

  /** {@link Compute#batchedMatmul} on this backend. */
  public float[] batchedMatmul(float[] a, float[] b, int count, int m, int k, int n) {
    return call(() -> Compute.batchedMatmul(a, b, count, m, k, n));
  }

  /** {@link Compute#sum(float[])} on this backend. */
  public double sum(float[] x) {
    return call(() -> Compute.sum(x));
  }

  /** {@link Compute#mean} on this backend. */
  public double mean(float[] x) {
    return call(() -> Compute.mean(x));
  }

  /** {@link Compute#min} on this backend. */
  public float min(float[] x) {
    return call(() -> Compute.min(x));
  }

  /** {@link Compute#max} on this backend. */
  public float max(float[] x) {
    return call(() -> Compute.max(x));
  }

  /** {@link Compute#argmin} on this backend. */
  public int argmin(float[] x) {
    return call(() -> Compute.argmin(x));
  }

  /** {@link Compute#argmax} on this backend. */
  public int argmax(float[] x) {
    return call(() -> Compute.argmax(x));
  }

  /** {@link Compute#dot} on this backend. */
  public double dot(float[] x, float[] y) {
    return call(() -> Compute.dot(x, y));
  }

  /** {@link Compute#forEach(int, Kernel1, Object)} on this backend. */
  public <A> void forEach(int n, Kernel1<A> kernel, A a) {
    run(() -> KernelCalls.forEach(n, kernel, a));
  }

  /** {@link Compute#forEach(int, Kernel1, Object)} with 2 arguments, on this backend. */
  public <A, B> void forEach(int n, Kernel2<A, B> kernel, A a, B b) {
    run(() -> KernelCalls.forEach(n, kernel, a, b));
  }

  /** {@link Compute#forEach(int, Kernel1, Object)} with 3 arguments, on this backend. */
  public <A, B, C> void forEach(int n, Kernel3<A, B, C> kernel, A a, B b, C c) {
    run(() -> KernelCalls.forEach(n, kernel, a, b, c));
  }

  /** {@link Compute#forEach(int, Kernel1, Object)} with 4 arguments, on this backend. */
  public <A, B, C, D> void forEach(int n, Kernel4<A, B, C, D> kernel, A a, B b, C c, D d) {
    run(() -> KernelCalls.forEach(n, kernel, a, b, c, d));
  }

  /** {@link Compute#forEach(int, Kernel1, Object)} with 5 arguments, on this backend. */
  public <A, B, C, D, E> void forEach(int n, Kernel5<A, B, C, D, E> kernel, A a, B b, C c, D d, E e) {
    run(() -> KernelCalls.forEach(n, kernel, a, b, c, d, e));
  }

  /** {@link Compute#forEach(int, Kernel1, Object)} with 6 arguments, on this backend. */
  public <A, B, C, D, E, F> void forEach(int n, Kernel6<A, B, C, D, E, F> kernel, A a, B b, C c, D d, E e, F f) {
    run(() -> KernelCalls.forEach(n, kernel, a, b, c, d, e, f));
  }

  /** {@link Compute#forEach(int, Kernel1, Object)} with 7 arguments, on this backend. */
  public <A, B, C, D, E, F, G> void forEach(int n, Kernel7<A, B, C, D, E, F, G> kernel, A a, B b, C c, D d, E e, F f,
      G g) {
    run(() -> KernelCalls.forEach(n, kernel, a, b, c, d, e, f, g));
  }

  /** {@link Compute#forEach(int, Kernel1, Object)} with 8 arguments, on this backend. */
  public <A, B, C, D, E, F, G, H> void forEach(int n, Kernel8<A, B, C, D, E, F, G, H> kernel, A a, B b, C c, D d, E e,
      F f, G g, H h) {
    run(() -> KernelCalls.forEach(n, kernel, a, b, c, d, e, f, g, h));
  }

  /** {@link Compute#sum(int, FloatKernel1, Object)} on this backend. */
  public <A> double sum(int n, FloatKernel1<A> kernel, A a) {
    return call(() -> KernelCalls.sum(n, kernel, a));
  }

  /** {@link Compute#sum(int, FloatKernel1, Object)} with 2 arguments, on this backend. */
  public <A, B> double sum(int n, FloatKernel2<A, B> kernel, A a, B b) {
    return call(() -> KernelCalls.sum(n, kernel, a, b));
  }

  /** {@link Compute#sum(int, FloatKernel1, Object)} with 3 arguments, on this backend. */
  public <A, B, C> double sum(int n, FloatKernel3<A, B, C> kernel, A a, B b, C c) {
    return call(() -> KernelCalls.sum(n, kernel, a, b, c));
  }

  /** {@link Compute#sum(int, FloatKernel1, Object)} with 4 arguments, on this backend. */
  public <A, B, C, D> double sum(int n, FloatKernel4<A, B, C, D> kernel, A a, B b, C c, D d) {
    return call(() -> KernelCalls.sum(n, kernel, a, b, c, d));
  }

  /** {@link Compute#sum(int, FloatKernel1, Object)} with 5 arguments, on this backend. */
  public <A, B, C, D, E> double sum(int n, FloatKernel5<A, B, C, D, E> kernel, A a, B b, C c, D d, E e) {
    return call(() -> KernelCalls.sum(n, kernel, a, b, c, d, e));
  }

  /** {@link Compute#sum(int, FloatKernel1, Object)} with 6 arguments, on this backend. */
  public <A, B, C, D, E, F> double sum(int n, FloatKernel6<A, B, C, D, E, F> kernel, A a, B b, C c, D d, E e, F f) {
    return call(() -> KernelCalls.sum(n, kernel, a, b, c, d, e, f));
  }

  /** {@link Compute#sum(int, FloatKernel1, Object)} with 7 arguments, on this backend. */
  public <A, B, C, D, E, F, G> double sum(int n, FloatKernel7<A, B, C, D, E, F, G> kernel, A a, B b, C c, D d, E e,
      F f, G g) {
    return call(() -> KernelCalls.sum(n, kernel, a, b, c, d, e, f, g));
  }

  /** {@link Compute#sum(int, FloatKernel1, Object)} with 8 arguments, on this backend. */
  public <A, B, C, D, E, F, G, H> double sum(int n, FloatKernel8<A, B, C, D, E, F, G, H> kernel, A a, B b, C c, D d,
      E e, F f, G g, H h) {
    return call(() -> KernelCalls.sum(n, kernel, a, b, c, d, e, f, g, h));
  }

  /** {@link Compute#forEach(int, Kernel1, Object[])} on this backend. */
  public <A> void forEach(int n, Kernel1<A> kernel, Object... arguments) {
    run(() -> KernelCalls.forEach(n, kernel, arguments));
  }

  /** {@link Compute#forEach(int, Kernel2, Object[])} on this backend. */
  public <A, B> void forEach(int n, Kernel2<A, B> kernel, Object... arguments) {
    run(() -> KernelCalls.forEach(n, kernel, arguments));
  }

  /** {@link Compute#forEach(int, Kernel3, Object[])} on this backend. */
  public <A, B, C> void forEach(int n, Kernel3<A, B, C> kernel, Object... arguments) {
    run(() -> KernelCalls.forEach(n, kernel, arguments));
  }

  /** {@link Compute#forEach(int, Kernel4, Object[])} on this backend. */
  public <A, B, C, D> void forEach(int n, Kernel4<A, B, C, D> kernel, Object... arguments) {
    run(() -> KernelCalls.forEach(n, kernel, arguments));
  }

  /** {@link Compute#forEach(int, Kernel5, Object[])} on this backend. */
  public <A, B, C, D, E> void forEach(int n, Kernel5<A, B, C, D, E> kernel, Object... arguments) {
    run(() -> KernelCalls.forEach(n, kernel, arguments));
  }

  /** {@link Compute#forEach(int, Kernel6, Object[])} on this backend. */
  public <A, B, C, D, E, F> void forEach(int n, Kernel6<A, B, C, D, E, F> kernel, Object... arguments) {
    run(() -> KernelCalls.forEach(n, kernel, arguments));
  }

  /** {@link Compute#forEach(int, Kernel7, Object[])} on this backend. */
  public <A, B, C, D, E, F, G> void forEach(int n, Kernel7<A, B, C, D, E, F, G> kernel, Object... arguments) {
    run(() -> KernelCalls.forEach(n, kernel, arguments));
  }

  /** {@link Compute#forEach(int, Kernel8, Object[])} on this backend. */
  public <A, B, C, D, E, F, G, H> void forEach(int n, Kernel8<A, B, C, D, E, F, G, H> kernel, Object... arguments) {
    run(() -> KernelCalls.forEach(n, kernel, arguments));
  }

  /** {@link Compute#sum(int, FloatKernel1, Object[])} on this backend. */
  public <A> double sum(int n, FloatKernel1<A> kernel, Object... arguments) {
    return call(() -> KernelCalls.sum(n, kernel, arguments));
  }

  /** {@link Compute#sum(int, FloatKernel2, Object[])} on this backend. */
  public <A, B> double sum(int n, FloatKernel2<A, B> kernel, Object... arguments) {
    return call(() -> KernelCalls.sum(n, kernel, arguments));
  }

  /** {@link Compute#sum(int, FloatKernel3, Object[])} on this backend. */
  public <A, B, C> double sum(int n, FloatKernel3<A, B, C> kernel, Object... arguments) {
    return call(() -> KernelCalls.sum(n, kernel, arguments));
  }

  /** {@link Compute#sum(int, FloatKernel4, Object[])} on this backend. */
  public <A, B, C, D> double sum(int n, FloatKernel4<A, B, C, D> kernel, Object... arguments) {
    return call(() -> KernelCalls.sum(n, kernel, arguments));
  }

  /** {@link Compute#sum(int, FloatKernel5, Object[])} on this backend. */
  public <A, B, C, D, E> double sum(int n, FloatKernel5<A, B, C, D, E> kernel, Object... arguments) {
    return call(() -> KernelCalls.sum(n, kernel, arguments));
  }

  /** {@link Compute#sum(int, FloatKernel6, Object[])} on this backend. */
  public <A, B, C, D, E, F> double sum(int n, FloatKernel6<A, B, C, D, E, F> kernel, Object... arguments) {
    return call(() -> KernelCalls.sum(n, kernel, arguments));
  }

  /** {@link Compute#sum(int, FloatKernel7, Object[])} on this backend. */
  public <A, B, C, D, E, F, G> double sum(int n, FloatKernel7<A, B, C, D, E, F, G> kernel, Object... arguments) {
    return call(() -> KernelCalls.sum(n, kernel, arguments));
  }

  /** {@link Compute#sum(int, FloatKernel8, Object[])} on this backend. */
  public <A, B, C, D, E, F, G, H> double sum(int n, FloatKernel8<A, B, C, D, E, F, G, H> kernel, Object... arguments) {
    return call(() -> KernelCalls.sum(n, kernel, arguments));
  }
}
