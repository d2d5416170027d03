package dev.pincette.cpu;

import static java.lang.constant.ConstantDescs.CD_Object;
import static java.lang.constant.ConstantDescs.CD_double;
import static java.lang.constant.ConstantDescs.CD_float;
import static java.lang.constant.ConstantDescs.CD_int;
import static java.lang.constant.ConstantDescs.CD_void;

import dev.pincette.spi.KernelLaunch;
import dev.pincette.spi.KernelMethod;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.CodeBuilder;
import java.lang.classfile.Label;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDescs;
import java.lang.constant.DynamicConstantDesc;
import java.lang.constant.MethodTypeDesc;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.AccessFlag;
import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.IntStream;

/**
 * Runs kernels on the CPU: the user's method itself, over chunks of the index range on the ForkJoin pool. Each kernel
 * gets a loop of its own, a hidden class whose constant is the kernel instance, so the call in the loop sees one
 * receiver and the JIT inlines the user's method into it (one shared loop would see every kernel and call them through
 * a megamorphic interface call).
 */
final class CpuKernels {
  /**
   * Expected work below which the rest of a call runs on the caller's thread: a fork and join of the pool costs about
   * 15 us on 2 cores ({@code ThresholdBenchmark}), so forking pays from a few times that.
   */
  private static final long SERIAL_BELOW_NANOS = 50_000;
  /** Work items the caller runs first to estimate the cost per item. */
  private static final int PROBE = 64;
  /** Chunks per worker: enough to balance kernels whose work items cost unevenly. */
  private static final int CHUNKS_PER_THREAD = 4;
  private static final ClassDesc LOOP = ClassDesc.of(Loop.class.getName());
  private static final ClassDesc FAILURE = ClassDesc.of(ItemFailure.class.getName());
  private static final ClassDesc SELF = ClassDesc.of(CpuKernels.class.getPackageName() + ".KernelLoop");

  private final ForkJoinPool pool;

  CpuKernels(ForkJoinPool pool) {
    this.pool = pool;
  }

  /** One kernel's loops over an index range; the arguments in parameter order, the index excluded. */
  interface Loop {
    void run(int from, int to, Object[] arguments);

    double sum(int from, int to, Object[] arguments);
  }

  /** A work item's exception, with the work item: thrown by the loops. */
  static final class ItemFailure extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final int item;

