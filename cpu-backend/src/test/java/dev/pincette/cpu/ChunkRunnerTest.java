package dev.pincette.cpu;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.concurrent.ForkJoinPool;
import java.util.concurrent.atomic.AtomicIntegerArray;
import org.junit.jupiter.api.Test;

/** {@link ChunkRunner}: every chunk runs exactly once, on more threads than cores, and a failure reaches the caller. */
class ChunkRunnerTest {
  @Test
  void everyChunkRunsExactlyOnce() {
    ForkJoinPool pool = new ForkJoinPool(16);
    try {
      for (int count : new int[] {1, 2, 15, 16, 17, 1000}) {
        AtomicIntegerArray runs = new AtomicIntegerArray(count);
        ChunkRunner.run(pool, count, runs::incrementAndGet);
        for (int i = 0; i < count; i++) assertEquals(1, runs.get(i), "chunk " + i + " of " + count);
      }
    } finally {
      pool.shutdown();
    }
  }

  @Test
  void aFailingChunkStopsTheOthersAndReachesTheCaller() {
    ForkJoinPool pool = new ForkJoinPool(4);
    try {
      IllegalArgumentException boom = new IllegalArgumentException("chunk 7");
      IllegalArgumentException thrown = assertThrows(IllegalArgumentException.class, () ->
          ChunkRunner.run(pool, 10_000, chunk -> {
            if (chunk == 7) throw boom;
          }));
      assertSame(boom, thrown);
    } finally {
      pool.shutdown();
    }
  }
}
