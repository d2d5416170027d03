package dev.pincette;

import dev.pincette.internal.CallCost;
import dev.pincette.internal.Dispatcher;
import dev.pincette.kernels.Elements;
import dev.pincette.kernels.MatmulOp;
import dev.pincette.kernels.ReduceOp;
import java.util.List;
import java.util.Objects;

/**
 * Pincette's entry point: each call runs where it finishes first, on the CPU or an OpenCL device, and always returns
 * the same result within the documented accuracy. Every method is safe to call from many threads at once.
 *
 * <pre>{@code
 * Matrix c = Compute.matmul(a, b);            // placed by Pincette (pincette.backend=auto)
 * double s = Compute.sum(samples);
 * Matrix g = Compute.on(BackendKind.OPENCL).matmul(a, b);   // forced onto OpenCL for this call
 * Compute.on(BackendKind.CPU).run(() -> simulate());       // everything inside runs on the CPU
 * Matrix f = Compute.with(Precision.TF32).matmul(a, b);     // a faster, less exact product (tensor cores)
 * CallRecord last = Compute.lastCall();      // where the last call ran, how long it took
 * }</pre>
 *
 * <p>Accuracy: sum and dot are within 1e-6·Σ|terms| of the exact value; matmul is within {@code (k+2)·2^-24·Σ|a·b|}
 * per element on every backend (plus {@code (k+2)·2^-149} among float's subnormals), unless a relaxed {@link Precision}
 * is asked for (then within that precision's bound). NaN propagates through every op. The backend is read from the
 * system property {@code pincette.backend} ({@code auto}, {@code cpu} or {@code opencl}) when {@code Compute} is first
 * used.
 */
public final class Compute {
  private Compute() {}

  /** The matrix product {@code a · b}. */
  public static Matrix matmul(Matrix a, Matrix b) {
    Objects.requireNonNull(a, "matmul: a is null");
    Objects.requireNonNull(b, "matmul: b is null");
    float[] c = matmul(a.data(), a.rows(), a.cols(), b.data(), b.rows(), b.cols());
    return Matrix.wrap(a.rows(), b.cols(), c);
  }

  /**
   * The product of row-major arrays {@code a[aRows×aCols] · b[bRows×bCols]}, as a new row-major array of
   * {@code aRows·bCols} values. The inputs are only read.
   */
  public static float[] matmul(float[] a, int aRows, int aCols, float[] b, int bRows, int bCols) {
    MatmulOp.check(a, aRows, aCols, b, bRows, bCols);
    String shape = aRows + "x" + aCols + " · " + bRows + "x" + bCols;
    Precision precision = Dispatcher.currentPrecision();
    CallCost cost = new CallCost(CallCost.MATMUL, MatmulOp.flops(aRows, aCols, bCols),
        4L * ((long) aRows * aCols + (long) bRows * bCols), 4L * aRows * bCols).in(precision);
    return Dispatcher.get().run("matmul", shape, cost, be -> be.matmul(a, b, aRows, aCols, bCols, precision));
  }

  /**
   * Independent products of one shape gathered by {@link AsyncCompute}: placed as one call, each result equal to
   * what {@link #matmul(float[], int, int, float[], int, int)} returns for it. Operands are validated already.
   */
  static float[][] matmulEach(float[][] as, float[][] bs, int m, int k, int n) {
    int count = as.length;
    String shape = count + " × " + m + "x" + k + " · " + k + "x" + n + " (async, gathered)";
    Precision precision = Dispatcher.currentPrecision();
    CallCost cost = new CallCost(CallCost.MATMUL, count * MatmulOp.flops(m, k, n),
        4L * count * ((long) m * k + (long) k * n), 4L * count * m * n).in(precision);
    return Dispatcher.get().run("matmul", shape, cost, be -> be.matmulEach(as, bs, m, k, n, precision));
  }

