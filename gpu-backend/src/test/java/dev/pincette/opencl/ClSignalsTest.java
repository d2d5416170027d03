package dev.pincette.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lwjgl.system.Platform;

/**
 * The JVM keeps its own handlers of the signals it uses in normal operation while an OpenCL runtime is loaded (see
 * {@link ClSignals}). PoCL's LLVM replaced them: two threads meeting a safepoint poll at once then killed the JVM
 * with a plain "Segmentation fault", and a Java division by zero stopped throwing.
 */
class ClSignalsTest {
  /** Linux's numbers of the signals HotSpot handles in compiled code. */
  private static final Map<String, Integer> JVM_SIGNALS = Map.of("SIGILL", 4, "SIGBUS", 7, "SIGFPE", 8, "SIGSEGV", 11);

  @TempDir
  Path emptyCache;

  private static ClBackend compilingBackend(Path cacheDir) {
    assumeTrue(Platform.get() == Platform.LINUX, "signal handlers are guarded on Linux");
    ClBackend backend = new ClBackend(null, cacheDir, false, true);
    ClTestDevice.require(backend);
    return backend;
  }

  @Test
  void theJvmKeepsItsSignalHandlersWhenTheRuntimeLoadsAndCompiles() throws Throwable {
    try (ClBackend backend = compilingBackend(emptyCache)) {
      assertEquals(6.0, backend.sum(new float[] {1, 2, 3}));
      float[] product = backend.matmul(new float[] {1, 2, 3, 4}, new float[] {1, 0, 0, 1}, 2, 2, 2);
      assertEquals(4f, product[3]);
      for (Map.Entry<String, Integer> signal : JVM_SIGNALS.entrySet()) {
        String library = handlerLibrary(signal.getValue());
        assertTrue(library.endsWith("/libjvm.so"), signal.getKey() + " is handled by " + library);
      }
    }
  }

  @Test
  void integerDivisionByZeroStillThrowsOnceTheRuntimeIsLoaded() {
    try (ClBackend backend = compilingBackend(emptyCache)) {
      assertEquals(3.0, backend.sum(new float[] {1, 2}));
      int calls = 200_000; // enough for the JIT to compile divide(), whose zero check is the CPU's trap
      int thrown = 0;
      long sum = 0;
      for (int i = 0; i < calls; i++) {
        try {
          sum += divide(i, i & 1);
        } catch (ArithmeticException e) {
          thrown++;
        }
      }
      assertEquals(calls / 2, thrown, "divisions by zero that threw; sum of the others " + sum);
    }
  }

  private static int divide(int dividend, int divisor) {
    return dividend / divisor;
  }

  /** The file of the shared object holding the current handler of {@code signal}, as {@code dladdr} names it. */
  private static String handlerLibrary(int signal) throws Throwable {
    Linker linker = Linker.nativeLinker();
    MethodHandle sigaction = linker.downcallHandle(linker.defaultLookup().find("sigaction").orElseThrow(),
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    MethodHandle dladdr = linker.downcallHandle(linker.defaultLookup().find("dladdr").orElseThrow(),
        FunctionDescriptor.of(ValueLayout.JAVA_INT, ValueLayout.ADDRESS, ValueLayout.ADDRESS));
    try (Arena arena = Arena.ofConfined()) {
      MemorySegment action = arena.allocate(256);
      MemorySegment info = arena.allocate(4 * ValueLayout.ADDRESS.byteSize());
      assertEquals(0, (int) sigaction.invokeExact(signal, MemorySegment.NULL, action));
      MemorySegment handler = MemorySegment.ofAddress(action.get(ValueLayout.JAVA_LONG, 0));
      if ((int) dladdr.invokeExact(handler, info) == 0) return "no shared object (" + handler + ")";
      return info.get(ValueLayout.ADDRESS, 0).reinterpret(4096).getString(0);
    }
  }
}
