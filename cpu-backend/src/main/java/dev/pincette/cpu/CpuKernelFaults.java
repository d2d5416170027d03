package dev.pincette.cpu;

import dev.pincette.spi.KernelArg;
import dev.pincette.spi.KernelFault;
import dev.pincette.spi.KernelLaunch;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Turns what a work item threw on the CPU into what every backend reports: a {@link KernelFault} naming the method,
 * line, array parameter, index and work item for an index out of bounds or a division by zero; anything else the
 * kernel throws reaches the caller as it is.
 */
final class CpuKernelFaults {
  private static final Pattern BOUNDS = Pattern.compile("Index (-?\\d+) out of bounds for length (\\d+)");

  private CpuKernelFaults() {}

  static RuntimeException of(KernelLaunch launch, int item, Throwable thrown) {
    if (thrown instanceof ArrayIndexOutOfBoundsException e) {
      Matcher m = BOUNDS.matcher(String.valueOf(e.getMessage()));
      if (m.find()) {
        int index = Integer.parseInt(m.group(1));
        int length = Integer.parseInt(m.group(2));
        return KernelFault.outOfBounds(where(e, launch), parameter(launch, item, length), index, length, item, e);
      }
    }
    if (thrown instanceof ArithmeticException e && "/ by zero".equals(e.getMessage())) {
      return KernelFault.divisionByZero(where(e, launch), item, e);
    }
    // A kernel that threw often is compiled to throw the JVM's preallocated exception, with no message or stack
    // (OmitStackTraceInFastThrow; found by the API fuzzer): the probe runs the work item again to find the error.
    if ((thrown instanceof ArrayIndexOutOfBoundsException || thrown instanceof ArithmeticException)
        && thrown.getMessage() == null) {
      KernelFault probed = RaceChecker.failure(launch, item, thrown);
      if (probed != null) return probed;
    }
    if (thrown instanceof RuntimeException e) return e;
    if (thrown instanceof Error e) throw e;
    return new IllegalStateException(thrown);
  }

  /**
   * The array parameter the failed access used: the only array of that length, else the one the race checker's
   * instrumented copy of the kernel sees the same work item fail on, else null (the message then says "an array").
   */
  private static String parameter(KernelLaunch launch, int item, int length) {
    List<KernelArg> candidates = new ArrayList<>();
    for (KernelArg a : launch.arguments()) {
      if (a.kind() == KernelArg.Kind.ARRAY && a.length() == length) candidates.add(a);
    }
    if (candidates.size() == 1) return candidates.getFirst().name();
    return RaceChecker.failingParameter(launch, item);
  }

  /** The user's frame the exception came from: {@code Physics.density (Physics.java:42)}. */
  private static String where(Throwable e, KernelLaunch launch) {
    for (StackTraceElement f : e.getStackTrace()) {
      String c = f.getClassName();
      // The user's method threw it, or the JDK (a VarHandle) or Atomics on its behalf: its frame is the first other.
      if (c.startsWith("java.") || c.startsWith("jdk.") || c.startsWith("sun.") || c.equals("dev.pincette.Atomics")) {
        continue;
      }
      return c.substring(c.lastIndexOf('.') + 1) + "." + f.getMethodName() + " ("
          + (f.getFileName() == null ? "Unknown Source" : f.getFileName())
          + (f.getLineNumber() >= 0 ? ":" + f.getLineNumber() : "") + ")";
    }
    return launch.kernel().displayName();
  }
}