  /**
   * {@code count} independent products {@code m×k · k×n}, the operands stored back to back in {@code a}
   * ({@code count·m·k} values) and {@code b} ({@code count·k·n}); returns {@code count·m·n} values. One call instead of
   * {@code count}: the per-call overhead is paid once.
   */
  public static float[] batchedMatmul(float[] a, float[] b, int count, int m, int k, int n) {
    MatmulOp.checkBatched(a, b, count, m, k, n);
    String shape = count + " × " + m + "x" + k + " · " + k + "x" + n;
    Precision precision = Dispatcher.currentPrecision();
    CallCost cost = new CallCost(CallCost.BATCHED, count * MatmulOp.flops(m, k, n), 4L * (a.length + b.length),
        4L * count * m * n).in(precision);
    return Dispatcher.get().run("batchedMatmul", shape, cost,
        be -> be.batchedMatmul(a, b, count, m, k, n, precision));
  }

  /**
   * A zeroed {@code rows×cols} matrix in native host memory, pinned for DMA when a GPU is present; see
   * {@link HostMatrix}. The caller closes it.
   */
  public static HostMatrix hostMatrix(int rows, int cols) {
    if (rows < 0 || cols < 0) throw new IllegalArgumentException("hostMatrix: negative shape " + rows + "x" + cols);
    // As many elements as a Java array, so every backend can fall back to one.
    int elements = Elements.of("hostMatrix", "the matrix", rows, cols);
    return new HostMatrix(rows, cols, Dispatcher.get().allocateHost(4L * elements));
  }

  /**
   * {@code out = a · b} on host matrices; returns {@code out}. On a GPU the operands move by DMA straight from and to
   * their pinned memory, and a large product is cut into tiles so that uploads, kernels and downloads overlap.
   * {@code out} must be {@code a.rows()×b.cols()} and neither {@code a} nor {@code b}; {@code a} and {@code b} are
   * only read. If a device fails midway, the CPU reruns the call and overwrites all of {@code out}.
   */
  public static HostMatrix matmul(HostMatrix a, HostMatrix b, HostMatrix out) {
    Objects.requireNonNull(a, "matmul: a is null");
    Objects.requireNonNull(b, "matmul: b is null");
    Objects.requireNonNull(out, "matmul: out is null");
    if (a.cols() != b.rows()) {
      throw new IllegalArgumentException("matmul: inner dimensions differ: " + a.shape() + " · " + b.shape());
    }
    if (out.rows() != a.rows() || out.cols() != b.cols()) {
      throw new IllegalArgumentException("matmul: out is " + out.shape() + ", wanted " + a.rows() + "x" + b.cols()
          + " for " + a.shape() + " · " + b.shape());
    }
    if (out == a || out == b) throw new IllegalArgumentException("matmul: out must not be one of the operands");
    int m = a.rows();
    int k = a.cols();
    int n = b.cols();
    Precision precision = Dispatcher.currentPrecision();
    CallCost cost = CallCost.onNativeHost(CallCost.MATMUL, MatmulOp.flops(m, k, n),
        4L * ((long) m * k + (long) k * n), 4L * m * n).in(precision);
    var sa = a.acquire("matmul");
    try {
      var sb = b.acquire("matmul");
      try {
        var sc = out.acquire("matmul");
        try {
          Dispatcher.get().run("matmul", a.shape() + " · " + b.shape() + " host", cost, be -> {
            be.matmul(sa, sb, sc, m, k, n, precision);
            return null;
          });
          return out;
        } finally {
          out.release();
        }
      } finally {
        b.release();
      }
    } finally {
      a.release();
    }
  }

  /**
   * Makes {@code m} resident where chained work runs best: the GPU when there is one (or the backend of the current
   * {@code Compute.on} scope), else the CPU. The host copy is kept too, so the data survives a device failure.
   */
  public static DeviceMatrix upload(Matrix m) {
    Objects.requireNonNull(m, "upload: m is null");
    return new DeviceMatrix(m.rows(), m.cols(), Dispatcher.get().upload(m.data()));
  }