    ItemFailure(int item, Throwable cause) {
      super(null, cause, false, false);
      this.item = item;
    }
  }

  void forEach(KernelLaunch launch) {
    Loop loop = loop(launch.kernel());
    Object[] arguments = launch.values();
    run(launch, (from, to) -> {
      loop.run(from, to, arguments);
      return 0;
    });
  }

  double sum(KernelLaunch launch) {
    Loop loop = loop(launch.kernel());
    Object[] arguments = launch.values();
    return run(launch, (from, to) -> loop.sum(from, to, arguments));
  }

  private interface Range {
    double apply(int from, int to);
  }

  /**
   * Runs {@code body} over {@code [0, n)}: the first work items on the caller's thread, timed; the rest there too when
   * they would take less than a fork costs, else in chunks on the pool. Returns the sum of the ranges' results.
   */
  private double run(KernelLaunch launch, Range body) {
    int n = launch.n();
    try {
      int probe = Math.min(n, PROBE);
      long start = System.nanoTime();
      double total = body.apply(0, probe);
      long elapsed = System.nanoTime() - start;
      if (probe == n) return total;
      double expected = (double) elapsed / probe * (n - probe);
      int threads = pool.getParallelism();
      if (expected < SERIAL_BELOW_NANOS || threads == 1) return total + body.apply(probe, n);
      int chunks = (int) Math.min((long) CHUNKS_PER_THREAD * threads, Math.max(1, (n - probe) / PROBE));
      double[] partial = new double[chunks];
      // The first failure of any chunk, Errors included: kept here rather than thrown through the pool, which would
      // end the call while other chunks still run (and write), and may hand the caller a copy of the exception.
      AtomicReference<Throwable> failure = new AtomicReference<>();
      pool.submit(() -> IntStream.range(0, chunks).parallel().forEach(c -> {
        if (failure.get() != null) return;
        int from = probe + (int) ((long) (n - probe) * c / chunks);
        int to = probe + (int) ((long) (n - probe) * (c + 1) / chunks);
        try {
          partial[c] = body.apply(from, to);
        } catch (Throwable f) {
          failure.compareAndSet(null, f);
        }
      })).join();
      switch (failure.get()) {
        case null -> { }
        case ItemFailure f -> throw f;
        case RuntimeException e -> throw e;
        case Error e -> throw e;
        case Throwable t -> throw new IllegalStateException(t);
      }
      for (double p : partial) total += p;
      return total;
    } catch (ItemFailure f) {
      throw CpuKernelFaults.of(launch, f.item, f.getCause());
    }
  }

  /** The kernel's loop, compiled on its first call. */
  static Loop loop(KernelMethod kernel) {
    return kernel.state(Loop.class, CpuKernels::compile);
  }

  private static Loop compile(KernelMethod kernel) {
    int arity = kernel.parameterTypes().size() - 1;
    boolean term = kernel.returnsTerm();
    ClassDesc type = ClassDesc.of("dev.pincette." + (term ? "FloatKernel" : "Kernel") + arity);
    ClassDesc[] params = new ClassDesc[arity + 1];
    params[0] = CD_int;
    for (int k = 1; k <= arity; k++) params[k] = CD_Object;
    MethodTypeDesc call = MethodTypeDesc.of(term ? CD_float : CD_void, params);
    String method = term ? "apply" : "run";
    ClassFile files = ClassFile.of(ClassFile.ClassHierarchyResolverOption.of(ClassHierarchyResolver.defaultResolver()
        .orElse(ClassHierarchyResolver.ofClassLoading(CpuKernels.class.getClassLoader()))));
    byte[] bytes = files.build(SELF, cb -> {
      cb.withFlags(AccessFlag.FINAL, AccessFlag.SYNTHETIC);
      cb.withInterfaceSymbols(LOOP);
      cb.withMethodBody(ConstantDescs.INIT_NAME, ConstantDescs.MTD_void, ClassFile.ACC_PUBLIC,
          c -> c.aload(0).invokespecial(CD_Object, ConstantDescs.INIT_NAME, ConstantDescs.MTD_void).return_());
      cb.withMethodBody("run", MethodTypeDesc.of(CD_void, CD_int, CD_int, CD_Object.arrayType()), ClassFile.ACC_PUBLIC,
          c -> loopBody(c, type, method, call, arity, false));
      cb.withMethodBody("sum", MethodTypeDesc.of(CD_double, CD_int, CD_int, CD_Object.arrayType()),
          ClassFile.ACC_PUBLIC, c -> {
            if (term) loopBody(c, type, method, call, arity, true);
            else c.new_(ClassDesc.of("java.lang.UnsupportedOperationException")).dup()
                .invokespecial(ClassDesc.of("java.lang.UnsupportedOperationException"), ConstantDescs.INIT_NAME,
                    ConstantDescs.MTD_void).athrow();
          });
    });
    try {
      MethodHandles.Lookup lookup = MethodHandles.lookup().defineHiddenClassWithClassData(bytes, kernel.instance(),
          true);
      return (Loop) lookup.findConstructor(lookup.lookupClass(), MethodType.methodType(void.class)).invoke();
    } catch (Throwable e) {
      throw new IllegalStateException("cannot define the CPU loop of " + kernel.displayName(), e);
    }
  }

  /**
   * {@code for (i = from; i < to; i++) K.run(i, args[0], ...)} with {@code K} the class-data constant; for a sum, four
   * double accumulators over consecutive items (more additions in flight than one chain allows). A work item's
   * exception leaves as an {@link ItemFailure} naming the item.
   */
  private static void loopBody(CodeBuilder c, ClassDesc type, String method, MethodTypeDesc call, int arity,
      boolean sum) {
    // Slots: 0 this, 1 from, 2 to, 3 arguments, then the kernel, the arguments, the item, the item running.
    int kernel = 4;
    int first = 5;
    int item = first + arity;
    int current = item + 1;
    int accumulators = current + 1;
    int thrown = accumulators + (sum ? 8 : 0);
    c.ldc(DynamicConstantDesc.ofNamed(ConstantDescs.BSM_CLASS_DATA, ConstantDescs.DEFAULT_NAME, CD_Object))
        .checkcast(type).astore(kernel);
    for (int k = 0; k < arity; k++) c.aload(3).ldc(k).aaload().astore(first + k);
    c.iload(1).dup().istore(item).istore(current);
    if (sum) {
      for (int s = 0; s < 4; s++) c.dconst_0().dstore(accumulators + 2 * s);
    }
    Label tryStart = c.newBoundLabel();
    Label tail = c.newLabel();
    Label end = c.newLabel();
    if (sum) {
      Label quad = c.newBoundLabel();
      // while (to - i > 3): four items into four accumulators
      c.iload(2).iload(item).isub().iconst_3().if_icmple(tail);
      for (int u = 0; u < 4; u++) {
        c.iload(item).ldc(u).iadd().istore(current);
        c.dload(accumulators + 2 * u);
        invoke(c, kernel, current, first, arity, type, method, call);
        c.f2d().dadd().dstore(accumulators + 2 * u);
      }
      c.iinc(item, 4).goto_(quad);
    }
    c.labelBinding(tail);
    c.iload(item).iload(2).if_icmpge(end);
    c.iload(item).istore(current);
    if (sum) c.dload(accumulators);
    invoke(c, kernel, current, first, arity, type, method, call);
    if (sum) c.f2d().dadd().dstore(accumulators);
    else if (call.returnType().equals(CD_float)) c.pop();
    c.iinc(item, 1).goto_(tail);
    Label tryEnd = c.newBoundLabel();
    c.labelBinding(end);
    if (sum) {
      c.dload(accumulators).dload(accumulators + 2).dadd().dload(accumulators + 4).dload(accumulators + 6).dadd()
          .dadd().dreturn();
    } else {
      c.return_();
    }
    Label handler = c.newBoundLabel();
    c.astore(thrown);
    c.new_(FAILURE).dup().iload(current).aload(thrown)
        .invokespecial(FAILURE, ConstantDescs.INIT_NAME, MethodTypeDesc.of(CD_void, CD_int,
            ClassDesc.of("java.lang.Throwable")))
        .athrow();
    c.exceptionCatch(tryStart, tryEnd, handler, ClassDesc.of("java.lang.RuntimeException"));
  }

  private static void invoke(CodeBuilder c, int kernel, int current, int first, int arity, ClassDesc type,
      String method, MethodTypeDesc call) {
    c.aload(kernel).iload(current);
    for (int k = 0; k < arity; k++) c.aload(first + k);
    c.invokeinterface(type, method, call);
  }
}
