package dev.pincette.opencl;

import dev.pincette.spi.BackendException;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Test hook: makes the next OpenCL enqueue or allocation whose call name starts with a prefix fail as if the driver
 * had answered {@code CL_OUT_OF_RESOURCES}, to prove that every failure falls back cleanly. A wait for a pipeline's
 * commands ({@code clWaitForEvents(matmul)}) fails the same way after they ran, as when a command fails on the
 * device after it was enqueued.
 *
 * <pre>{@code
 * ClFaults.failNext("clEnqueueNDRangeKernel");   // or "clCreateBuffer", "clEnqueueWriteBuffer", "clEnqueue",
 *                                                // "clBuildProgram(matmul_mma.cl)" (a driver refusing a program),
 *                                                // "clFinish(spatial.update)" (a queue that cannot be drained)
 * float[] c = Compute.on(BackendKind.OPENCL).matmul(a, 64, 64, b, 64, 64);   // reruns on the CPU
 * }</pre>
 */
public final class ClFaults {
  /** The armed call-name prefix, or null; one armed fault fires once, on whichever thread gets there first. */
  private static final AtomicReference<String> ARMED = new AtomicReference<>();
  /** A call-name prefix that fails every time until {@link #clear}, or null. */
  private static final AtomicReference<String> ALWAYS = new AtomicReference<>();

  private ClFaults() {}

  /** Arms one fault for the next call named like {@code callPrefix}, e.g. {@code clEnqueueNDRangeKernel(matmul}. */
  public static void failNext(String callPrefix) {
    ARMED.set(java.util.Objects.requireNonNull(callPrefix, "callPrefix"));
  }

  /** Makes every call named like {@code callPrefix} fail until {@link #clear}: a driver that always refuses it. */
  public static void failEvery(String callPrefix) {
    ALWAYS.set(java.util.Objects.requireNonNull(callPrefix, "callPrefix"));
  }

  /** Disarms every fault. */
  public static void clear() {
    ARMED.set(null);
    ALWAYS.set(null);
  }

  /** Whether a one-time fault is armed and has not fired yet. */
  public static boolean armed() {
    return ARMED.get() != null;
  }

  /**
   * Whether a fault armed for {@code call} fires now, for faults that are not exceptions: {@code
   * kernelFailure(matmul)} makes the next resident product's kernel wait on an event that fails, so that the kernel
   * itself fails on the device after it was enqueued (on runtimes that spread a failure to the commands waiting on it,
   * as PoCL does; others run it anyway, and the product counts as failed all the same).
   */
  static boolean fires(String call) {
    String prefix = ARMED.get();
    return prefix != null && call.startsWith(prefix) && ARMED.compareAndSet(prefix, null);
  }

  /** Called before each enqueue and allocation, and after a wait; throws if a fault armed for {@code call} fires. */
  static void check(String call) {
    String always = ALWAYS.get();
    if (always != null && call.startsWith(always)) {
      throw new BackendException("CL_OUT_OF_RESOURCES in " + call + " (injected by ClFaults, every time)");
    }
    String prefix = ARMED.get();
    if (prefix != null && call.startsWith(prefix) && ARMED.compareAndSet(prefix, null)) {
      throw new BackendException("CL_OUT_OF_RESOURCES in " + call + " (injected by ClFaults)");
    }
  }
}
