package dev.pincette;

import dev.pincette.internal.Dispatcher;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * {@link Compute}'s ops as {@link CompletableFuture}s: issue many calls, then wait for all of them or the first.
 * Calls run on Pincette's own threads ({@code pincette.async.threads}, default twice the cores, at least 4), each
 * placed like a synchronous call, so independent calls in flight overlap: on a GPU each takes a queue of its own,
 * and when the GPU is busy the cost model counts the wait and may place the next call on the CPU.
 *
 * <pre>{@code
 * List<CompletableFuture<Matrix>> products = pairs.stream()
 *     .map(p -> Compute.async().matmul(p.a(), p.b())).toList();
 * CompletableFuture.allOf(products.toArray(CompletableFuture[]::new)).join();
 *
 * CompletableFuture<Double> total = Compute.async().upload(a)
 *     .thenCompose(da -> Compute.async().matmul(da, da).whenComplete((p, e) -> da.close()))
 *     .thenCompose(p -> Compute.async().sum(p).whenComplete((s, e) -> p.close()));
 * }</pre>
 *
 * <p>Results equal the synchronous ones. Bad input completes the future exceptionally with the same
 * {@link IllegalArgumentException} (or {@link NullPointerException}) the synchronous call throws; a device failure
 * falls back to the CPU as usual. A future cancelled before its call starts never runs it and holds no resources; one
 * cancelled while running lets the call finish and releases a {@link DeviceMatrix} result nobody can receive. The
 * backend and the precision of products are those in force where the call is issued
 * ({@code Compute.on(kind).precision(p).async()} sets them).
 */
public final class AsyncCompute {
  static final AsyncCompute INSTANCE = new AsyncCompute(null, null, false);
  private static final MatmulGatherer GATHERER = new MatmulGatherer();

  /** null: the kind current on the issuing thread. */
  private final BackendKind kind;
  /** null: the precision current on the issuing thread. */
  private final Precision precision;
  /** Whether kernel calls check races; else as on the issuing thread. */
  private final boolean checkRaces;

  AsyncCompute(BackendKind kind, Precision precision, boolean checkRaces) {
    this.kind = kind;
    this.precision = precision;
    this.checkRaces = checkRaces;
  }

  /** The threads every {@code AsyncCompute} shares, started on first use. */
  private static final class Pool {
    static final ExecutorService EXECUTOR = create();

