package dev.pincette.cpu;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.ForkJoinTask;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.IntConsumer;

/**
 * Runs {@code count} independent chunks on the caller and up to {@code parallelism - 1} of a pool's workers, each
 * thread taking the next chunk from one counter: one hand-off per call and the caller's core put to work, where a
 * parallel stream forks a tree of tasks and leaves the caller waiting.
 */
final class ChunkRunner {
  private ChunkRunner() {}

  /** Calls {@code body} once for each chunk in {@code [0, count)}; rethrows the first failure once all have stopped. */
  static void run(ForkJoinPool pool, int count, IntConsumer body) {
    AtomicInteger next = new AtomicInteger();
    Throwable[] failure = new Throwable[1];
    Runnable work = () -> {
      try {
        for (int chunk; (chunk = next.getAndIncrement()) < count; ) body.accept(chunk);
      } catch (Throwable t) {
        next.set(count);
        synchronized (failure) {
          if (failure[0] == null) failure[0] = t;
        }
      }
    };
    ForkJoinTask<?>[] helpers = new ForkJoinTask<?>[Math.max(0, Math.min(pool.getParallelism(), count) - 1)];
    for (int i = 0; i < helpers.length; i++) helpers[i] = pool.submit(work);
    work.run();
    for (ForkJoinTask<?> helper : helpers) helper.quietlyJoin();
    Throwable t;
    synchronized (failure) {
      t = failure[0];
    }
    if (t instanceof RuntimeException e) throw e;
    if (t instanceof Error e) throw e;
    if (t != null) throw new IllegalStateException(t);
  }
}