  /**
   * The product {@code a · b} of resident matrices, resident where it ran: no transfer for inputs already there, and
   * none for the result until {@link DeviceMatrix#download()}. Inputs on another backend than the chosen one are
   * copied over for this call (the cost model counts that). On a GPU it returns once the kernel is enqueued, behind
   * the kernels of its inputs: {@link DeviceMatrix#await()} waits for it.
   */
  public static DeviceMatrix matmul(DeviceMatrix a, DeviceMatrix b) {
    Objects.requireNonNull(a, "matmul: a is null");
    Objects.requireNonNull(b, "matmul: b is null");
    MatmulOp.checkShapes(a.shape(), a.rows(), a.cols(), b.shape(), b.rows(), b.cols());
    int m = a.rows();
    int k = a.cols();
    int n = b.cols();
    var ra = a.resident("matmul");
    var rb = b.resident("matmul");
    Precision precision = Dispatcher.currentPrecision();
    CallCost cost = new CallCost(CallCost.MATMUL, MatmulOp.flops(m, k, n), 0, 0,
        residentBytes(ra.backend(), 4L * m * k, rb.backend(), 4L * k * n)).in(precision);
    try {
      var product = Dispatcher.get().runOn("matmul", a.shape() + " · " + b.shape() + " resident", cost,
          List.of(ra, rb), (be, in) -> be.matmul(in.get(0), in.get(1), m, k, n, precision));
      return new DeviceMatrix(m, n, product);
    } catch (dev.pincette.spi.BackendException e) {
      throw lost("matmul", e);
    } finally {
      java.lang.ref.Reference.reachabilityFence(a);
      java.lang.ref.Reference.reachabilityFence(b);
    }
  }

  /** Sum of every element of a resident matrix, computed where it lives unless moving it is cheaper. */
  public static double sum(DeviceMatrix x) {
    Objects.requireNonNull(x, "sum: x is null");
    var r = x.resident("sum");
    long elements = (long) x.rows() * x.cols();
    CallCost cost = new CallCost(CallCost.REDUCE, elements, 0, 8, java.util.Map.of(r.backend(), 4 * elements));
    try {
      return Dispatcher.get().runOn("sum", "n=" + elements + " resident", cost, List.of(r),
          (be, in) -> be.sum(in.get(0)));
    } catch (dev.pincette.spi.BackendException e) {
      throw lost("sum", e);
    } finally {
      java.lang.ref.Reference.reachabilityFence(x);
    }
  }

  /**
   * A {@link DeviceArray} holding a copy of {@code values}, resident where chained work runs best: the GPU when there
   * is one (or the backend of the current {@code Compute.on} scope), else the CPU. Pass it to kernels in place of the
   * array; {@link DeviceArray#download()} brings it back.
   */
  public static DeviceArray<float[]> upload(float[] values) {
    return uploadArray("upload", values);
  }

  /** {@link #upload(float[])} of doubles. */
  public static DeviceArray<double[]> upload(double[] values) {
    return uploadArray("upload", values);
  }

  /** {@link #upload(float[])} of ints (indices, counts, neighbour lists). */
  public static DeviceArray<int[]> upload(int[] values) {
    return uploadArray("upload", values);
  }

  /** {@link #upload(float[])} of longs. */
  public static DeviceArray<long[]> upload(long[] values) {
    return uploadArray("upload", values);
  }

  /** {@link #upload(float[])} of bytes. */
  public static DeviceArray<byte[]> upload(byte[] values) {
    return uploadArray("upload", values);
  }

  private static <T> DeviceArray<T> uploadArray(String op, Object values) {
    Objects.requireNonNull(values, op + ": values is null");
    Object copy = switch (values) {
      case float[] f -> f.clone();
      case double[] d -> d.clone();
      case int[] i -> i.clone();
      case long[] l -> l.clone();
      case byte[] b -> b.clone();
      default -> throw new IllegalArgumentException(op + ": not a kernel array: " + values.getClass().getName());
    };
    return new DeviceArray<>(Dispatcher.get().uploadArray(copy));
  }

