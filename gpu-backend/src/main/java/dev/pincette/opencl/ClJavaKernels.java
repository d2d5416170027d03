package dev.pincette.opencl;

import dev.pincette.opencl.kernel.OpenClRenderer;
import dev.pincette.opencl.kernel.OpenClRenderer.Argument;
import dev.pincette.spi.BackendException;
import dev.pincette.spi.BackendRefusedException;
import dev.pincette.spi.KernelArg;
import dev.pincette.spi.KernelFault;
import dev.pincette.spi.KernelLaunch;
import dev.pincette.spi.KernelMethod;
import dev.pincette.translate.KernelModel;
import dev.pincette.translate.KernelTranslator;
import dev.pincette.translate.Parameter;
import dev.pincette.translate.UnsupportedKernelException;
import java.nio.ByteBuffer;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Runs Java kernels on the device: translated once per kernel ({@link KernelTranslator}), rendered as OpenCL C
 * ({@link OpenClRenderer}), built through the program cache under the rendered source's hash. Each call uploads the Java
 * arrays the kernel uses (an array passed twice once) and binds resident arrays as their buffers, launches one work
 * item per index, reads the error record, and copies back only the Java arrays the kernel writes. A call on resident
 * arrays only is enqueued behind the kernels using them and settled later by the store (see {@link ClKernelCommand}).
 */
final class ClJavaKernels {
  /**
   * {@code pincette.kernel.boundsChecks=false} drops the generated bounds checks, for measuring what they cost. Never
   * for users: on a host-unified device (PoCL, an integrated GPU) a store out of bounds writes the JVM's own memory.
   */
  static final boolean BOUNDS_CHECKS = !"false".equalsIgnoreCase(System.getProperty("pincette.kernel.boundsChecks"));
  /**
   * Work items per launch of a call that waits: a slice takes milliseconds on a GPU, and PoCL's first slices show an
   * error in seconds.
   */
  static final long SLICE = 1 << 24;
  /**
   * {@code pincette.opencl.kernelLocalSize}: work items per group of a kernel's launch, at most what the device allows
   * the kernel; 0 leaves the group to the driver, which must then pick one dividing the count (NVIDIA's: 125 or 1000
   * items for 10^6, partial warps). The count is rounded up to whole groups; the kernel returns on the items beyond it.
   */
  static final int LOCAL_SIZE = Math.clamp(Integer.getInteger("pincette.opencl.kernelLocalSize", 256), 0, 1 << 16);

  private final ClDevice device;
  private final OpenClRenderer.DeviceTraits traits;
  private final boolean floatDenormals;
  private final ClReduce reduce;
  /** Whether the generated code checks every index (see {@link #BOUNDS_CHECKS}). */
  private final boolean boundsChecks;
  /** Work items per group (see {@link #LOCAL_SIZE}); 0: the driver's choice. */
  private final int localSize;
  /** The largest group each program's kernel may run with on this device, by program name. */
  private final Map<String, Long> groupLimits = new java.util.concurrent.ConcurrentHashMap<>();
  /** Arrays copied back to the host, for tests that only written arrays are. */
  private final java.util.concurrent.atomic.LongAdder copiedBack = new java.util.concurrent.atomic.LongAdder();
  /**
   * Why this device's compiler rejected a program, by program name: a refusal from then on, as the translator's are,
   * never built again. Each method reference of a kernel is a KernelMethod of its own, so this is kept by program.
   */
  private final Map<String, String> rejected = new java.util.concurrent.ConcurrentHashMap<>();

  /** {@code fp64}: whether kernels may compute in double here (the device has it, and it is not switched off). */
  ClJavaKernels(ClDevice device, boolean fp64, ClReduce reduce, boolean boundsChecks) {
    this(device, fp64, reduce, boundsChecks, LOCAL_SIZE);
  }

