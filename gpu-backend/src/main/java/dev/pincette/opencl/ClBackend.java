package dev.pincette.opencl;

import dev.pincette.DeviceInfo;
import dev.pincette.Precision;
import dev.pincette.kernels.Elements;
import dev.pincette.spi.Backend;
import dev.pincette.spi.BackendException;
import dev.pincette.spi.BackendRefusedException;
import dev.pincette.spi.HostMemory;
import dev.pincette.spi.KernelArg;
import dev.pincette.spi.KernelLaunch;
import dev.pincette.spi.Resident;
import dev.pincette.spi.SpatialIndex;
import java.lang.foreign.MemorySegment;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Every op on one OpenCL device through LWJGL. The device is the first GPU, else the first device, unless the system
 * property {@code pincette.opencl.device} names (part of) another. The context, queues and programs are created on
 * the first call; program binaries are cached on disk (see {@link ClProgramCache#defaultDir()}).
 *
 * <pre>{@code
 * try (ClBackend gpu = new ClBackend()) {
 *   if (gpu.isAvailable()) System.out.println(gpu.sum(values));
 *   else System.out.println(gpu.unavailableReason());
 * }
 * }</pre>
 *
 * Users normally reach it through {@code Compute} with {@code pincette.backend=opencl} or
 * {@code Compute.on(BackendKind.OPENCL)}. Any device error becomes a {@link BackendException}, which the dispatcher
 * answers by rerunning the call on the CPU.
 */
public final class ClBackend implements Backend {
  private final List<ClDevice> devices;
  private final ClDevice device;
  private final String unavailableReason;
  private final Path cacheDir;
  private final boolean forceStaging;
  /** Whether the device computes in float64 ({@code cl_khr_fp64}, unless {@code pincette.opencl.fp64=false}). */
  private final boolean fp64;
  private final ClReduce reduce;
  private final ClMatmul matmul;
  /** Java kernels on the device; null when there is no device. */
  private final ClJavaKernels kernels;
  /** Created on first use under {@code this}; null until then and after close. */
  private volatile ClContext context;
  /** Where device failures found outside a call go: the dispatcher's health, once it takes this backend. */
  private volatile java.util.function.Consumer<BackendException> failureListener = e -> {};
  /** Measured host↔device bytes per second through staging; 0 until measured. */
  private volatile double transferRate;
  private volatile boolean closed;

  /** The backend on the device chosen by {@code pincette.opencl.device}, caching binaries in the user's cache. */
  public ClBackend() {
    this(System.getProperty("pincette.opencl.device"), ClProgramCache.defaultDir(), false, true);
  }

  /**
   * A backend with explicit choices, for tests and benchmarks: {@code deviceFilter} (or null) picks the device,
   * {@code cacheDir} (or null) keeps program binaries, {@code forceStaging} uses the discrete-GPU transfer path on any
   * device, {@code fp64Sums} accumulates sums in double where the device can. {@code pincette.opencl.fp64=false}
   * makes the device count as one without {@code cl_khr_fp64}.
   */
  ClBackend(String deviceFilter, Path cacheDir, boolean forceStaging, boolean fp64Sums) {
    this(deviceFilter, cacheDir, forceStaging, fp64Sums,
        !"false".equalsIgnoreCase(System.getProperty("pincette.opencl.fp64", "true").strip()), false);
  }

  /**
   * As above; {@code fp64Allowed} false treats the device as one without {@code cl_khr_fp64} (every Intel Xe
   * integrated GPU, Apple GPUs, many mobile ones): sums accumulate in float pairs, and spatial maps, whose distance
   * test needs float64, are refused and built on the CPU, while every other op runs here. {@code emulateMatrixUnits}
   * takes the tensor-core path on any device, its PTX replaced by portable code of the same semantics (tests of
   * relaxed precisions on PoCL).
   */
  ClBackend(String deviceFilter, Path cacheDir, boolean forceStaging, boolean fp64Sums, boolean fp64Allowed,
      boolean emulateMatrixUnits) {
    ClRuntime.Discovery found = ClRuntime.discover();
    this.devices = found.devices();
    this.cacheDir = cacheDir;
    this.forceStaging = forceStaging;
    ClDevice chosen = null;
    String reason = found.failure();
    if (reason == null) {
      chosen = choose(devices, deviceFilter);
      if (chosen == null) {
        reason = "no OpenCL device matches pincette.opencl.device=" + deviceFilter + "; devices: "
            + String.join(", ", devices.stream().map(ClDevice::name).toList());
      }
    }
    this.device = chosen;
    this.unavailableReason = reason == null ? "" : reason;
    this.fp64 = chosen != null && fp64Allowed && chosen.fp64();
    this.reduce = new ClReduce(fp64 && fp64Sums);
    this.matmul = chosen != null
        ? new ClMatmul(chosen, System.getProperty("pincette.opencl.matmulTiles"), emulateMatrixUnits) : null;
    this.kernels = chosen != null ? new ClJavaKernels(chosen, fp64, reduce, ClJavaKernels.BOUNDS_CHECKS) : null;
  }

  private static ClDevice choose(List<ClDevice> devices, String filter) {
    if (filter != null && !filter.isBlank()) {
      String wanted = filter.strip().toLowerCase(Locale.ROOT);
      return devices.stream().filter(d -> d.name().toLowerCase(Locale.ROOT).contains(wanted)).findFirst()
          .orElse(null);
    }
    return devices.stream().filter(ClDevice::isGpu).findFirst().orElse(devices.isEmpty() ? null : devices.get(0));
  }

  @Override
  public String name() {
    return "opencl";
  }

  @Override
  public boolean isAvailable() {
    return device != null && !closed;
  }

  @Override
  public String unavailableReason() {
    return closed ? "closed" : unavailableReason;
  }

  @Override
  public String calibrationKey() {
    return device == null ? name() : name() + "|" + device.buildIdentity() + (forceStaging ? "|staged" : "")
        + (fp64 == device.fp64() ? "" : "|fp64 off");
  }

  /** Infinite on host-unified devices (inputs are mapped in place); else measured once, on first request. */
  @Override
  public double transferBytesPerSecond() {
    if (device == null || (device.hostUnified() && !forceStaging)) return Double.POSITIVE_INFINITY;
    if (transferRate == 0) transferRate = ClTransfers.measureRoundTrip(context());
    return transferRate;
  }

  @Override
  public void reportFailuresTo(java.util.function.Consumer<BackendException> listener) {
    failureListener = java.util.Objects.requireNonNull(listener, "listener");
  }

  @Override
  public List<DeviceInfo> devices() {
    if (devices.isEmpty()) return List.of(new DeviceInfo("opencl", "-", "-", false, unavailableReason(), Map.of()));
    List<DeviceInfo> out = new ArrayList<>();
    for (ClDevice d : devices) {
      boolean selected = d == device;
      String why = selected ? unavailableReason()
          : "not selected; choose it with -Dpincette.opencl.device=\"" + d.name() + "\"";
      DeviceInfo info = d.info(selected && isAvailable(), why, selected ? fp64 : d.fp64());
      ClContext c = context;
      out.add(selected && c != null ? withMemory(info, c) : info);
    }
    return out;
  }

  /**
   * {@code info} with the device memory the context holds now, in bytes: its pool's buffers (leased to calls, resident
   * data and spatial maps, or idle for reuse) and the resident data among them, once the products computing now are
   * done.
   */
  private static DeviceInfo withMemory(DeviceInfo info, ClContext c) {
    Map<String, String> props = new java.util.LinkedHashMap<>(info.properties());
    props.put("buffer bytes", Long.toString(c.pool.allocatedBytes()));
    props.put("buffers", Integer.toString(c.pool.allocatedCount()));
    props.put("buffers leased", Integer.toString(c.pool.leasedCount()));
    props.put("resident bytes", Long.toString(c.residents.deviceBytes()));
    return new DeviceInfo(info.backend(), info.name(), info.type(), info.available(), info.reason(), props);
  }

  /** The device calls run on, or null when the backend is unavailable. */
  ClDevice device() {
    return device;
  }

  /** The context of the chosen device, created on first use. */
  ClContext context() {
    ClContext c = context;
    if (c != null) return c;
    synchronized (this) {
      if (closed) throw new BackendException("opencl backend is closed");
      if (device == null) throw new BackendException("opencl backend is unavailable: " + unavailableReason);
      if (context == null) {
        context = ClContext.open(device, cacheDir, forceStaging, e -> failureListener.accept(e));
      }
      return context;
    }
  }

  ClMatmul matmulOp() {
    return matmul;
  }

  ClReduce reduceOp() {
    return reduce;
  }

  @Override
  public float[] matmul(float[] a, float[] b, int m, int k, int n) {
    return matmul.multiply(context(), "matmul", a, b, 1, m, k, n);
  }

  /** The relaxed precisions this device's tensor cores compute (probed on first use); none off NVIDIA. */
  @Override
  public Set<Precision> fasterPrecisions() {
    return device == null || closed ? Set.of() : matmul.mma.supported(context());
  }

  @Override
  public float[] matmul(float[] a, float[] b, int m, int k, int n, Precision precision) {
    return matmul.multiply(context(), "matmul", a, b, 1, m, k, n, precision);
  }

  @Override
  public float[][] matmulEach(float[][] as, float[][] bs, int m, int k, int n, Precision precision) {
    return matmul.multiplyEach(context(), as, bs, m, k, n, precision);
  }

  @Override
  public float[] batchedMatmul(float[] a, float[] b, int count, int m, int k, int n, Precision precision) {
    return matmul.multiply(context(), "batchedMatmul", a, b, count, m, k, n, precision);
  }

  @Override
  public void matmul(MemorySegment a, MemorySegment b, MemorySegment c, int m, int k, int n, Precision precision) {
    if (!a.isNative() || !b.isNative() || !c.isNative()) {
      Backend.super.matmul(a, b, c, m, k, n, precision);
      return;
    }
    matmul.multiplyHost(context(), a.address(), b.address(), c.address(), m, k, n, precision);
  }

  /** Pinned memory on discrete devices (for DMA without staging); ordinary off-heap memory elsewhere. */
  @Override
  public HostMemory allocateHost(long bytes) {
    ClContext c = context();
    if (c.staged && bytes >= PIN_ABOVE && bytes <= device.maxAllocation()) {
      try {
        return ClHostMemory.allocate(c, bytes);
      } catch (BackendException e) {
        // Out of page-locked memory is no fault of the device: the matrix works unpinned, its transfers copy.
        return HostMemory.offHeap(bytes);
      }
    }
    return HostMemory.offHeap(bytes);
  }

  /** Host matrices smaller than this are not pinned: a page-locked mapping costs more than it saves. */
  static final long PIN_ABOVE = 64 << 10;

  @Override
  public void matmul(MemorySegment a, MemorySegment b, MemorySegment c, int m, int k, int n) {
    if (!a.isNative() || !b.isNative() || !c.isNative()) {
      Backend.super.matmul(a, b, c, m, k, n);
      return;
    }
    matmul.multiplyHost(context(), a.address(), b.address(), c.address(), m, k, n);
  }

  @Override
  public float[][] matmulEach(float[][] as, float[][] bs, int m, int k, int n) {
    return matmul.multiplyEach(context(), as, bs, m, k, n);
  }

  @Override
  public float[] batchedMatmul(float[] a, float[] b, int count, int m, int k, int n) {
    return matmul.multiply(context(), "batchedMatmul", a, b, count, m, k, n);
  }

  @Override
  public double sum(float[] x) {
    return reduce.sum(context(), x);
  }

  @Override
  public float min(float[] x) {
    return reduce.min(context(), x);
  }

  @Override
  public float max(float[] x) {
    return reduce.max(context(), x);
  }

  @Override
  public double dot(float[] x, float[] y) {
    return reduce.dot(context(), x, y);
  }

  @Override
  public int argmin(float[] x) {
    return reduce.argmin(context(), x);
  }

  @Override
  public int argmax(float[] x) {
    return reduce.argmax(context(), x);
  }

  @Override
  public Resident upload(float[] values) {
    return context().residents.upload(values);
  }

  @Override
  public float[] download(Resident x) {
    ClResident r = own(x);
    return (float[]) r.store.download(r);
  }

  @Override
  public void downloadInto(Resident x, Object into) {
    ClResident r = own(x);
    r.store.downloadInto(r, into);
  }

  @Override
  public void download(Resident x, MemorySegment into) {
    ClResident r = own(x);
    if (!into.isNative()) {
      Backend.super.download(x, into);
      return;
    }
    r.store.download(r, into.address());
  }

  /**
   * The product stays on the device and is returned as soon as its kernel is enqueued: the kernel waits for its
   * operands' kernels through their events, so a chain of products runs back to back without the host waiting in
   * between. The operands stay pinned until the kernel is done; if it fails, the first use of the product (or of a
   * product made from it) computes it again from them ({@link ClResidentStore#settle}).
   */
  @Override
  public Resident matmul(Resident a, Resident b, int m, int k, int n) {
    ClResident ra = own(a);
    ClResident rb = own(b);
    // Before anything reaches the device: the kernel writes m·n floats into the product's buffer.
    int length = Elements.checked("matmul", "result " + m + "x" + n, Elements.product(m, n));
    if (ra.length != Elements.product(m, k) || rb.length != Elements.product(k, n)) {
      throw new IllegalArgumentException("matmul: operands of " + ra.length + " and " + rb.length + " floats are not "
          + m + "x" + k + " and " + k + "x" + n);
    }
    ClResidentStore store = ra.store;
    if (rb.store != store) {
      throw new BackendRefusedException("matmul: the operands live in different OpenCL contexts");
    }
    long da = store.pin(ra);
    long db;
    ClResident product;
    try {
      db = store.pin(rb);
      try {
        product = store.allocate(length);
      } catch (RuntimeException e) {
        store.unpin(rb);
        throw e;
      }
    } catch (RuntimeException e) {
      store.unpin(ra);
      throw e;
    }
    long[] after = new long[0];
    boolean handedOver = false;
    try {
      long dc = product.buffer;
      ClContext context = context();
      Runnable compute = () -> matmul.multiply(context, da, db, dc, m, k, n);
      if ((long) m * n == 0 || k == 0) {
        // Reads neither operand: a fill of zeros, or nothing at all.
        compute.run();
        store.unpin(ra);
        store.unpin(rb);
        store.unpin(product);
        return product;
      }
      after = store.readyEvents(ra, rb);
      long failing = 0;
      if (ClFaults.fires("kernelFailure(matmul)")) {
        // Test hook: the kernel also waits on an event that fails, so it fails on the device after it was enqueued.
        failing = ClQueue.failingUserEvent(context.handle);
        after = java.util.Arrays.copyOf(after, after.length + 1);
        after[after.length - 1] = failing;
      }
      ClMatmul.Enqueued enqueued;
      try {
        enqueued = matmul.enqueue(context, da, db, dc, m, k, n, after);
      } finally {
        if (failing != 0) ClQueue.fail(failing);
      }
      store.produced(product, enqueued.event(), enqueued.queue(), after, new ClResident[] {ra, rb}, compute);
      handedOver = true;
      return product;
    } catch (RuntimeException e) {
      store.unpin(ra);
      store.unpin(rb);
      store.unpin(product);
      product.close();
      throw e;
    } finally {
      if (!handedOver) ClQueue.release(after);
    }
  }

  /**
   * A product in a relaxed precision on the tensor cores is computed before this returns (its packing passes take
   * buffers that must outlive the kernel), after its operands are; elsewhere it is an ordinary resident product.
   */
  @Override
  public Resident matmul(Resident a, Resident b, int m, int k, int n, Precision precision) {
    ClContext context = context();
    if ((long) m * n == 0 || k == 0 || !matmul.mma.takes(context, precision, 1, m, k, n)) return matmul(a, b, m, k, n);
    ClResident ra = own(a);
    ClResident rb = own(b);
    ClResidentStore store = ra.store;
    if (rb.store != store) throw new BackendException("matmul: the operands live in different OpenCL contexts");
    store.settle(ra);
    store.settle(rb);
    long da = store.pin(ra);
    try {
      long db = store.pin(rb);
      try {
        ClResident product = store.allocate(m * n);
        try {
          matmul.multiply(context, da, db, product.buffer, m, k, n, precision);
        } catch (RuntimeException e) {
          store.unpin(product);
          product.close();
          throw e;
        }
        store.unpin(product);
        return product;
      } finally {
        store.unpin(rb);
      }
    } finally {
      store.unpin(ra);
    }
  }

  @Override
  public double sum(Resident x) {
    ClResident r = own(x);
    if (r.length == 0) return 0;
    r.store.settle(r);
    long buffer = r.store.pin(r);
    try (ClCall call = context().begin("sum")) {
      return reduce.sumOnDevice(call, buffer, r.length);
    } finally {
      r.store.unpin(r);
    }
  }

  private ClResident own(Resident x) {
    if (x instanceof ClResident r && r.store == context().residents) return r;
    throw new BackendRefusedException("the data is held by " + x.backend() + ", not by this OpenCL context");
  }

  /** The resident data store of the context, for tests. */
  ClResidentStore residents() {
    return context().residents;
  }

  @Override
  public RuntimeException kernelRefusal(KernelLaunch launch) {
    if (kernels == null) return new IllegalStateException("opencl is unavailable: " + unavailableReason());
    return kernels.refusal(launch);
  }

  @Override
  public void forEach(KernelLaunch launch) {
    run(launch);
  }

  @Override
  public double sum(KernelLaunch launch) {
    return run(launch);
  }

  /**
   * Residents of this context are used in place; those of other backends (or contexts) take part as the arrays they
   * hold, copied in and out like Java arrays, and are told afterwards that their arrays were written.
   */
  private double run(KernelLaunch launch) {
    ClContext c = context();
    List<KernelArg> arguments = new ArrayList<>(launch.arguments().size());
    Map<Object, KernelArg> moved = new java.util.IdentityHashMap<>();
    List<Resident> written = new ArrayList<>();
    try {
      for (KernelArg a : launch.arguments()) {
        if (a.kind() != KernelArg.Kind.RESIDENT || a.value() instanceof ClResident r && r.store == c.residents) {
          arguments.add(a);
          continue;
        }
        KernelArg first = moved.get(a.value());
        KernelArg host = first == null ? a.onHost() : new KernelArg(a.parameter(), a.name(), KernelArg.Kind.ARRAY,
            a.type(), first.value(), a.read(), a.written());
        if (first == null) moved.put(a.value(), host);
        if (a.written()) written.add((Resident) a.value());
        arguments.add(host);
      }
      return kernels.run(c, new KernelLaunch(launch.kernel(), launch.n(), arguments, launch.checkRaces()));
    } finally {
      for (Resident r : new java.util.LinkedHashSet<>(written)) r.hostWritten();
    }
  }

  /**
   * An array kernels write in place, on the device: {@code values} stays as its host copy until a kernel writes it.
   * One larger than the device's largest allocation is refused (it stays on the CPU).
   */
  @Override
  public Resident uploadArray(Object values) {
    return context().residents.uploadArray(values);
  }

  /** {@code length} zeros written on the device: nothing crosses the bus. */
  @Override
  public Resident allocate(KernelArg.Type type, int length) {
    return context().residents.allocateArray(type, length);
  }

  /** Whether calls here may compute in float64. */
  boolean fp64() {
    return fp64;
  }

  /** Java kernels on this device, for tests. */
  ClJavaKernels kernels() {
    return kernels;
  }

  @Override
  public SpatialIndex buildSpatial(float[] positions, int dims, float cellSize) {
    ClContext c = context();
    if (!fp64) {
      throw new BackendRefusedException("the spatial hash needs cl_khr_fp64 for exact distances; " + device.name()
          + (device.fp64() ? " has it switched off (pincette.opencl.fp64=false)" : " lacks it"));
    }
    return new ClSpatialHash(c, positions, dims, cellSize);
  }

  @Override
  public void close() {
    ClContext c;
    synchronized (this) {
      closed = true;
      c = context;
      context = null;
    }
    if (c != null) c.close();
  }
}