  /**
   * A resident array of {@code length} zeros, e.g. {@code Compute.zeros(float[].class, n)}, where {@link #upload}
   * would put it, without moving any data there.
   *
   * @param arrayType {@code float[].class}, {@code double[].class}, {@code int[].class}, {@code long[].class} or
   *     {@code byte[].class}
   * @param length at most {@code Integer.MAX_VALUE - 8}, the longest array every JVM can allocate, so that the
   *     array can be downloaded
   */
  public static <T> DeviceArray<T> zeros(Class<T> arrayType, int length) {
    Objects.requireNonNull(arrayType, "zeros: arrayType is null");
    dev.pincette.spi.KernelArg.Type type = dev.pincette.spi.KernelArg.Type.ofArray(arrayType);
    if (type == null) {
      throw new IllegalArgumentException("zeros: " + arrayType.getSimpleName() + " is not a kernel array type (float[],"
          + " double[], int[], long[] or byte[])");
    }
    if (length < 0) throw new IllegalArgumentException("zeros: negative length " + length);
    Elements.checked("zeros", "length " + length, length);   // no longer than an array it can be downloaded into
    return new DeviceArray<>(Dispatcher.get().allocate(type, length));
  }

  /**
   * Σ x_i of a resident float array, within 1e-6·Σ|x_i|, computed where it lives unless moving it is cheaper; waits
   * for the kernels writing it.
   */
  public static double sum(DeviceArray<float[]> x) {
    Objects.requireNonNull(x, "sum: x is null");
    if (x.arrayType() != float[].class) {
      // Only an unchecked cast gets one here; its data would be read as floats.
      throw new IllegalArgumentException("sum: x is a DeviceArray<" + x.arrayType().getSimpleName() + ">, not a"
          + " DeviceArray<float[]>");
    }
    var r = x.resident("sum");
    long elements = r.length();
    CallCost cost = new CallCost(CallCost.REDUCE, elements, 0, 8, java.util.Map.of(r.backend(), 4 * elements));
    try {
      return Dispatcher.get().runOn("sum", "n=" + elements + " resident array", cost, List.of(r),
          (be, in) -> be.sum(in.get(0)));
    } catch (dev.pincette.spi.KernelFault fault) {
      throw fault.toUserException();
    } catch (dev.pincette.spi.BackendException e) {
      throw lost("sum", e);
    } finally {
      java.lang.ref.Reference.reachabilityFence(x);
    }
  }

  /**
   * The same ops as {@code Compute}, returning futures: calls run on Pincette's own threads, and independent calls in
   * flight overlap (each device call takes its own queue). See {@link AsyncCompute}.
   */
  public static AsyncCompute async() {
    return AsyncCompute.INSTANCE;
  }

  /**
   * A resident op that failed on its device and on the CPU: the CPU could not get the data, whose only copy was on
   * the failed device (see {@link DeviceMatrix}).
   */
  private static IllegalStateException lost(String op, RuntimeException cause) {
    return new IllegalStateException(op + ": a resident input could not be read from its device, which failed: "
        + cause.getMessage(), cause);
  }

  private static java.util.Map<String, Long> residentBytes(String first, long firstBytes, String second,
      long secondBytes) {
    return first.equals(second) ? java.util.Map.of(first, firstBytes + secondBytes)
        : java.util.Map.of(first, firstBytes, second, secondBytes);
  }

  /** Σ x_i, accumulated to within 1e-6·Σ|x_i|; 0 for an empty array. */
  public static double sum(float[] x) {
    ReduceOp.SUM.check(x);
    return Dispatcher.get().run("sum", length(x), reduceCost(ReduceOp.SUM, x.length), be -> be.sum(x));
  }

  /** The arithmetic mean; the array must not be empty. */
  public static double mean(float[] x) {
    Objects.requireNonNull(x, "mean: x is null");
    if (x.length == 0) throw new IllegalArgumentException("mean: the array is empty");
    return sum(x) / x.length;
  }

  /** The smallest element (NaN if any element is NaN); the array must not be empty. */
  public static float min(float[] x) {
    ReduceOp.MIN.check(x);
    return Dispatcher.get().run("min", length(x), reduceCost(ReduceOp.MIN, x.length), be -> be.min(x));
  }

  /** The largest element (NaN if any element is NaN); the array must not be empty. */
  public static float max(float[] x) {
    ReduceOp.MAX.check(x);
    return Dispatcher.get().run("max", length(x), reduceCost(ReduceOp.MAX, x.length), be -> be.max(x));
  }

  /** Index of the first smallest element, or of the first NaN; the array must not be empty. */
  public static int argmin(float[] x) {
    ReduceOp.ARGMIN.check(x);
    return Dispatcher.get().run("argmin", length(x), reduceCost(ReduceOp.ARGMIN, x.length), be -> be.argmin(x));
  }

