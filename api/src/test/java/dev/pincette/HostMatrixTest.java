package dev.pincette;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pincette.spi.HostMemory;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A host matrix's lifetime: the caller's view ends at close, the memory when the last call using it releases it. */
class HostMatrixTest {
  /** Off-heap memory that counts how often it is freed. */
  private static final class Counted implements HostMemory {
    final HostMemory inner = HostMemory.offHeap(64);
    final AtomicInteger frees = new AtomicInteger();

    @Override
    public MemorySegment segment() {
      return inner.segment();
    }

    @Override
    public boolean pinned() {
      return false;
    }

    @Override
    public void close() {
      frees.incrementAndGet();
      inner.close();
    }
  }

  @Test
  void closingWhileACallHoldsTheMemoryFreesItWhenTheCallReleasesIt() {
    Counted memory = new Counted();
    HostMatrix m = new HostMatrix(4, 4, memory);
    m.set(3, 3, 7f);
    MemorySegment view = m.segment();
    MemorySegment held = m.acquire("matmul");
    m.close();
    assertTrue(m.isClosed());
    assertThrows(IllegalStateException.class, () -> view.get(ValueLayout.JAVA_FLOAT, 0), "the caller's view ended");
    assertEquals(7f, held.getAtIndex(ValueLayout.JAVA_FLOAT, 15), "the call still reads the memory");
    assertEquals(0, memory.frees.get());
    m.release();
    assertEquals(1, memory.frees.get());
    m.close();
    assertEquals(1, memory.frees.get(), "freed once");
    assertEquals("matmul: the HostMatrix 4x4 is closed",
        assertThrows(IllegalStateException.class, () -> m.acquire("matmul")).getMessage());
  }

  @Test
  void closingAnIdleMatrixFreesItAtOnceAndOnlyOnce() {
    Counted memory = new Counted();
    HostMatrix m = new HostMatrix(2, 8, memory);
    m.acquire("a");
    m.acquire("b");
    m.release();
    m.release();
    assertEquals(0, memory.frees.get());
    m.close();
    m.close();
    assertEquals(1, memory.frees.get());
    assertFalse(m.isPinned());
  }

  /**
   * A blocking read from a pipe into the segment holds its view (NIO acquires the memory for the read): close() then
   * throws and frees nothing, since the read would write into freed memory; once the read is over, close() frees it.
   */
  @Test
  void closingWhileAnotherThreadStillHoldsTheViewFreesNothing() throws Exception {
    Counted memory = new Counted();
    HostMatrix m = new HostMatrix(4, 4, memory);
    java.nio.channels.Pipe pipe = java.nio.channels.Pipe.open();
    java.nio.ByteBuffer into = m.segment().asByteBuffer();
    AtomicInteger got = new AtomicInteger(-1);
    Thread reader = Thread.ofPlatform().start(() -> {
      try {
        got.set(pipe.source().read(into));
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    // The view is held once the reader is inside the native read.
    long deadline = System.nanoTime() + 10_000_000_000L;
    while (java.util.Arrays.stream(reader.getStackTrace()).noneMatch(f -> f.isNativeMethod()
        && f.getMethodName().startsWith("read")) && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    IllegalStateException busy = assertThrows(IllegalStateException.class, m::close, "the view is held by the read");
    assertTrue(busy.getMessage().contains("in use"), busy.getMessage());
    assertEquals(0, memory.frees.get(), "nothing freed under the read");
    assertFalse(m.isClosed());
    pipe.sink().write(java.nio.ByteBuffer.wrap(new byte[] {1, 2, 3, 4}));
    reader.join(10_000);
    assertEquals(4, got.get());
    m.close();
    assertTrue(m.isClosed());
    assertEquals(1, memory.frees.get());
    pipe.sink().close();
    pipe.source().close();
  }
}
