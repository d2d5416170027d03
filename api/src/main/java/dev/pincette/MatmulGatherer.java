package dev.pincette;

import dev.pincette.internal.Dispatcher;
import dev.pincette.kernels.MatmulOp;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;

/**
 * Gathers asynchronous products of one shape (and backend and precision) that wait for a thread into one call: while earlier calls run, later
 * ones queue up, and the next free thread takes all of them (up to {@link #MAX_GATHERED}) as one
 * {@code Backend.matmulEach}, which on a GPU is one upload, one launch and one download instead of a round trip each.
 * A product that finds the pool idle runs alone at once, so gathering adds no latency. Every result equals the
 * synchronous one bit for bit.
 */
final class MatmulGatherer {
  /** Products per gathered call at most; also bounded by {@link #MAX_GATHERED_BYTES} of operands and results. */
  static final int MAX_GATHERED = 64;
  static final long MAX_GATHERED_BYTES = 64L << 20;

  private record Shape(BackendKind kind, Precision precision, int m, int k, int n) {}

  private record Request(float[] a, float[] b, CompletableFuture<float[]> result) {}

  private final Map<Shape, Queue<Request>> waiting = new ConcurrentHashMap<>();

  /** Queues {@code a · b} (validated) and schedules a drain of its shape's queue on {@code executor}. */
  CompletableFuture<float[]> submit(BackendKind kind, Precision precision, float[] a, float[] b, int m, int k, int n,
      Executor executor) {
    CompletableFuture<float[]> result = new CompletableFuture<>();
    Shape shape = new Shape(kind, precision, m, k, n);
    Queue<Request> queue = waiting.computeIfAbsent(shape, s -> new ConcurrentLinkedQueue<>());
    queue.add(new Request(a, b, result));
    executor.execute(() -> drain(shape, queue));
    return result;
  }

  /**
   * Runs what waits in {@code queue}. An emptied queue leaves the map, so shapes used once do not accumulate; a
   * request added to it meanwhile is still run, by the drain its own submission scheduled on the same queue.
   */
  private void drain(Shape shape, Queue<Request> queue) {
    long bytesEach = 4L * ((long) shape.m * shape.k + (long) shape.k * shape.n + (long) shape.m * shape.n);
    int limit = (int) Math.clamp(MAX_GATHERED_BYTES / Math.max(1, bytesEach), 1, MAX_GATHERED);
    List<Request> batch = new ArrayList<>();
    for (Request r = null; batch.size() < limit && (r = queue.poll()) != null; ) {
      // A future cancelled before its call started is dropped here, having held nothing.
      if (!r.result.isDone()) batch.add(r);
    }
    if (queue.isEmpty()) waiting.remove(shape, queue);
    if (batch.isEmpty()) return;
    try {
      float[][] products = ScopedValue.where(Dispatcher.SCOPE, shape.kind).where(Dispatcher.PRECISION, shape.precision)
          .call(() -> run(shape, batch));
      for (int i = 0; i < batch.size(); i++) batch.get(i).result.complete(products[i]);
    } catch (Throwable t) {
      for (Request r : batch) r.result.completeExceptionally(t);
    }
  }

  private static float[][] run(Shape shape, List<Request> batch) {
    if (batch.size() == 1) {
      Request r = batch.getFirst();
      return new float[][] {Compute.matmul(r.a, shape.m, shape.k, r.b, shape.k, shape.n)};
    }
    float[][] as = new float[batch.size()][];
    float[][] bs = new float[batch.size()][];
    for (int i = 0; i < as.length; i++) {
      as[i] = batch.get(i).a;
      bs[i] = batch.get(i).b;
    }
    return Compute.matmulEach(as, bs, shape.m, shape.k, shape.n);
  }

  /** Validates as the synchronous call does, so that bad input fails its own future with the same message. */
  static void check(float[] a, int aRows, int aCols, float[] b, int bRows, int bCols) {
    MatmulOp.check(a, aRows, aCols, b, bRows, bCols);
  }
}
