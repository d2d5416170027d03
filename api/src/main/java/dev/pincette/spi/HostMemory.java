package dev.pincette.spi;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;

/**
 * Native host memory for a {@code HostMatrix}, owned by this object and freed by {@link #close()}. A device backend
 * may page-lock ("pin") it so DMA engines read and write it directly; otherwise it is ordinary off-heap memory.
 */
public interface HostMemory extends AutoCloseable {
  /** The whole allocation, 64-byte aligned or better; valid until {@link #close()}. */
  MemorySegment segment();

  /** Whether the memory is page-locked for a device's DMA engines. */
  boolean pinned();

  /** Frees the memory. Called once, when nothing uses it any more. */
  @Override
  void close();

  /** {@code bytes} of ordinary off-heap memory, zeroed. */
  static HostMemory offHeap(long bytes) {
    Arena arena = Arena.ofShared();
    MemorySegment segment = arena.allocate(bytes, 64);
    return new HostMemory() {
      @Override
      public MemorySegment segment() {
        return segment;
      }

      @Override
      public boolean pinned() {
        return false;
      }

      @Override
      public void close() {
        arena.close();
      }
    };
  }
}
