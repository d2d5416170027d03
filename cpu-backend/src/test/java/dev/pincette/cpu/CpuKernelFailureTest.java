package dev.pincette.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pincette.BackendKind;
import dev.pincette.Compute;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A work item of a forked chunk that throws: the caller gets the exception the kernel threw, once, and only after
 * every chunk has stopped, so that nothing writes into the arrays after the call has returned.
 */
class CpuKernelFailureTest {
  static final AtomicInteger RUNNING = new AtomicInteger();
  static final AtomicReference<Throwable> THROWN = new AtomicReference<>();
  static final int FAILING = 5000;

  static void slowAndOneFails(int i, float[] x) {
    RUNNING.incrementAndGet();
    try {
      if (i == FAILING) {
        AssertionError e = new AssertionError("work item " + i);
        THROWN.set(e);
        throw e;
      }
      // Work enough that the pool forks, and that other chunks are still busy when one fails.
      float v = x[i];
      for (int k = 0; k < 2000; k++) v = v * 0.999f + 1;
      x[i] = v;
    } finally {
      RUNNING.decrementAndGet();
    }
  }

  static void slowAndOneIsOutOfBounds(int i, float[] x, int[] y) {
    RUNNING.incrementAndGet();
    try {
      float v = x[i];
      for (int k = 0; k < 2000; k++) v = v * 0.999f + 1;
      x[i] = v;
      if (i == FAILING) y[i] = 1;
    } finally {
      RUNNING.decrementAndGet();
    }
  }

  @Test
  void anErrorInAForkedChunkReachesTheCallerAsItIsAfterEveryChunkStopped() {
    for (int round = 0; round < 5; round++) {
      float[] x = new float[200_000];
      AssertionError e = assertThrows(AssertionError.class,
          () -> Compute.on(BackendKind.CPU).forEach(x.length, CpuKernelFailureTest::slowAndOneFails, x));
      assertEquals(0, RUNNING.get(), "work items still running after the call threw");
      assertSame(THROWN.get(), e, "the kernel's own exception, not a copy");
    }
  }

  @Test
  void anIndexOutOfBoundsInAForkedChunkIsReportedOnceAfterEveryChunkStopped() {
    float[] x = new float[200_000];
    ArrayIndexOutOfBoundsException e = assertThrows(ArrayIndexOutOfBoundsException.class,
        () -> Compute.on(BackendKind.CPU).forEach(x.length, CpuKernelFailureTest::slowAndOneIsOutOfBounds, x,
            new int[10]));
    assertEquals(0, RUNNING.get());
    assertTrue(e.getMessage().contains("Index 5000 out of bounds for length 10 of y, in work item 5000"),
        e.getMessage());
    assertEquals(0, e.getSuppressed().length);
  }
}
