package dev.pincette.benchmarks;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * OpenBLAS through FFM: the peer the CPU backend is measured against. It loads the newest OpenBLAS a user would have,
 * the one inside numpy's wheel (found by asking {@code python3}), else Debian's {@code libopenblas0-pthread};
 * {@code -Dpincette.openblas=/path/lib.so} names one. The thread count is set so both sides use the same cores.
 *
 * <p>numpy's wheels ship {@code scipy-openblas}, whose symbols carry a prefix and, for 64-bit integers, a suffix
 * ({@code scipy_cblas_sgemm64_}); each spelling is tried in turn, with integer arguments as wide as its suffix says.
 */
final class OpenBlas implements AutoCloseable {
  private static final int ROW_MAJOR = 101;
  private static final int NO_TRANS = 111;
  private static final List<String> SYSTEM_CANDIDATES = List.of(
      "/usr/lib/x86_64-linux-gnu/openblas-pthread/libopenblas.so.0", "/usr/lib/x86_64-linux-gnu/libopenblas.so.0",
      "/usr/lib/libopenblas.so.0");
  /** Prefix and suffix of each symbol spelling: scipy-openblas ILP64 and LP64, numpy 1.x's openblas64_, plain. */
  private static final String[][] SPELLINGS = {{"scipy_", "64_"}, {"scipy_", ""}, {"", "64_"}, {"", ""}};
  private static final String FIND_IN_NUMPY = "import glob, os, numpy\n"
      + "d = os.path.dirname(numpy.__file__)\n"
      + "for p in sorted(glob.glob(d + '.libs/*openblas*.so*') + glob.glob(os.path.join(os.path.dirname(d),"
      + " 'scipy_openblas*', 'lib', '*.so*'))): print(p)\n";

  private final Arena arena = Arena.ofShared();
  private final MethodHandle sgemm;
  private final boolean wideInts;
  private final String description;

  OpenBlas(int threads) {
    Path lib = locate();
    Linker linker = Linker.nativeLinker();
    SymbolLookup lookup = SymbolLookup.libraryLookup(lib, arena);
    String prefix = null, suffix = null;
    for (String[] spelling : SPELLINGS) {
      if (lookup.find(spelling[0] + "cblas_sgemm" + spelling[1]).isPresent()) {
        prefix = spelling[0];
        suffix = spelling[1];
        break;
      }
    }
    if (prefix == null) throw new IllegalStateException("no cblas_sgemm in " + lib);
    wideInts = suffix.equals("64_");
    ValueLayout blasInt = wideInts ? ValueLayout.JAVA_LONG : ValueLayout.JAVA_INT;
    sgemm = linker.downcallHandle(lookup.findOrThrow(prefix + "cblas_sgemm" + suffix), FunctionDescriptor.ofVoid(
        ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, blasInt, blasInt, blasInt,
        ValueLayout.JAVA_FLOAT, ValueLayout.ADDRESS, blasInt, ValueLayout.ADDRESS, blasInt, ValueLayout.JAVA_FLOAT,
        ValueLayout.ADDRESS, blasInt));
    MethodHandle setThreads = linker.downcallHandle(lookup.findOrThrow(prefix + "openblas_set_num_threads" + suffix),
        FunctionDescriptor.ofVoid(ValueLayout.JAVA_INT));
    try {
      setThreads.invokeExact(threads);
    } catch (Throwable t) {
      throw new IllegalStateException(t);
    }
    description = text(linker, lookup, prefix + "openblas_get_config" + suffix) + ", core "
        + text(linker, lookup, prefix + "openblas_get_corename" + suffix) + ", " + threads + " threads, " + lib;
  }

  /** Version, build options, the kernel chosen for this CPU, threads and library path, for the report. */
  String description() {
    return description;
  }

  /** {@code c = a · b} on native memory segments (row-major), as a BLAS user would call it. */
  void sgemm(MemorySegment a, MemorySegment b, MemorySegment c, int m, int k, int n) {
    try {
      if (wideInts) {
        sgemm.invokeExact(ROW_MAJOR, NO_TRANS, NO_TRANS, (long) m, (long) n, (long) k, 1f, a, (long) k, b, (long) n,
            0f, c, (long) n);
      } else {
        sgemm.invokeExact(ROW_MAJOR, NO_TRANS, NO_TRANS, m, n, k, 1f, a, k, b, n, 0f, c, n);
      }
    } catch (Throwable t) {
      throw new IllegalStateException(t);
    }
  }

  @Override
  public void close() {
    arena.close();
  }

  private static Path locate() {
    String named = System.getProperty("pincette.openblas");
    if (named != null) return Path.of(named);
    List<Path> found = new ArrayList<>(numpyLibraries());
    for (String candidate : SYSTEM_CANDIDATES) {
      if (Files.exists(Path.of(candidate))) found.add(Path.of(candidate));
    }
    return found.stream().findFirst().orElseThrow(() -> new IllegalStateException(
        "OpenBLAS not found: pip install numpy, apt-get install libopenblas0-pthread, or -Dpincette.openblas=PATH"));
  }

  /** The OpenBLAS libraries of the numpy that {@code python3} imports, or none. */
  private static List<Path> numpyLibraries() {
    try {
      Process p = new ProcessBuilder("python3", "-c", FIND_IN_NUMPY).redirectErrorStream(false).start();
      p.getOutputStream().close();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) return List.of();
      return out.lines().filter(l -> !l.isBlank()).map(Path::of).toList();
    } catch (IOException e) {
      return List.of();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return List.of();
    }
  }

  private static String text(Linker linker, SymbolLookup lookup, String symbol) {
    Optional<MemorySegment> function = lookup.find(symbol);
    if (function.isEmpty()) return "?";
    try {
      MethodHandle h = linker.downcallHandle(function.get(), FunctionDescriptor.of(ValueLayout.ADDRESS.withTargetLayout(
          MemoryLayout.sequenceLayout(4096, ValueLayout.JAVA_BYTE))));
      MemorySegment s = (MemorySegment) h.invokeExact();
      return s.getString(0).strip();
    } catch (Throwable t) {
      return "?";
    }
  }
}
