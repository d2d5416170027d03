package dev.pincette.cpu;

import dev.pincette.DeviceInfo;
import dev.pincette.spi.Backend;
import dev.pincette.spi.BackendException;
import dev.pincette.spi.KernelLaunch;
import dev.pincette.spi.SpatialIndex;
import java.lang.foreign.MemorySegment;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinWorkerThread;

/**
 * Every op on the CPU, on a private ForkJoin pool of one worker per core. Small calls run on the caller's thread:
 * a fork and join costs more than they do (thresholds measured by {@code ThresholdBenchmark} in {@code benchmarks}).
 */
public final class CpuBackend implements Backend {
  /**
   * Reduction length below which one thread wins. {@code ThresholdBenchmark} on 2 cores: a fork and join costs about
   * 15 us, a serial sum of 2^18 floats 18 us, so forking pays from about 2^19 floats.
   */
  public static final int DEFAULT_REDUCE_SERIAL_BELOW = 1 << 19;
  /**
   * Multiply-adds below which matmul runs serially. {@code ThresholdBenchmark} on 2 cores: serial 96³ took 57 us,
   * forked 95 us, and 128³ still ran faster serially (26 us against 50 us); forking pays from about 160³.
   */
  public static final long DEFAULT_MATMUL_SERIAL_BELOW = 160L * 160 * 160;

  private final ForkJoinPool pool;
  private final CpuMatmul matmul;
  private final CpuReduce reduce;
  private final CpuKernels kernels;
  private final boolean vector;
  private volatile boolean closed;

  /** A backend with a ForkJoin pool of one thread per core and the Vector API when the JVM has it. */
  public CpuBackend() {
    this(Runtime.getRuntime().availableProcessors(), DEFAULT_REDUCE_SERIAL_BELOW, DEFAULT_MATMUL_SERIAL_BELOW,
        VectorSupport.ENABLED);
  }

  /** A backend with explicit tuning, for benchmarks and tests; {@code vector} needs {@link VectorSupport#ENABLED}. */
  public CpuBackend(int threads, int reduceSerialBelow, long matmulSerialBelow, boolean vector) {
    if (vector && !VectorSupport.ENABLED) throw new IllegalArgumentException("the Vector API is not in this JVM");
    this.vector = vector;
    this.pool = new ForkJoinPool(threads, p -> {
      ForkJoinWorkerThread t = ForkJoinPool.defaultForkJoinWorkerThreadFactory.newThread(p);
      t.setName("pincette-cpu-" + t.getPoolIndex());
      t.setDaemon(true);
      return t;
    }, null, false);
    this.matmul = new CpuMatmul(pool, matmulSerialBelow, vector);
    this.reduce = new CpuReduce(pool, reduceSerialBelow, vector);
    this.kernels = new CpuKernels(pool);
    if (vector) KernelWarmup.startOnce(matmul);
  }

  @Override
  public String name() {
    return "cpu";
  }

  @Override
  public boolean isAvailable() {
    return !closed;
  }

  @Override
  public String unavailableReason() {
    return closed ? "closed" : "";
  }

  /** Whether this backend uses the Vector API. */
  public boolean vectorized() {
    return vector;
  }

  /** Worker threads. */
  public int threads() {
    return pool.getParallelism();
  }

  @Override
  public List<DeviceInfo> devices() {
    Map<String, String> props = new LinkedHashMap<>();
    props.put("threads", Integer.toString(pool.getParallelism()));
    props.put("simd", vector ? VectorSupport.describe() : VectorSupport.ENABLED ? "scalar path (forced)"
        : VectorSupport.describe());
    if (vector) props.put("warm-up", KernelWarmup.describe());
    props.put("arch", System.getProperty("os.arch"));
    props.put("java", Runtime.version().toString());
    return List.of(new DeviceInfo("cpu", cpuName(), "CPU", !closed, unavailableReason(), props));
  }

  private static String cpuName() {
    try (var lines = java.nio.file.Files.lines(java.nio.file.Path.of("/proc/cpuinfo"))) {
      return lines.filter(l -> l.startsWith("model name")).map(l -> l.substring(l.indexOf(':') + 1).strip())
          .findFirst().orElse(System.getProperty("os.arch"));
    } catch (java.io.IOException | RuntimeException e) {
      return System.getProperty("os.arch");
    }
  }

  private void checkOpen() {
    if (closed) throw new BackendException("cpu backend is closed");
  }

  @Override
  public float[] matmul(float[] a, float[] b, int m, int k, int n) {
    checkOpen();
    return matmul.multiply(a, b, m, k, n);
  }

  /** Large products read and write the segments in place, without copies to arrays; smaller ones copy. */
  @Override
  public void matmul(MemorySegment a, MemorySegment b, MemorySegment c, int m, int k, int n) {
    checkOpen();
    matmul.multiply(a, b, c, m, k, n);
  }

  @Override
  public float[] batchedMatmul(float[] a, float[] b, int count, int m, int k, int n) {
    checkOpen();
    return matmul.multiplyBatched(a, b, count, m, k, n);
  }

  @Override
  public double sum(float[] x) {
    checkOpen();
    return reduce.sum(x);
  }

  @Override
  public float min(float[] x) {
    checkOpen();
    return reduce.min(x);
  }

  @Override
  public float max(float[] x) {
    checkOpen();
    return reduce.max(x);
  }

  @Override
  public double dot(float[] x, float[] y) {
    checkOpen();
    return reduce.dot(x, y);
  }

  @Override
  public int argmin(float[] x) {
    checkOpen();
    return reduce.argmin(x);
  }

  @Override
  public int argmax(float[] x) {
    checkOpen();
    return reduce.argmax(x);
  }

  /** The CPU runs every kernel: it calls the method itself. */
  @Override
  public RuntimeException kernelRefusal(KernelLaunch launch) {
    return null;
  }

  /**
   * Resident arguments run as the arrays they are on the CPU (no copy); a device's are read through their host copy,
   * which holds what the kernel wrote afterwards.
   */
  @Override
  public void forEach(KernelLaunch launch) {
    checkOpen();
    KernelLaunch host = launch.onHost();
    try {
      if (host.checkRaces()) RaceChecker.forEach(host);
      else kernels.forEach(host);
    } finally {
      launch.hostWritten();
    }
  }

  @Override
  public double sum(KernelLaunch launch) {
    checkOpen();
    KernelLaunch host = launch.onHost();
    try {
      return host.checkRaces() ? RaceChecker.sum(host) : kernels.sum(host);
    } finally {
      launch.hostWritten();
    }
  }

  @Override
  public SpatialIndex buildSpatial(float[] positions, int dims, float cellSize) {
    checkOpen();
    return new CpuSpatialHash(pool, positions, dims, cellSize, vector);
  }

  @Override
  public void close() {
    closed = true;
    pool.shutdown();
  }
}