  /** {@code localSize}: work items per group of each launch, 0 for the driver's choice (for measurements). */
  ClJavaKernels(ClDevice device, boolean fp64, ClReduce reduce, boolean boundsChecks, int localSize) {
    this.device = device;
    this.reduce = reduce;
    this.boundsChecks = boundsChecks;
    this.localSize = localSize;
    long config = device.singleFpConfig();
    this.floatDenormals = (config & ClDevice.FP_DENORM) != 0;
    this.traits = new OpenClRenderer.DeviceTraits(fp64, (config & ClDevice.FP_CORRECTLY_ROUNDED_DIVIDE_SQRT) != 0);
  }

  /** Arrays copied back to the host so far. */
  long arraysCopiedBack() {
    return copiedBack.sum();
  }

  /** Whether float denormals are kept, as Java keeps them (else the device flushes them to zero). */
  boolean floatDenormals() {
    return floatDenormals;
  }

  /** A kernel as this device runs it, or why it cannot. */
  private record Prepared(KernelModel model, OpenClRenderer.Rendered rendered, String program,
      Supplier<RuntimeException> refusal) {
    Prepared(Supplier<RuntimeException> refusal) {
      this(null, null, null, refusal);
    }
  }

  private Prepared prepare(KernelMethod kernel) {
    return kernel.state(this, k -> {
      KernelModel model;
      try {
        model = KernelTranslator.shared().translate(k.owner(), k.name(), k.type());
      } catch (UnsupportedKernelException e) {
        if (!e.lasting()) throw e;
        return new Prepared(e::copy);
      }
      if (model.usesDouble() && !traits.fp64()) {
        String why = model.name() + " computes in double, and " + device.name() + " has no float64 (cl_khr_fp64)";
        return new Prepared(() -> new IllegalStateException(why));
      }
      OpenClRenderer.Rendered rendered = OpenClRenderer.render(model, traits, boundsChecks, k.returnsTerm());
      return new Prepared(model, rendered, programName(rendered), null);
    });
  }