  /** Index of the first largest element, or of the first NaN; the array must not be empty. */
  public static int argmax(float[] x) {
    ReduceOp.ARGMAX.check(x);
    return Dispatcher.get().run("argmax", length(x), reduceCost(ReduceOp.ARGMAX, x.length), be -> be.argmax(x));
  }

  /** Σ x_i·y_i, accumulated to within 1e-6·Σ|x_i·y_i|; 0 for empty arrays. The lengths must match. */
  public static double dot(float[] x, float[] y) {
    ReduceOp.checkDot(x, y);
    return Dispatcher.get().run("dot", length(x), reduceCost(ReduceOp.DOT, x.length), be -> be.dot(x, y));
  }

  /** Sum of every element of {@code m}. */
  public static double sum(Matrix m) {
    return sum(Objects.requireNonNull(m, "sum: m is null").data());
  }

  /** Smallest element of {@code m}, which must not be empty. */
  public static float min(Matrix m) {
    return min(Objects.requireNonNull(m, "min: m is null").data());
  }

  /** Largest element of {@code m}, which must not be empty. */
  public static float max(Matrix m) {
    return max(Objects.requireNonNull(m, "max: m is null").data());
  }

  /** Mean of every element of {@code m}, which must not be empty. */
  public static double mean(Matrix m) {
    return mean(Objects.requireNonNull(m, "mean: m is null").data());
  }

  /**
   * Runs {@code kernel} for every work-item index {@code i} in {@code [0, n)}, on the GPU or the CPU as the cost model
   * chooses. The kernel is a static method (or a lambda that captures nothing) whose first parameter is the index; the
   * arguments follow it: arrays ({@code float[]}, {@code double[]}, {@code int[]}, {@code long[]}, {@code byte[]}),
   * shared by all work items, and boxed scalars for primitive parameters.
   *
   * <pre>{@code
   * static void saxpy(int i, float a, float[] x, float[] y) { y[i] = a * x[i] + y[i]; }
   *
   * Compute.forEach(n, Physics::saxpy, 2f, x, y);
   * Compute.on(BackendKind.OPENCL).forEach(n, Physics::saxpy, 2f, x, y);
   * }</pre>
   *
   * <p>When it returns, every array the kernel writes holds what running the method for each index on the CPU leaves
   * there (arrays it only reads are not copied back). Work items run in no set order and may run at once: two work
   * items writing the same element, or one reading what another writes, is a race ({@link #checkingRaces()} finds
   * them). What a kernel may contain to run on a GPU, and its semantics there, are in {@code docs/kernels.md}; under
   * {@code auto} any other kernel runs on the CPU, and {@link #explain} says why.
   *
   * @throws IllegalArgumentException if {@code n < 0}, the kernel captures values or is an instance method, an argument
   *     does not fit its parameter (the message names it), or the call is forced onto a device that cannot run the
   *     kernel (the message names the method, line and construct)
   * @throws ArrayIndexOutOfBoundsException if a work item indexes outside an array (naming the parameter and index)
   * @throws ArithmeticException if a work item divides an integer by zero
   */
  public static <A> void forEach(int n, Kernel1<A> kernel, A a) {
    KernelCalls.forEach(n, kernel, a);
  }

  /** {@link #forEach(int, Kernel1, Object)} with 2 arguments. */
  public static <A, B> void forEach(int n, Kernel2<A, B> kernel, A a, B b) {
    KernelCalls.forEach(n, kernel, a, b);
  }

  /** {@link #forEach(int, Kernel1, Object)} with 3 arguments. */
  public static <A, B, C> void forEach(int n, Kernel3<A, B, C> kernel, A a, B b, C c) {
    KernelCalls.forEach(n, kernel, a, b, c);
  }

  /** {@link #forEach(int, Kernel1, Object)} with 4 arguments. */
  public static <A, B, C, D> void forEach(int n, Kernel4<A, B, C, D> kernel, A a, B b, C c, D d) {
    KernelCalls.forEach(n, kernel, a, b, c, d);
  }