    private static ExecutorService create() {
      int cores = Runtime.getRuntime().availableProcessors();
      int threads = Integer.getInteger("pincette.async.threads", Math.clamp(2L * cores, 4, 64));
      AtomicInteger count = new AtomicInteger();
      return new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
        Thread t = new Thread(r, "pincette-async-" + count.incrementAndGet());
        t.setDaemon(true);
        return t;
      });
    }
  }

  /**
   * {@link Compute#matmul(Matrix, Matrix)}. Products of one shape that queue up while the threads are busy run as
   * one gathered call (on a GPU: one upload, launch and download for all), each result equal to the synchronous one.
   */
  public CompletableFuture<Matrix> matmul(Matrix a, Matrix b) {
    try {
      java.util.Objects.requireNonNull(a, "matmul: a is null");
      java.util.Objects.requireNonNull(b, "matmul: b is null");
    } catch (NullPointerException e) {
      return CompletableFuture.failedFuture(e);
    }
    CompletableFuture<float[]> product = matmul(a.data(), a.rows(), a.cols(), b.data(), b.rows(), b.cols());
    CompletableFuture<Matrix> out = new CompletableFuture<>();
    product.whenComplete((c, e) -> {
      if (e != null) out.completeExceptionally(e);
      else out.complete(Matrix.wrap(a.rows(), b.cols(), c));
    });
    // Cancelling the matrix future withdraws the product from the queue if it has not started.
    out.whenComplete((m, e) -> {
      if (out.isCancelled()) product.cancel(false);
    });
    return out;
  }

  /** {@link Compute#matmul(float[], int, int, float[], int, int)}, gathered like {@link #matmul(Matrix, Matrix)}. */
  public CompletableFuture<float[]> matmul(float[] a, int aRows, int aCols, float[] b, int bRows, int bCols) {
    BackendKind placed = kind != null ? kind : Dispatcher.get().currentKind();
    Precision computed = precision != null ? precision : Dispatcher.currentPrecision();
    try {
      MatmulGatherer.check(a, aRows, aCols, b, bRows, bCols);
    } catch (RuntimeException e) {
      return CompletableFuture.failedFuture(e);
    }
    if ((long) aRows * aCols * bCols == 0) return submit(() -> Compute.matmul(a, aRows, aCols, b, bRows, bCols));
    return GATHERER.submit(placed, computed, a, b, aRows, aCols, bCols, Pool.EXECUTOR);
  }

  /** {@link Compute#batchedMatmul} on Pincette's threads. */
  public CompletableFuture<float[]> batchedMatmul(float[] a, float[] b, int count, int m, int k, int n) {
    return submit(() -> Compute.batchedMatmul(a, b, count, m, k, n));
  }

  /** {@link Compute#upload}: the future's matrix is the caller's to close. */
  public CompletableFuture<DeviceMatrix> upload(Matrix m) {
    return submit(() -> Compute.upload(m));
  }

  /** {@link Compute#matmul(DeviceMatrix, DeviceMatrix)}: the product is the caller's to close. */
  public CompletableFuture<DeviceMatrix> matmul(DeviceMatrix a, DeviceMatrix b) {
    return submit(() -> Compute.matmul(a, b));
  }

  /**
   * {@link Compute#matmul(HostMatrix, HostMatrix, HostMatrix)}: the future completes with {@code out} once written.
   * Keep the matrices open until then.
   */
  public CompletableFuture<HostMatrix> matmul(HostMatrix a, HostMatrix b, HostMatrix out) {
    // The call returns nothing to submit(), which closes an unwanted result: out is the caller's, never closed here.
    CompletableFuture<Void> call = submit(() -> {
      Compute.matmul(a, b, out);
      return null;
    });
    CompletableFuture<HostMatrix> done = new CompletableFuture<>();
    call.whenComplete((v, e) -> {
      if (e != null) done.completeExceptionally(e);
      else done.complete(out);
    });
    done.whenComplete((m, e) -> {
      if (done.isCancelled()) call.cancel(false);
    });
    return done;
  }

  /** {@link Compute#sum(DeviceMatrix)} on Pincette's threads. */
  public CompletableFuture<Double> sum(DeviceMatrix x) {
    return submit(() -> Compute.sum(x));
  }

  /** {@link Compute#sum(float[])} on Pincette's threads. */
  public CompletableFuture<Double> sum(float[] x) {
    return submit(() -> Compute.sum(x));
  }

  /** {@link Compute#mean} on Pincette's threads. */
  public CompletableFuture<Double> mean(float[] x) {
    return submit(() -> Compute.mean(x));
  }

  /** {@link Compute#min} on Pincette's threads. */
  public CompletableFuture<Float> min(float[] x) {
    return submit(() -> Compute.min(x));
  }

  /** {@link Compute#max} on Pincette's threads. */
  public CompletableFuture<Float> max(float[] x) {
    return submit(() -> Compute.max(x));
  }

  /** {@link Compute#argmin} on Pincette's threads. */
  public CompletableFuture<Integer> argmin(float[] x) {
    return submit(() -> Compute.argmin(x));
  }

  /** {@link Compute#argmax} on Pincette's threads. */
  public CompletableFuture<Integer> argmax(float[] x) {
    return submit(() -> Compute.argmax(x));
  }

  /** {@link Compute#dot} on Pincette's threads. */
  public CompletableFuture<Double> dot(float[] x, float[] y) {
    return submit(() -> Compute.dot(x, y));
  }

  /**
   * {@link Compute#forEach(int, Kernel1, Object)}: the future completes when every work item has run, also when the
   * call was on resident arrays a device returns from as soon as the kernel is enqueued (it waits for them).
   */
  public <A> CompletableFuture<Void> forEach(int n, Kernel1<A> kernel, A a) {
    return submit(() -> {
      KernelCalls.forEachAndWait(n, kernel, a);
      return null;
    });
  }

  /** {@link Compute#forEach(int, Kernel1, Object)} with 2 arguments. */
  public <A, B> CompletableFuture<Void> forEach(int n, Kernel2<A, B> kernel, A a, B b) {
    return submit(() -> {
      KernelCalls.forEachAndWait(n, kernel, a, b);
      return null;
    });
  }

  /** {@link Compute#forEach(int, Kernel1, Object)} with 3 arguments. */
  public <A, B, C> CompletableFuture<Void> forEach(int n, Kernel3<A, B, C> kernel, A a, B b, C c) {
    return submit(() -> {
      KernelCalls.forEachAndWait(n, kernel, a, b, c);
      return null;
    });
  }

  /** {@link Compute#forEach(int, Kernel1, Object)} with 4 arguments. */
  public <A, B, C, D> CompletableFuture<Void> forEach(int n, Kernel4<A, B, C, D> kernel, A a, B b, C c, D d) {
    return submit(() -> {
      KernelCalls.forEachAndWait(n, kernel, a, b, c, d);
      return null;
    });
  }

  /** {@link Compute#forEach(int, Kernel1, Object)} with 5 arguments. */
  public <A, B, C, D, E> CompletableFuture<Void> forEach(int n, Kernel5<A, B, C, D, E> kernel, A a, B b, C c, D d,
      E e) {
    return submit(() -> {
      KernelCalls.forEachAndWait(n, kernel, a, b, c, d, e);
      return null;
    });
  }

  /** {@link Compute#forEach(int, Kernel1, Object)} with 6 arguments. */
  public <A, B, C, D, E, F> CompletableFuture<Void> forEach(int n, Kernel6<A, B, C, D, E, F> kernel, A a, B b, C c,
      D d, E e, F f) {
    return submit(() -> {
      KernelCalls.forEachAndWait(n, kernel, a, b, c, d, e, f);
      return null;
    });
  }

  /** {@link Compute#forEach(int, Kernel1, Object)} with 7 arguments. */
  public <A, B, C, D, E, F, G> CompletableFuture<Void> forEach(int n, Kernel7<A, B, C, D, E, F, G> kernel, A a, B b,
      C c, D d, E e, F f, G g) {
    return submit(() -> {
      KernelCalls.forEachAndWait(n, kernel, a, b, c, d, e, f, g);
      return null;
    });
  }

  /** {@link Compute#forEach(int, Kernel1, Object)} with 8 arguments. */
  public <A, B, C, D, E, F, G, H> CompletableFuture<Void> forEach(int n, Kernel8<A, B, C, D, E, F, G, H> kernel, A a,
      B b, C c, D d, E e, F f, G g, H h) {
    return submit(() -> {
      KernelCalls.forEachAndWait(n, kernel, a, b, c, d, e, f, g, h);
      return null;
    });
  }

  /** {@link Compute#sum(int, FloatKernel1, Object)}. */
  public <A> CompletableFuture<Double> sum(int n, FloatKernel1<A> kernel, A a) {
    return submit(() -> KernelCalls.sum(n, kernel, a));
  }

  /** {@link Compute#sum(int, FloatKernel1, Object)} with 2 arguments. */
  public <A, B> CompletableFuture<Double> sum(int n, FloatKernel2<A, B> kernel, A a, B b) {
    return submit(() -> KernelCalls.sum(n, kernel, a, b));
  }

  /** {@link Compute#sum(int, FloatKernel1, Object)} with 3 arguments. */
  public <A, B, C> CompletableFuture<Double> sum(int n, FloatKernel3<A, B, C> kernel, A a, B b, C c) {
    return submit(() -> KernelCalls.sum(n, kernel, a, b, c));
  }

  /** {@link Compute#sum(int, FloatKernel1, Object)} with 4 arguments. */
  public <A, B, C, D> CompletableFuture<Double> sum(int n, FloatKernel4<A, B, C, D> kernel, A a, B b, C c, D d) {
    return submit(() -> KernelCalls.sum(n, kernel, a, b, c, d));
  }

  /** {@link Compute#sum(int, FloatKernel1, Object)} with 5 arguments. */
  public <A, B, C, D, E> CompletableFuture<Double> sum(int n, FloatKernel5<A, B, C, D, E> kernel, A a, B b, C c, D d,
      E e) {
    return submit(() -> KernelCalls.sum(n, kernel, a, b, c, d, e));
  }

  /** {@link Compute#sum(int, FloatKernel1, Object)} with 6 arguments. */
  public <A, B, C, D, E, F> CompletableFuture<Double> sum(int n, FloatKernel6<A, B, C, D, E, F> kernel, A a, B b, C c,
      D d, E e, F f) {
    return submit(() -> KernelCalls.sum(n, kernel, a, b, c, d, e, f));
  }

  /** {@link Compute#sum(int, FloatKernel1, Object)} with 7 arguments. */
  public <A, B, C, D, E, F, G> CompletableFuture<Double> sum(int n, FloatKernel7<A, B, C, D, E, F, G> kernel, A a,
      B b, C c, D d, E e, F f, G g) {
    return submit(() -> KernelCalls.sum(n, kernel, a, b, c, d, e, f, g));
  }

  /** {@link Compute#sum(int, FloatKernel1, Object)} with 8 arguments. */
  public <A, B, C, D, E, F, G, H> CompletableFuture<Double> sum(int n, FloatKernel8<A, B, C, D, E, F, G, H> kernel,
      A a, B b, C c, D d, E e, F f, G g, H h) {
    return submit(() -> KernelCalls.sum(n, kernel, a, b, c, d, e, f, g, h));
  }

  /** {@link Compute#forEach(int, Kernel1, Object[])}. */
  public <A> CompletableFuture<Void> forEach(int n, Kernel1<A> kernel, Object... arguments) {
    return submit(() -> {
      KernelCalls.forEachAndWait(n, kernel, arguments);
      return null;
    });
  }

  /** {@link Compute#forEach(int, Kernel2, Object[])}. */
  public <A, B> CompletableFuture<Void> forEach(int n, Kernel2<A, B> kernel, Object... arguments) {
    return submit(() -> {
      KernelCalls.forEachAndWait(n, kernel, arguments);
      return null;
    });
  }

  /** {@link Compute#forEach(int, Kernel3, Object[])}. */
  public <A, B, C> CompletableFuture<Void> forEach(int n, Kernel3<A, B, C> kernel, Object... arguments) {
    return submit(() -> {
      KernelCalls.forEachAndWait(n, kernel, arguments);
      return null;
    });
  }

  /** {@link Compute#forEach(int, Kernel4, Object[])}. */
  public <A, B, C, D> CompletableFuture<Void> forEach(int n, Kernel4<A, B, C, D> kernel, Object... arguments) {
    return submit(() -> {
      KernelCalls.forEachAndWait(n, kernel, arguments);
      return null;
    });
  }

  /** {@link Compute#forEach(int, Kernel5, Object[])}. */
  public <A, B, C, D, E> CompletableFuture<Void> forEach(int n, Kernel5<A, B, C, D, E> kernel, Object... arguments) {
    return submit(() -> {
      KernelCalls.forEachAndWait(n, kernel, arguments);
      return null;
    });
  }

  /** {@link Compute#forEach(int, Kernel6, Object[])}. */
  public <A, B, C, D, E, F> CompletableFuture<Void> forEach(int n, Kernel6<A, B, C, D, E, F> kernel,
      Object... arguments) {
    return submit(() -> {
      KernelCalls.forEachAndWait(n, kernel, arguments);
      return null;
    });
  }

  /** {@link Compute#forEach(int, Kernel7, Object[])}. */
  public <A, B, C, D, E, F, G> CompletableFuture<Void> forEach(int n, Kernel7<A, B, C, D, E, F, G> kernel,
      Object... arguments) {
    return submit(() -> {
      KernelCalls.forEachAndWait(n, kernel, arguments);
      return null;
    });
  }

  /** {@link Compute#forEach(int, Kernel8, Object[])}. */
  public <A, B, C, D, E, F, G, H> CompletableFuture<Void> forEach(int n, Kernel8<A, B, C, D, E, F, G, H> kernel,
      Object... arguments) {
    return submit(() -> {
      KernelCalls.forEachAndWait(n, kernel, arguments);
      return null;
    });
  }

  /** {@link Compute#sum(int, FloatKernel1, Object[])}. */
  public <A> CompletableFuture<Double> sum(int n, FloatKernel1<A> kernel, Object... arguments) {
    return submit(() -> KernelCalls.sum(n, kernel, arguments));
  }

  /** {@link Compute#sum(int, FloatKernel2, Object[])}. */
  public <A, B> CompletableFuture<Double> sum(int n, FloatKernel2<A, B> kernel, Object... arguments) {
    return submit(() -> KernelCalls.sum(n, kernel, arguments));
  }

  /** {@link Compute#sum(int, FloatKernel3, Object[])}. */
  public <A, B, C> CompletableFuture<Double> sum(int n, FloatKernel3<A, B, C> kernel, Object... arguments) {
    return submit(() -> KernelCalls.sum(n, kernel, arguments));
  }

  /** {@link Compute#sum(int, FloatKernel4, Object[])}. */
  public <A, B, C, D> CompletableFuture<Double> sum(int n, FloatKernel4<A, B, C, D> kernel, Object... arguments) {
    return submit(() -> KernelCalls.sum(n, kernel, arguments));
  }

  /** {@link Compute#sum(int, FloatKernel5, Object[])}. */
  public <A, B, C, D, E> CompletableFuture<Double> sum(int n, FloatKernel5<A, B, C, D, E> kernel, Object... arguments) {
    return submit(() -> KernelCalls.sum(n, kernel, arguments));
  }

  /** {@link Compute#sum(int, FloatKernel6, Object[])}. */
  public <A, B, C, D, E, F> CompletableFuture<Double> sum(int n, FloatKernel6<A, B, C, D, E, F> kernel,
      Object... arguments) {
    return submit(() -> KernelCalls.sum(n, kernel, arguments));
  }

  /** {@link Compute#sum(int, FloatKernel7, Object[])}. */
  public <A, B, C, D, E, F, G> CompletableFuture<Double> sum(int n, FloatKernel7<A, B, C, D, E, F, G> kernel,
      Object... arguments) {
    return submit(() -> KernelCalls.sum(n, kernel, arguments));
  }

  /** {@link Compute#sum(int, FloatKernel8, Object[])}. */
  public <A, B, C, D, E, F, G, H> CompletableFuture<Double> sum(int n, FloatKernel8<A, B, C, D, E, F, G, H> kernel,
      Object... arguments) {
    return submit(() -> KernelCalls.sum(n, kernel, arguments));
  }

  private <T> CompletableFuture<T> submit(Supplier<T> call) {
    CompletableFuture<T> future = new CompletableFuture<>();
    BackendKind placed = kind != null ? kind : Dispatcher.get().currentKind();
    Precision computed = precision != null ? precision : Dispatcher.currentPrecision();
    boolean races = checkRaces || KernelCalls.checkingRaces();
    try {
      Pool.EXECUTOR.execute(() -> {
        if (future.isDone()) return;
        try {
          T result = ScopedValue.where(Dispatcher.SCOPE, placed).where(Dispatcher.PRECISION, computed)
              .where(KernelCalls.CHECKING, races).call(call::get);
          if (!future.complete(result) && result instanceof AutoCloseable unwanted) unwanted.close();
        } catch (Throwable t) {
          future.completeExceptionally(t);
        }
      });
    } catch (RejectedExecutionException e) {
      future.completeExceptionally(e);
    }
    return future;
  }
}
