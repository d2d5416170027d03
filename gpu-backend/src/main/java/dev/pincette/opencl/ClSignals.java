package dev.pincette.opencl;

import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.lwjgl.system.JNI;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.system.MemoryUtil;
import org.lwjgl.system.Platform;
import org.lwjgl.system.linux.DynamicLinkLoader;

/**
 * Keeps the JVM's signal handlers installed while an OpenCL runtime lives in the process (on Linux).
 *
 * <p>HotSpot takes SIGSEGV, SIGBUS, SIGILL and SIGFPE in normal operation: a safepoint poll that finds its page
 * armed, an implicit null check, an implicit divide-by-zero check. OpenCL runtimes built on LLVM replace those
 * handlers: PoCL registers a temp file of its kernel cache for removal on a signal while it initialises its devices,
 * which makes LLVM install its crash handler ({@code SA_RESETHAND}) for SIGSEGV, SIGBUS, SIGILL, SIGINT, SIGTERM,
 * SIGQUIT, SIGUSR2 and more; PoCL adds its own SIGFPE handler, which steps over a faulting integer division. The JVM
 * then dies of a plain "Segmentation fault", without an hs_err file, when two threads meet an armed safepoint poll at
 * once: the first enters LLVM's handler, which resets SIGSEGV to the default action before it hands the JVM's handler
 * back, and the second gets that default. And Java's {@code x / 0} stops throwing in compiled code.
 *
 * <p>{@link #capture} records the handlers before the runtime is loaded; {@link #restore} reinstalls each one that a
 * driver replaced, after every step that may load or compile driver code (discovery, context creation, program
 * builds); {@link #check}, after every call, restores them if SIGSEGV's handler changed again. The drivers' handlers
 * only served crashes, and integer division by zero inside kernels; no kernel here divides by a value that can be 0.
 */
final class ClSignals {
  private static final System.Logger LOG = System.getLogger("dev.pincette");
  /** Room for a {@code struct sigaction} (152 bytes on 64-bit Linux), whose first field is the handler. */
  private static final int ACTION_BYTES = 256;
  /** The standard signals; the JVM handles none of the real-time ones. */
  private static final int LAST_SIGNAL = 31;
  private static final int SIGSEGV = 11;
  private static final long SIG_IGN = 1;
  /** {@code sigaction} of the C library, or 0 off Linux. */
  private static final long SIGACTION = lookupSigaction();

  /** The action of each signal that had a handler at {@link #capture}, by signal number; null for the others. */
  private static volatile byte[][] jvmActions;
  /** The handler addresses in {@link #jvmActions}: a signal whose handler is one of these still has the JVM's. */
  private static volatile Set<Long> jvmHandlers = Set.of();

  private ClSignals() {}

  private static long lookupSigaction() {
    try (MemoryStack stack = MemoryStack.stackPush()) {
      if (Platform.get() != Platform.LINUX) return 0;
      long rtldDefault = MemoryUtil.NULL;
      return DynamicLinkLoader.ndlsym(rtldDefault, MemoryUtil.memAddress(stack.ASCII("sigaction")));
    } catch (RuntimeException | LinkageError e) {
      return 0; // LWJGL's natives are missing: no OpenCL runtime will be loaded either
    }
  }

  /** Records the JVM's handlers; called before the OpenCL runtime is loaded, later calls do nothing. */
  static synchronized void capture() {
    if (SIGACTION == 0 || jvmActions != null) return;
    byte[][] actions = new byte[LAST_SIGNAL + 1][];
    Set<Long> handlers = new HashSet<>();
    try (MemoryStack stack = MemoryStack.stackPush()) {
      ByteBuffer action = stack.calloc(ACTION_BYTES);
      for (int signal = 1; signal <= LAST_SIGNAL; signal++) {
        if (!read(signal, action)) continue;
        long handler = action.getLong(0);
        if (handler == 0 || handler == SIG_IGN) continue;
        actions[signal] = new byte[ACTION_BYTES];
        action.get(0, actions[signal]);
        handlers.add(handler);
      }
    }
    jvmHandlers = Set.copyOf(handlers);
    jvmActions = actions;
  }

  /** Reinstalls every handler recorded by {@link #capture} that something in the process has replaced since. */
  static void restore() {
    byte[][] actions = jvmActions;
    if (actions == null) return;
    List<Integer> restored = new ArrayList<>();
    try (MemoryStack stack = MemoryStack.stackPush()) {
      ByteBuffer action = stack.calloc(ACTION_BYTES);
      for (int signal = 1; signal <= LAST_SIGNAL; signal++) {
        if (actions[signal] == null || !read(signal, action) || jvmHandlers.contains(action.getLong(0))) continue;
        action.put(0, actions[signal]);
        if (JNI.invokePPI(signal, MemoryUtil.memAddress(action), MemoryUtil.NULL, SIGACTION) == 0) {
          restored.add(signal);
        }
      }
    }
    if (!restored.isEmpty()) {
      LOG.log(Level.DEBUG, "pincette: the OpenCL runtime replaced the JVM's handlers of signals " + restored
          + "; restored them");
    }
  }

  /** {@link #restore} if SIGSEGV's handler is no longer the JVM's: cheap enough to run after every call. */
  static void check() {
    byte[][] actions = jvmActions;
    if (actions == null || actions[SIGSEGV] == null) return;
    boolean replaced;
    try (MemoryStack stack = MemoryStack.stackPush()) {
      ByteBuffer action = stack.calloc(ACTION_BYTES);
      replaced = read(SIGSEGV, action) && !jvmHandlers.contains(action.getLong(0));
    }
    if (replaced) restore();
  }

  private static boolean read(int signal, ByteBuffer action) {
    return JNI.invokePPI(signal, MemoryUtil.NULL, MemoryUtil.memAddress(action), SIGACTION) == 0;
  }
}