  /** {@link #forEach(int, Kernel1, Object)} with 5 arguments. */
  public static <A, B, C, D, E> void forEach(int n, Kernel5<A, B, C, D, E> kernel, A a, B b, C c, D d, E e) {
    KernelCalls.forEach(n, kernel, a, b, c, d, e);
  }

  /** {@link #forEach(int, Kernel1, Object)} with 6 arguments. */
  public static <A, B, C, D, E, F> void forEach(int n, Kernel6<A, B, C, D, E, F> kernel, A a, B b, C c, D d, E e, F f) {
    KernelCalls.forEach(n, kernel, a, b, c, d, e, f);
  }

  /** {@link #forEach(int, Kernel1, Object)} with 7 arguments. */
  public static <A, B, C, D, E, F, G> void forEach(int n, Kernel7<A, B, C, D, E, F, G> kernel, A a, B b, C c, D d,
      E e, F f, G g) {
    KernelCalls.forEach(n, kernel, a, b, c, d, e, f, g);
  }

  /** {@link #forEach(int, Kernel1, Object)} with 8 arguments. */
  public static <A, B, C, D, E, F, G, H> void forEach(int n, Kernel8<A, B, C, D, E, F, G, H> kernel, A a, B b, C c,
      D d, E e, F f, G g, H h) {
    KernelCalls.forEach(n, kernel, a, b, c, d, e, f, g, h);
  }

  /**
   * The sum over every work-item index {@code i} in {@code [0, n)} of the float {@code kernel} returns, within
   * 1e-6·Σ|terms| like {@link #sum(float[])}; 0 for {@code n == 0}. The kernel is as for
   * {@link #forEach(int, Kernel1, Object)}, returning a float.
   *
   * <pre>{@code
   * static float energy(int i, float[] v, float[] m) { return 0.5f * m[i] * v[i] * v[i]; }
   * double e = Compute.sum(n, Physics::energy, v, m);
   * }</pre>
   */
  public static <A> double sum(int n, FloatKernel1<A> kernel, A a) {
    return KernelCalls.sum(n, kernel, a);
  }

  /** {@link #sum(int, FloatKernel1, Object)} with 2 arguments. */
  public static <A, B> double sum(int n, FloatKernel2<A, B> kernel, A a, B b) {
    return KernelCalls.sum(n, kernel, a, b);
  }

  /** {@link #sum(int, FloatKernel1, Object)} with 3 arguments. */
  public static <A, B, C> double sum(int n, FloatKernel3<A, B, C> kernel, A a, B b, C c) {
    return KernelCalls.sum(n, kernel, a, b, c);
  }

  /** {@link #sum(int, FloatKernel1, Object)} with 4 arguments. */
  public static <A, B, C, D> double sum(int n, FloatKernel4<A, B, C, D> kernel, A a, B b, C c, D d) {
    return KernelCalls.sum(n, kernel, a, b, c, d);
  }

  /** {@link #sum(int, FloatKernel1, Object)} with 5 arguments. */
  public static <A, B, C, D, E> double sum(int n, FloatKernel5<A, B, C, D, E> kernel, A a, B b, C c, D d, E e) {
    return KernelCalls.sum(n, kernel, a, b, c, d, e);
  }

  /** {@link #sum(int, FloatKernel1, Object)} with 6 arguments. */
  public static <A, B, C, D, E, F> double sum(int n, FloatKernel6<A, B, C, D, E, F> kernel, A a, B b, C c, D d, E e,
      F f) {
    return KernelCalls.sum(n, kernel, a, b, c, d, e, f);
  }

  /** {@link #sum(int, FloatKernel1, Object)} with 7 arguments. */
  public static <A, B, C, D, E, F, G> double sum(int n, FloatKernel7<A, B, C, D, E, F, G> kernel, A a, B b, C c, D d,
      E e, F f, G g) {
    return KernelCalls.sum(n, kernel, a, b, c, d, e, f, g);
  }

  /** {@link #sum(int, FloatKernel1, Object)} with 8 arguments. */
  public static <A, B, C, D, E, F, G, H> double sum(int n, FloatKernel8<A, B, C, D, E, F, G, H> kernel, A a, B b, C c,
      D d, E e, F f, G g, H h) {
    return KernelCalls.sum(n, kernel, a, b, c, d, e, f, g, h);
  }

