package dev.pincette.spi;

import dev.pincette.DeviceInfo;
import dev.pincette.Precision;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Set;

/**
 * A place where ops run: the CPU, or an OpenCL device. Inputs arrive validated (see {@code dev.pincette.kernels});
 * a backend neither mutates nor keeps its input arrays, and returns freshly allocated results. Every method may be
 * called from many threads at once.
 *
 * <p>A backend that cannot finish a call throws {@link BackendException}; the dispatcher then reruns the call on the
 * CPU backend, so a backend failure never reaches the user as a lost result. A call it declines because of its
 * limits (too large, over a budget, a feature the device lacks) throws {@link BackendRefusedException}, which is not
 * held against the device; a caller's mistake found only here (an input closed during the call) throws
 * {@link IllegalStateException}, which reaches the caller unchanged.
 *
 * <p>Matrix products come in a {@link Precision}: each method taking one may compute less exactly than float32, within
 * that precision's bound. The defaults compute in FP32, which meets every precision's bound; a backend with faster
 * units overrides them and names the precisions in {@link #fasterPrecisions()}.
 */
public interface Backend extends AutoCloseable {
  /** Short name used in {@code pincette.backend} and in logs, e.g. {@code cpu}, {@code opencl}. */
  String name();

  /** Whether calls may be placed here; when false {@link #unavailableReason()} says why. */
  boolean isAvailable();

  /** One line saying why the backend is unavailable, or an empty string. */
  String unavailableReason();

  /**
   * Identifies the device, driver and settings this backend's speed depends on; the cost model's stored
   * calibration is keyed by it, so a new driver or device recalibrates.
   */
  default String calibrationKey() {
    return name();
  }

  /**
   * Host↔device bytes per second for data that must cross a bus, or {@code Double.POSITIVE_INFINITY} when inputs are
   * used in place (the CPU, host-unified memory).
   */
  default double transferBytesPerSecond() {
    return Double.POSITIVE_INFINITY;
  }

  /**
   * Where this backend reports device failures it finds outside a call (a kernel found failed after its call
   * returned): the dispatcher counts them like failed calls. Called once, when the dispatcher takes the backend.
   */
  default void reportFailuresTo(java.util.function.Consumer<BackendException> listener) {}

  /** Devices known to this backend, usable or not. */
  List<DeviceInfo> devices();

  /** The row-major product {@code a[m×k] · b[k×n]}, as a new array of {@code m·n} values. */
  float[] matmul(float[] a, float[] b, int m, int k, int n);

  /**
   * Precisions of matrix products this backend computes faster than FP32 (on matrix units); the cost model calibrates
   * each of them apart. May compile and test device code the first time.
   */
  default Set<Precision> fasterPrecisions() {
    return Set.of();
  }

  /** {@link #matmul(float[], float[], int, int, int)} within {@code precision}'s bound. */
  default float[] matmul(float[] a, float[] b, int m, int k, int n, Precision precision) {
    return matmul(a, b, m, k, n);
  }

  /** {@link #matmulEach(float[][], float[][], int, int, int)} within {@code precision}'s bound. */
  default float[][] matmulEach(float[][] as, float[][] bs, int m, int k, int n, Precision precision) {
    return matmulEach(as, bs, m, k, n);
  }

  /** {@link #matmul(MemorySegment, MemorySegment, MemorySegment, int, int, int)} within {@code precision}'s bound. */
  default void matmul(MemorySegment a, MemorySegment b, MemorySegment c, int m, int k, int n, Precision precision) {
    matmul(a, b, c, m, k, n);
  }

  /** {@link #batchedMatmul(float[], float[], int, int, int, int)} within {@code precision}'s bound. */
  default float[] batchedMatmul(float[] a, float[] b, int count, int m, int k, int n, Precision precision) {
    return batchedMatmul(a, b, count, m, k, n);
  }

  /** {@link #matmul(Resident, Resident, int, int, int)} within {@code precision}'s bound. */
  default Resident matmul(Resident a, Resident b, int m, int k, int n, Precision precision) {
    return matmul(a, b, m, k, n);
  }

  /**
   * Independent products {@code as[i] · bs[i]}, each {@code m×k · k×n}, in one call, each result bit for bit what
   * {@link #matmul} gives for it alone (a device uses one upload, one launch and one download for all of them).
   */
  default float[][] matmulEach(float[][] as, float[][] bs, int m, int k, int n) {
    float[][] out = new float[as.length][];
    for (int i = 0; i < as.length; i++) out[i] = matmul(as[i], bs[i], m, k, n);
    return out;
  }

  /**
   * {@code c = a · b} on native host memory: row-major floats, {@code a} m×k, {@code b} k×n, every element of
   * {@code c} (m×n) written; {@code a} and {@code b} are only read and do not overlap {@code c}. The default goes
   * through heap arrays; the CPU backend packs large products straight from the segments, and a device backend
   * moves them by DMA.
   */
  default void matmul(MemorySegment a, MemorySegment b, MemorySegment c, int m, int k, int n) {
    float[] product = matmul(a.toArray(ValueLayout.JAVA_FLOAT), b.toArray(ValueLayout.JAVA_FLOAT), m, k, n);
    MemorySegment.copy(product, 0, c, ValueLayout.JAVA_FLOAT, 0, product.length);
  }

