package dev.pincette.benchmarks;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Debian's OpenBLAS ({@code libopenblas0-pthread}) through FFM: the peer the CPU backend is measured against. The
 * thread count is set with {@code openblas_set_num_threads} so both sides use the same number of cores.
 */
final class OpenBlas implements AutoCloseable {
  private static final int ROW_MAJOR = 101;
  private static final int NO_TRANS = 111;
  private static final List<String> CANDIDATES = List.of(
      "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0", "/usr/lib/x86_64-linux-gnu/libopenblas.so.0",
      "/usr/lib/libopenblas.so.0");

  private final Arena arena = Arena.ofShared();
  private final MethodHandle sgemm;

  OpenBlas(int threads) {
    Path lib = CANDIDATES.stream().map(Path::of).filter(Files::exists).findFirst().orElseThrow(() ->
        new IllegalStateException("OpenBLAS not found: apt-get install libopenblas0-pthread"));
    Linker linker = Linker.nativeLinker();
    SymbolLookup lookup = SymbolLookup.libraryLookup(lib, arena);
    MethodHandle setThreads = linker.downcallHandle(lookup.findOrThrow("openblas_set_num_threads"),
        FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT));
    sgemm = linker.downcallHandle(lookup.findOrThrow("cblas_sgemm"), FunctionDescriptor.ofVoid(
        ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT,
        ValueLayout.JAVA_INT, ValueLayout.JAVA_FLOAT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT, ValueLayout.ADDRESS,
        ValueLayout.JAVA_INT, ValueLayout.JAVA_FLOAT, ValueLayout.ADDRESS, ValueLayout.JAVA_INT));
    try {
      setThreads.invokeExact(threads);
    } catch (Throwable t) {
      throw new IllegalStateException(t);
    }
  }

  /** {@code c = a · b} on native memory segments (row-major), as a BLAS user would call it. */
  void sgemm(MemorySegment a, MemorySegment b, MemorySegment c, int m, int k, int n) {
    try {
      sgemm.invokeExact(ROW_MAJOR, NO_TRANS, NO_TRANS, m, n, k, 1f, a, k, b, n, 0f, c, n);
    } catch (Throwable t) {
      throw new IllegalStateException(t);
    }
  }

  @Override
  public void close() {
    arena.close();
  }
}