  /**
   * {@link #forEach(int, Kernel1, Object)} with resident arrays among the arguments: a {@link DeviceArray} stands for
   * a Java array of its type, which kernels read and write in place. Arguments are checked as there.
   *
   * <pre>{@code
   * Compute.forEach(n, Physics::saxpy, 2f, x, y);   // x, y: DeviceArray<float[]>
   * }</pre>
   */
  public static <A> void forEach(int n, Kernel1<A> kernel, Object... arguments) {
    KernelCalls.forEach(n, kernel, arguments);
  }

  /** {@link #forEach(int, Kernel1, Object[])} with 2 parameters after the index. */
  public static <A, B> void forEach(int n, Kernel2<A, B> kernel, Object... arguments) {
    KernelCalls.forEach(n, kernel, arguments);
  }

  /** {@link #forEach(int, Kernel1, Object[])} with 3 parameters after the index. */
  public static <A, B, C> void forEach(int n, Kernel3<A, B, C> kernel, Object... arguments) {
    KernelCalls.forEach(n, kernel, arguments);
  }

  /** {@link #forEach(int, Kernel1, Object[])} with 4 parameters after the index. */
  public static <A, B, C, D> void forEach(int n, Kernel4<A, B, C, D> kernel, Object... arguments) {
    KernelCalls.forEach(n, kernel, arguments);
  }

  /** {@link #forEach(int, Kernel1, Object[])} with 5 parameters after the index. */
  public static <A, B, C, D, E> void forEach(int n, Kernel5<A, B, C, D, E> kernel, Object... arguments) {
    KernelCalls.forEach(n, kernel, arguments);
  }

  /** {@link #forEach(int, Kernel1, Object[])} with 6 parameters after the index. */
  public static <A, B, C, D, E, F> void forEach(int n, Kernel6<A, B, C, D, E, F> kernel, Object... arguments) {
    KernelCalls.forEach(n, kernel, arguments);
  }

  /** {@link #forEach(int, Kernel1, Object[])} with 7 parameters after the index. */
  public static <A, B, C, D, E, F, G> void forEach(int n, Kernel7<A, B, C, D, E, F, G> kernel, Object... arguments) {
    KernelCalls.forEach(n, kernel, arguments);
  }

  /** {@link #forEach(int, Kernel1, Object[])} with 8 parameters after the index. */
  public static <A, B, C, D, E, F, G, H> void forEach(int n, Kernel8<A, B, C, D, E, F, G, H> kernel,
      Object... arguments) {
    KernelCalls.forEach(n, kernel, arguments);
  }

  /**
   * {@link #sum(int, FloatKernel1, Object)} with resident arrays among the arguments (see
   * {@link #forEach(int, Kernel1, Object[])}).
   */
  public static <A> double sum(int n, FloatKernel1<A> kernel, Object... arguments) {
    return KernelCalls.sum(n, kernel, arguments);
  }

  /** {@link #sum(int, FloatKernel1, Object[])} with 2 parameters after the index. */
  public static <A, B> double sum(int n, FloatKernel2<A, B> kernel, Object... arguments) {
    return KernelCalls.sum(n, kernel, arguments);
  }

  /** {@link #sum(int, FloatKernel1, Object[])} with 3 parameters after the index. */
  public static <A, B, C> double sum(int n, FloatKernel3<A, B, C> kernel, Object... arguments) {
    return KernelCalls.sum(n, kernel, arguments);
  }

  /** {@link #sum(int, FloatKernel1, Object[])} with 4 parameters after the index. */
  public static <A, B, C, D> double sum(int n, FloatKernel4<A, B, C, D> kernel, Object... arguments) {
    return KernelCalls.sum(n, kernel, arguments);
  }

  /** {@link #sum(int, FloatKernel1, Object[])} with 5 parameters after the index. */
  public static <A, B, C, D, E> double sum(int n, FloatKernel5<A, B, C, D, E> kernel, Object... arguments) {
    return KernelCalls.sum(n, kernel, arguments);
  }