  /**
   * The program's name in the program cache: the SHA-256 of what is built, the rendered source and its options. Not
   * the bytecode's hash: the source also holds what the bytecode does not (the values of computed constants, which
   * differ between two loaders of one class file, the device's float64 and bounds checks), and two kernels may
   * share a program only when they are the same program.
   */
  static String programName(OpenClRenderer.Rendered rendered) {
    try {
      java.security.MessageDigest sha = java.security.MessageDigest.getInstance("SHA-256");
      sha.update(rendered.source().getBytes(java.nio.charset.StandardCharsets.UTF_8));
      sha.update((byte) 0);
      sha.update(rendered.options().getBytes(java.nio.charset.StandardCharsets.UTF_8));
      return "java:" + java.util.HexFormat.of().formatHex(sha.digest());
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  /** Null when the device runs {@code launch}'s kernel, else the exception a forced call throws. */
  RuntimeException refusal(KernelLaunch launch) {
    if (launch.checkRaces()) return new IllegalStateException("race checking runs on the cpu");
    Prepared p;
    try {
      p = prepare(launch.kernel());
    } catch (UnsupportedKernelException notYet) {
      return notYet;
    }
    if (p.refusal() != null) return p.refusal().get();
    String why = rejected.get(p.program());
    return why == null ? null : new IllegalArgumentException(why);
  }

  /** The OpenCL C source of {@code kernel} for this device, for tests and diagnosis. */
  String source(KernelMethod kernel) {
    return rendered(kernel).source();
  }

  /** The program of {@code kernel} for this device, for tests and diagnosis. */
  OpenClRenderer.Rendered rendered(KernelMethod kernel) {
    Prepared p = prepare(kernel);
    if (p.refusal() != null) throw p.refusal().get();
    return p.rendered();
  }

  /**
   * Runs the kernel for every index; returns the sum of its terms for a {@code FloatKernel}, else 0. Resident arguments
   * ({@link ClResident}s of {@code context}) are bound as their buffers; a {@code forEach} whose used arrays are all
   * resident, and which writes one, returns once enqueued ({@link #enqueue}); other calls wait for the kernels using
   * their residents, run, and copy back the Java arrays the kernel writes.
   */
  double run(ClContext context, KernelLaunch launch) {
    Prepared p;
    try {
      p = prepare(launch.kernel());
    } catch (UnsupportedKernelException notYet) {
      throw new BackendException(notYet.getMessage());
    }
    if (p.refusal() != null) throw new BackendException(p.refusal().get().getMessage());
    String why = rejected.get(p.program());
    if (why != null) throw new BackendRefusedException(why);
    KernelModel model = p.model();
    Map<Object, Boolean> residents = new IdentityHashMap<>();
    boolean javaArrays = false;
    for (Parameter parameter : model.parameters()) {
      if (parameter.role() != Parameter.Role.ARRAY || !parameter.used()) continue;
      KernelArg arg = argument(launch, parameter);
      if (arg.kind() == KernelArg.Kind.RESIDENT) residents.merge(arg.value(), parameter.written(), Boolean::logicalOr);
      else javaArrays = true;
    }
    ClResident[] used = residents.keySet().toArray(ClResident[]::new);
    ClResident[] written = residents.entrySet().stream().filter(Map.Entry::getValue)
        .map(e -> (ClResident) e.getKey()).toArray(ClResident[]::new);
    if (!javaArrays && !launch.kernel().returnsTerm() && written.length > 0) {
      enqueue(context, launch, p, used, written);
      return 0;
    }
    return runNow(context, launch, p, used, written);
  }

  /** Runs the call and waits for it, after the kernels enqueued on its residents (whose errors it throws). */
  private double runNow(ClContext context, KernelLaunch launch, Prepared p, ClResident[] used, ClResident[] written) {
    ClResidentStore store = context.residents;
    for (ClResident r : used) {
      store.kernels.settleUses(r);
      store.settle(r);
    }
    long[] pinned = store.pinAll(used);
    boolean launched = false;
    // Whether the call's queue drained: when it did not, its commands may still use the residents' buffers, which
    // stay pinned (never freed or handed to another call).
    boolean drained = true;
    java.util.List<Long> slices = new java.util.ArrayList<>();
    try {
      KernelModel model = p.model();
      OpenClRenderer.Rendered rendered = p.rendered();
      int n = launch.n();
      KernelFault fault;
      double sum;
      ClCall call = context.begin(rendered.entry());
      try {
        Map<Object, Long> buffers = new IdentityHashMap<>();
        for (int k = 0; k < used.length; k++) buffers.put(used[k], pinned[k]);
        for (Parameter parameter : model.parameters()) {
          if (parameter.role() != Parameter.Role.ARRAY || !parameter.used()) continue;
          KernelArg arg = argument(launch, parameter);
          if (buffers.containsKey(arg.value())) continue;
          long buffer = call.buffer(arg.bytes());
          buffers.put(arg.value(), buffer);
          if (arg.length() > 0) call.queue.write(buffer, ClHostSpan.of(arg.value(), 0, arg.length()), call.op);
        }
        long errors = call.buffer(4L * OpenClRenderer.ERROR_INTS);
        call.fill(errors, 0, 4L * OpenClRenderer.ERROR_INTS);
        // Only a sum has terms: a forEach of a method that returns a value drops it (rendered without them).
        long terms = launch.kernel().returnsTerm() ? call.buffer(4L * n) : 0;
        ClKernel kernel = bind(kernel(call, p), rendered, launch, buffers, errors, terms);
        // In slices, each checked before the next: a kernel whose work items fail past an array's end stops there, as
        // on the CPU (n = Integer.MAX_VALUE of them took minutes on PoCL, found by the API fuzzer).
        fault = null;
        for (long first = 0; first < n && fault == null; first += SLICE) {
          Geometry g = geometry(p, kernel, first, Math.min(SLICE, n - first), n);
          slices.add(call.queue.launch(kernel, new long[] {first}, g.global(), g.local(), true));
          launched = true;
          fault = afterRun(call, slices, () -> recordFault(call, p, launch, errors));
        }
        KernelFault found = fault;
        sum = found != null ? 0 : afterRun(call, slices, () -> results(call, p, launch, buffers, terms));
      } finally {
        call.close();
        drained = call.completed();
      }
      // After the call gave its queue back (the store's lock comes before a queue): the kernel wrote its residents
      // on the device, also when it failed as the CPU would throw.
      store.deviceWritten(written);
      if (fault != null) throw fault;
      return sum;
    } catch (BackendException e) {
      if (launched) store.failedWriting(written, launch.kernel().displayName(), e);
      throw e;
    } finally {
      for (long event : slices) ClQueue.release(event);
      if (drained) {
        for (ClResident r : used) store.unpin(r);
      }
    }
  }

  /** The kernel's error from its record, or null. */
  private KernelFault recordFault(ClCall call, Prepared p, KernelLaunch launch, long errors) {
    ByteBuffer record = call.readSmall(errors, 0, 4 * OpenClRenderer.ERROR_INTS);
    return record.getInt(0) != 0 ? fault(p.model(), launch, record) : null;
  }

  /** The sum of the terms (0 for a forEach), after copying back the Java arrays the kernel wrote. */
  private double results(ClCall call, Prepared p, KernelLaunch launch, Map<Object, Long> buffers, long terms) {
    double sum = terms != 0 ? reduce.sumOnDevice(call, terms, launch.n()) : 0;
    copyBack(call, p.model(), launch, buffers);
    return sum;
  }

  /**
   * {@code step}, a read after the kernel ran. When a command after the kernel fails but the queue then drains without
   * an error and every slice of the kernel ({@code slices}, their events) completed, the kernel ran, and {@code step}
   * runs once more (an array copied back in place gets the same values again) instead of losing what the kernel
   * wrote. A kernel that did not complete (a failed upload before it) is never read as if it had.
   */
  private static <T> T afterRun(ClCall call, java.util.List<Long> slices, Supplier<T> step) {
    try {
      return step.get();
    } catch (BackendException e) {
      if (!drainsCleanly(call) || !completed(slices)) throw e;
      try {
        return step.get();
      } catch (BackendException again) {
        e.addSuppressed(again);
        throw e;
      }
    }
  }

  /** Whether every one of {@code events} has completed without an error. */
  private static boolean completed(java.util.List<Long> events) {
    try {
      for (long event : events) {
        if (ClQueue.status(event) != 0) return false;
      }
      return true;
    } catch (BackendException e) {
      return false;
    }
  }

  /** Whether every command enqueued on {@code call}'s queue has ended without an error (it waits for them). */
  private static boolean drainsCleanly(ClCall call) {
    try {
      call.queue.finish(call.op);
      return true;
    } catch (BackendException e) {
      return false;
    }
  }

  /**
   * Enqueues the kernel on the context's resident queue behind the kernels using the same residents, and returns: the
   * store settles it when someone waits ({@link ClResidentStore#settle}), reading its error record then. A failure
   * while enqueueing leaves the residents as they were (the dispatcher reruns the call on the CPU), unless the kernel
   * was enqueued already.
   */
  private void enqueue(ClContext context, KernelLaunch launch, Prepared p, ClResident[] used, ClResident[] written) {
    ClResidentStore store = context.residents;
    store.kernels.throttle();
    store.kernels.retireIfNeeded();
    OpenClRenderer.Rendered rendered = p.rendered();
    long recordBytes = 4L * OpenClRenderer.ERROR_INTS;
    ClKernelCommand[] before = store.kernels.writersOf(used);
    long[] pinned = store.pinAll(used);
    ClKernelChain.Waits candidates = null;
    long[] after = new long[0];
    long errors = 0;
    long record = 0;
    long failing = 0;
    boolean launched = false;
    boolean handedOver = false;
    boolean inFlight = false;
    // Set when the resident queue could not be drained after a failure: its commands may still use the record,
    // the error buffer and the pinned residents, and may still write the arrays.
    boolean undrained = false;
    // Set when a command after the kernel failed but the kernel itself ran to completion on a drained queue.
    boolean ran = false;
    try {
      errors = context.pool.acquire(recordBytes, "kernel");
      record = store.kernels.records.acquire();
      if (record == 0) record = org.lwjgl.system.MemoryUtil.nmemAlloc(recordBytes);
      if (record == 0) throw new BackendException("out of native memory for a kernel's error record");
      if (ClFaults.fires("kernelFailure(" + launch.kernel().name() + ")")) {
        // Test hook: the kernel also waits on an event that fails, so it fails on the device after it was enqueued.
        failing = ClQueue.failingUserEvent(context.handle);
      }
      Map<Object, Long> buffers = new IdentityHashMap<>();
      for (int k = 0; k < used.length; k++) buffers.put(used[k], pinned[k]);
      // Before the resident queue is taken: the store's lock comes before the queue and the context's lifecycle.
      candidates = store.kernels.eventsBefore(used);
      ClCall call = context.beginResident(rendered.entry());
      long kernelEvent = 0;
      long recordEvent = 0;
      try {
        after = candidates.on(call.queue);
        candidates = null;
        long[] waits = after;
        if (failing != 0) {
          waits = java.util.Arrays.copyOf(after, after.length + 1);
          waits[after.length] = failing;
        }
        call.fill(errors, 0, recordBytes);
        ClKernel kernel = bind(kernel(call, p), rendered, launch, buffers, errors, 0);
        Geometry geometry = geometry(p, kernel, 0, launch.n(), launch.n());
        kernelEvent = call.queue.launchAfter(kernel, geometry.global(), geometry.local(), waits);
        launched = true;
        recordEvent = call.queue.readIntoHost(errors, record, recordBytes, 1, recordBytes, 0, call.op);
      } catch (RuntimeException e) {
        call.close();
        undrained = !call.completed();
        ran = launched && !undrained && completed(kernelEvent);
        ClQueue.release(kernelEvent);
        throw e;
      } finally {
        if (failing != 0) ClQueue.fail(failing);
      }
      ClQueue queue = call.queue;
      try {
        call.endEnqueued();
      } catch (RuntimeException e) {
        undrained = !call.completed();
        ran = !undrained && completed(kernelEvent);
        ClQueue.release(kernelEvent, recordEvent);
        throw e;
      }
      // From here the kernel and the read of its record run: until the command is handed over, nothing they use may
      // be freed, whatever is thrown (an OutOfMemoryError building it leaks them rather than free memory in use).
      inFlight = true;
      long[] events = failing != 0 ? new long[] {kernelEvent, recordEvent, failing}
          : new long[] {kernelEvent, recordEvent};
      KernelModel model = p.model();
      store.kernels.enqueued(new ClKernelCommand(launch.kernel().displayName(), queue, events, errors, record, used, written,
          before, r -> fault(model, launch, r)));
      handedOver = true;
    } catch (BackendException e) {
      if (ran) {
        ranAfterAll(context, launch, p, errors, written, e);
        return;
      }
      if (launched || undrained) store.failedWriting(written, launch.kernel().displayName(), e);
      throw e;
    } finally {
      if (candidates != null) ClQueue.release(candidates.events());
      ClQueue.release(after);
      if (!handedOver) {
        ClQueue.release(failing);
        if (undrained || inFlight) {
          // The record's memory (a slot or native) is left to the commands that may still write it: a leak, not a
          // write into memory reused meanwhile. The pins stay, so the residents' buffers are never reused either.
          context.discardBuffers(errors);
        } else {
          if (errors != 0) context.releaseBuffers(errors);
          if (record != 0 && !store.kernels.records.release(record)) org.lwjgl.system.MemoryUtil.nmemFree(record);
          for (ClResident r : used) store.unpin(r);
        }
      }
    }
  }

  /** Whether {@code event}'s command has completed without an error. */
  private static boolean completed(long event) {
    try {
      return event != 0 && ClQueue.status(event) == 0;
    } catch (BackendException e) {
      return false;
    }
  }

  /**
   * An enqueue that failed after its kernel ran to completion (reading its record or flushing failed, and the queue
   * drained): the kernel's record is read on a call of its own, and the call ends as it would have at the settle,
   * with the kernel's results on the device, or its error. Throws {@code failure} when the record cannot be read.
   */
  private void ranAfterAll(ClContext context, KernelLaunch launch, Prepared p, long errors, ClResident[] written,
      BackendException failure) {
    ByteBuffer record;
    try (ClCall call = context.begin(p.rendered().entry())) {
      record = call.readSmall(errors, 0, 4 * OpenClRenderer.ERROR_INTS);
    } catch (BackendException again) {
      failure.addSuppressed(again);
      context.residents.failedWriting(written, launch.kernel().displayName(), failure);
      throw failure;
    }
    context.residents.deviceWritten(written);
    if (record.getInt(0) != 0) throw fault(p.model(), launch, record);
  }

  /**
   * Copies the arrays the kernel writes back from the device. An array it also reads (through any parameter it is
   * passed as) changes only once every read from the device has succeeded: a device failure reruns the call on the
   * CPU, which must find its inputs as they were, so such arrays come back through a temporary each. An array the
   * kernel only writes comes back in place: a rerun writes the same elements again, and the others still hold what
   * was uploaded. Each read is named after its parameter ({@code clEnqueueReadBuffer(java_Physics_saxpy:y)}).
   */
  private void copyBack(ClCall call, KernelModel model, KernelLaunch launch, Map<Object, Long> buffers) {
    Map<Object, Boolean> read = new IdentityHashMap<>();
    for (Parameter parameter : model.parameters()) {
      if (parameter.role() == Parameter.Role.ARRAY && parameter.used() && parameter.read()) {
        read.put(argument(launch, parameter).value(), true);
      }
    }
    Map<Object, Boolean> copied = new IdentityHashMap<>();
    Map<Object, Object> pending = new IdentityHashMap<>();
    for (Parameter parameter : model.parameters()) {
      if (parameter.role() != Parameter.Role.ARRAY || !parameter.written()) continue;
      KernelArg arg = argument(launch, parameter);
      // Residents stay where they are; only Java arrays come back.
      if (arg.kind() != KernelArg.Kind.ARRAY || arg.length() == 0 || copied.put(arg.value(), true) != null) continue;
      Object target = read.containsKey(arg.value()) ? arg.type().newArray(arg.length()) : arg.value();
      call.queue.read(buffers.get(arg.value()), ClHostSpan.of(target, 0, arg.length()), call.op + ":" + arg.name());
      if (target != arg.value()) pending.put(arg.value(), target);
      copiedBack.increment();
    }
    for (Map.Entry<Object, Object> e : pending.entrySet()) {
      System.arraycopy(e.getValue(), 0, e.getKey(), 0, java.lang.reflect.Array.getLength(e.getKey()));
    }
  }

  /**
   * The kernel's {@code cl_kernel} on the call's queue, built on first use. A program the device's compiler rejects
   * (it will reject the same source every time) becomes the kernel's refusal on this device; any other failure is
   * the device's, rerun on the CPU and tried again next time.
   */
  private ClKernel kernel(ClCall call, Prepared p) {
    OpenClRenderer.Rendered rendered = p.rendered();
    try {
      return call.queue.kernel(p.program(), rendered.source(), rendered.options(), rendered.entry());
    } catch (BackendException e) {
      String message = String.valueOf(e.getMessage());
      if (!message.startsWith("CL_BUILD_PROGRAM_FAILURE") && !message.startsWith("CL_INVALID_BUILD_OPTIONS")
          && !message.startsWith("CL_COMPILER_NOT_AVAILABLE")) {
        throw e;
      }
      String why = p.model().name() + ": the OpenCL compiler of " + device.name() + " rejects its translation ("
          + (message.length() > 400 ? message.substring(0, 400) + "..." : message) + ")";
      rejected.putIfAbsent(p.program(), why);
      throw new BackendRefusedException(why);
    }
  }

  /** A launch's global size and its local size (null: the driver's choice). */
  private record Geometry(long[] global, long[] local) {}

  /**
   * {@code count} work items whose ids start at {@code first}, of a call of {@code n}, in groups of {@link #localSize}
   * (at most the kernel's limit here), the count rounded up to whole groups: the items beyond {@code n} return before
   * writing anything (a sum's terms are still {@code n}). The driver's choice when the size is 0, when the rounded
   * launch would reach items of the call's next launch (a count short of {@code n} that is not whole groups), or when
   * its last id would pass the {@code int} the kernel takes its index as.
   */
  private Geometry geometry(Prepared p, ClKernel kernel, long first, long count, long n) {
    long limit = localSize == 0 ? 0
        : groupLimits.computeIfAbsent(p.program(), k -> kernel.maxWorkGroupSize(device.id()));
    long group = Math.min(localSize, limit);
    long global = group == 0 ? count : (count + group - 1) / group * group;
    if (group == 0 || first + count < n && global != count || first + global - 1 > Integer.MAX_VALUE) {
      return new Geometry(new long[] {count}, null);
    }
    return new Geometry(new long[] {global}, new long[] {group});
  }

  /** Sets the kernel's arguments: arrays and residents as their {@code buffers}, the error record, the terms. */
  private static ClKernel bind(ClKernel kernel, OpenClRenderer.Rendered rendered, KernelLaunch launch,
      Map<Object, Long> buffers, long errors, long terms) {
    int index = 0;
    for (Argument a : rendered.arguments()) {
      switch (a) {
        case Argument.Count c -> kernel.i32(index, launch.n());
        case Argument.Errors e -> kernel.mem(index, errors);
        case Argument.Terms t -> kernel.mem(index, terms);
        case Argument.Array arr -> kernel.mem(index, buffers.get(launch.arguments().get(arr.parameter() - 1).value()));
        case Argument.Length l -> kernel.i32(index, launch.arguments().get(l.parameter() - 1).length());
        case Argument.Scalar s -> scalar(kernel, index, launch.arguments().get(s.parameter() - 1).value());
      }
      index++;
    }
    return kernel;
  }

  private static KernelArg argument(KernelLaunch launch, Parameter parameter) {
    return launch.arguments().get(parameter.index() - 1);
  }

  private static void scalar(ClKernel kernel, int index, Object value) {
    switch (value) {
      case Integer i -> kernel.i32(index, i);
      case Long l -> kernel.i64(index, l);
      case Float f -> kernel.f32(index, f);
      case Double d -> kernel.f64(index, d);
      default -> throw new BackendException("a scalar of type " + value.getClass().getName());
    }
  }

  /** The kernel's error, as every backend reports it. */
  private static KernelFault fault(KernelModel model, KernelLaunch launch, ByteBuffer record) {
    int site = record.getInt(4);
    String where = site >= 0 && site < model.sites().size() ? model.sites().get(site).toString() : model.name();
    int item = record.getInt(16);
    if (record.getInt(0) == OpenClRenderer.DIVISION_BY_ZERO) return KernelFault.divisionByZero(where, item, null);
    int parameter = record.getInt(8);
    KernelArg array = launch.arguments().get(parameter - 1);
    return KernelFault.outOfBounds(where, array.name(), record.getInt(12), array.length(), item, null);
  }
}