  /**
   * {@code bytes} of zeroed native host memory for a {@code HostMatrix}: pinned where this backend's transfers gain
   * from it, else ordinary off-heap memory.
   */
  default HostMemory allocateHost(long bytes) {
    return HostMemory.offHeap(bytes);
  }

  /** {@code count} independent {@code m×k · k×n} products stored back to back. */
  float[] batchedMatmul(float[] a, float[] b, int count, int m, int k, int n);

  /** Sum of {@code x}, within the contract of {@code ReduceOp.SUM}. */
  double sum(float[] x);

  /** Smallest element of {@code x} (not empty); NaN if any is NaN. */
  float min(float[] x);

  /** Largest element of {@code x} (not empty); NaN if any is NaN. */
  float max(float[] x);

  /** Dot product of {@code x} and {@code y} (equal lengths), within the contract of {@code ReduceOp.DOT}. */
  double dot(float[] x, float[] y);

  /** Index of the first smallest element of {@code x}, or of its first NaN. */
  int argmin(float[] x);

  /** Index of the first largest element of {@code x}, or of its first NaN. */
  int argmax(float[] x);

  /**
   * Makes {@code values} resident here, as a matrix's values. The array is immutable from now on: the caller never
   * changes it, and the backend may keep it as its host copy. Backends on host memory keep the array itself.
   */
  default Resident upload(float[] values) {
    return uploadArray(values);
  }

  /**
   * Makes {@code values} ({@code float[]}, {@code double[]}, {@code int[]}, {@code long[]} or {@code byte[]}) resident
   * here as an array kernels may write in place. The backend owns the array from now on (the caller passes a private
   * copy): backends on host memory keep it as the data itself, a device may keep it as its host copy until a kernel
   * writes the data.
   */
  default Resident uploadArray(Object values) {
    return new HostResident(name(), values);
  }

  /** A resident array of {@code length} zeros of {@code type}, written in place by kernels. */
  default Resident allocate(KernelArg.Type type, int length) {
    return uploadArray(type.newArray(length));
  }

  /**
   * The values of {@code x}, a resident of this backend, as an array nobody may change (it may be the resident's own
   * host copy).
   */
  default float[] download(Resident x) {
    return (float[]) x.hostArray();
  }

  /**
   * Copies the values of {@code x}, a resident of this backend, into {@code into}, an array of its type and length
   * that the caller owns. The default copies from {@link Resident#hostArray()}; a device reads straight into it.
   */
  default void downloadInto(Resident x, Object into) {
    System.arraycopy(x.hostArray(), 0, into, 0, x.length());
  }

  /**
   * Copies the values of {@code x}, a resident of this backend, into native host memory {@code into} (exactly
   * {@code x.length()} floats). The default goes through {@link #download(Resident)}; a device backend DMAs into it.
   */
  default void download(Resident x, MemorySegment into) {
    float[] values = download(x);
    MemorySegment.copy(values, 0, into, ValueLayout.JAVA_FLOAT, 0, values.length);
  }

  /** {@code a · b} of residents of this backend; the product stays resident here. */
  default Resident matmul(Resident a, Resident b, int m, int k, int n) {
    return upload(matmul(download(a), download(b), m, k, n));
  }

  /** Σ x_i of a resident of this backend. */
  default double sum(Resident x) {
    return sum(download(x));
  }

  /**
   * Null when this backend can run {@code launch}'s kernel; else why not, as the exception a call forced onto this
   * backend throws ({@code IllegalArgumentException} for a kernel it cannot translate, {@code IllegalStateException}
   * for what the device lacks). Called for every kernel call: answer from a cache.
   */
  default RuntimeException kernelRefusal(KernelLaunch launch) {
    return new IllegalStateException(name() + " does not run Java kernels");
  }

  /**
   * Runs {@code launch}'s kernel for every index in {@code [0, n)}; arrays it writes hold what the CPU would leave. A
   * kernel's own error (an index out of bounds) is a {@link KernelFault}; a device's is a {@link BackendException}.
   */
  default void forEach(KernelLaunch launch) {
    throw new BackendException(name() + " does not run Java kernels");
  }

  /** The sum over {@code [0, n)} of what {@code launch}'s kernel returns, within 1e-6·Σ|terms|. */
  default double sum(KernelLaunch launch) {
    throw new BackendException(name() + " does not run Java kernels");
  }

  /** Builds a spatial index that takes ownership of {@code positions} (already a private copy). */
  SpatialIndex buildSpatial(float[] positions, int dims, float cellSize);

  /** Releases every native resource; later calls fail with {@link BackendException}. */
  @Override
  void close();
}