  /** {@link #sum(int, FloatKernel1, Object[])} with 6 parameters after the index. */
  public static <A, B, C, D, E, F> double sum(int n, FloatKernel6<A, B, C, D, E, F> kernel, Object... arguments) {
    return KernelCalls.sum(n, kernel, arguments);
  }

  /** {@link #sum(int, FloatKernel1, Object[])} with 7 parameters after the index. */
  public static <A, B, C, D, E, F, G> double sum(int n, FloatKernel7<A, B, C, D, E, F, G> kernel, Object... arguments) {
    return KernelCalls.sum(n, kernel, arguments);
  }

  /** {@link #sum(int, FloatKernel1, Object[])} with 8 parameters after the index. */
  public static <A, B, C, D, E, F, G, H> double sum(int n, FloatKernel8<A, B, C, D, E, F, G, H> kernel,
      Object... arguments) {
    return KernelCalls.sum(n, kernel, arguments);
  }

  /**
   * Kernel calls that check for races: each runs on the CPU, one work item after another, recording which work item
   * wrote and read each array element, and throws {@link IllegalStateException} naming the array, the element and the
   * two work items at the first race. Slow (a debugging aid); {@code -Dpincette.kernel.checkRaces=true} turns it on
   * for every kernel call.
   *
   * <pre>{@code
   * Compute.checkingRaces().forEach(n, Physics::blur, in, out);
   * }</pre>
   */
  public static ComputeOn checkingRaces() {
    return new ComputeOn(null, null, true);
  }

  /** Runs calls on {@code kind} rather than where Pincette would place them: {@code Compute.on(CPU).sum(x)}. */
  public static ComputeOn on(BackendKind kind) {
    return new ComputeOn(Objects.requireNonNull(kind, "on: kind is null"), null);
  }

  /**
   * Computes matrix products in {@code precision}, placed as usual: {@code Compute.with(Precision.TF32).matmul(a, b)},
   * or {@code Compute.with(Precision.BF16).run(() -> ...)} for every product inside. See {@link Precision} for each
   * one's error bound; other ops are unaffected.
   */
  public static ComputeOn with(Precision precision) {
    return new ComputeOn(null, Objects.requireNonNull(precision, "with: precision is null"));
  }

  /** The precision products on this thread use now: the innermost {@code with}/{@code precision} scope, else FP32. */
  public static Precision currentPrecision() {
    return Dispatcher.currentPrecision();
  }

  /** Every device of every backend, with why a backend is unavailable. */
  public static List<DeviceInfo> devices() {
    return Dispatcher.get().devices();
  }

  /** Where the calling thread's last call ran and how long it took, or null before its first call. */
  public static CallRecord lastCall() {
    return Dispatcher.get().lastCall();
  }

  /** The backend calls on this thread use now: the innermost {@link ComputeOn#run} scope, else the property. */
  public static BackendKind currentBackend() {
    return Dispatcher.get().currentKind();
  }

  /**
   * Validates and places a call without running it: each backend's predicted time split into overhead, transfer and
   * compute, and the choice {@code auto} (or the current scope) makes.
   *
   * <pre>{@code
   * Explanation e = Compute.explain(() -> Compute.matmul(a, b));
   * System.out.println(e);   // matmul 2048x2048 · 2048x2048 -> opencl (fastest predicted) ...
   * }</pre>
   *
   * @param call exactly one {@code Compute} call (or {@code SpatialHashMap.build}); nothing runs
   * @throws IllegalArgumentException if {@code call} makes no Pincette call
   */
  public static Explanation explain(Runnable call) {
    Objects.requireNonNull(call, "explain: call is null");
    Explanation[] out = new Explanation[1];
    try {
      ScopedValue.where(Dispatcher.EXPLAIN, out).run(call);
    } catch (Dispatcher.ExplainedSignal placed) {
      return out[0];
    }
    throw new IllegalArgumentException("explain: the call made no Pincette call");
  }

  private static CallCost reduceCost(ReduceOp op, int length) {
    return new CallCost(CallCost.REDUCE, op.bytes(length) / 4.0, op.bytes(length), 8);
  }

  private static String length(float[] x) {
    return "n=" + x.length;
  }
}
