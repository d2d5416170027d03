package dev.pincette.cpu;

import dev.pincette.spi.KernelArg;
import dev.pincette.spi.KernelFault;
import dev.pincette.spi.KernelLaunch;
import dev.pincette.spi.KernelMethod;
import dev.pincette.translate.KernelModel;
import dev.pincette.translate.KernelTranslator;
import dev.pincette.translate.UnsupportedKernelException;
import java.util.IdentityHashMap;
import java.util.Map;

/**
 * Race-checking mode ({@code Compute.checkingRaces()}, {@code -Dpincette.kernel.checkRaces=true}): runs a kernel on
 * the calling thread, one work item after another, through an instrumented copy of its methods whose every array
 * access reports to a recorder first. The recorder keeps, per element, the work item that wrote it, up to two that
 * read it and one that updated it atomically, and throws at the first element two work items use in conflict.
 *
 * <p>Why a copy of the bytecode rather than an interpreter of the translator's model: the copy is the user's own
 * code, run by the JVM with Java's semantics by construction (an interpreter would be a second implementation of
 * every operation, to keep equal to the JVM), and it runs compiled, so checking a large call takes seconds, not
 * minutes. It uses the translator only to know which methods the kernel calls and which constants it reads, so the
 * kernels it checks are those a device can run. Memory: 16 bytes per element of each array a checked call touches.
 */
final class RaceChecker {
  private RaceChecker() {}

  /** {@code Compute.forEach} in race-checking mode. */
  static void forEach(KernelLaunch launch) {
    run(launch, false);
  }

  /** {@code Compute.sum} in race-checking mode. */
  static double sum(KernelLaunch launch) {
    return run(launch, true);
  }

  private static double run(KernelLaunch launch, boolean sum) {
    RaceCopy copy = copy(launch.kernel());
    Races races = new Races(launch, copy);
    RaceRecorder.CURRENT.set(races);
    try {
      Object[] arguments = launch.values();
      if (sum) return copy.loop().sum(0, launch.n(), arguments);
      copy.loop().run(0, launch.n(), arguments);
      return 0;
    } catch (IllegalAccessError | NoClassDefFoundError e) {
      // The copy, a hidden class of Pincette's, reached something of the user's it may not (a private class).
      // For a kernel the translator refused, its reason names what the copy could not reach (a private field).
      throw new IllegalArgumentException("race checking cannot run " + launch.kernel().displayName()
          + (copy.refusal() != null ? ": " + copy.refusal() : "") + " (" + e + ")", e);
    } finally {
      RaceRecorder.CURRENT.remove();
    }
  }

  /**
   * The array parameter work item {@code item} indexes out of bounds, found by running that item alone through the
   * instrumented copy, on copies of the arrays (the item sees its own writes, as when it failed, and the caller's
   * arrays keep what the kernel left); null when the kernel cannot be copied or the failure does not repeat. Whatever
   * the rerun throws, an {@link Error} included, only means it did not find the array (the caller reports the
   * original failure); the JVM's own errors (out of memory) pass.
   */
  static String failingParameter(KernelLaunch launch, int item) {
    Probe probe = probe(launch, item);
    return probe == null ? null : probe.found;
  }

  /**
   * The error of work item {@code item} found as {@link #failingParameter} finds it: an index out of bounds (with the
   * array, index, length, method and line) or a division by zero; null when the kernel cannot be copied or the
   * failure does not repeat.
   */
  static KernelFault failure(KernelLaunch launch, int item, Throwable origin) {
    Probe probe = probe(launch, item);
    if (probe == null || probe.where == null) return null;
    return probe.dividedByZero ? KernelFault.divisionByZero(probe.where, item, origin)
        : KernelFault.outOfBounds(probe.where, probe.found, probe.index, probe.length, item, origin);
  }

  private static Probe probe(KernelLaunch launch, int item) {
    RaceCopy copy;
    try {
      copy = copy(launch.kernel());
    } catch (RuntimeException e) {
      return null;
    }
    Object[] values = launch.values();
    Map<Object, Object> copies = new IdentityHashMap<>();
    Map<Object, String> names = new IdentityHashMap<>();
    for (int k = 0; k < values.length; k++) {
      KernelArg a = launch.arguments().get(k);
      if (a.kind() != KernelArg.Kind.ARRAY) continue;
      values[k] = copies.computeIfAbsent(a.value(), RaceChecker::copyOf);
      names.putIfAbsent(values[k], a.name());
    }
    Probe probe = new Probe(names, copy);
    RaceRecorder.Access previous = RaceRecorder.CURRENT.get();
    RaceRecorder.CURRENT.set(probe);
    try {
      if (launch.kernel().returnsTerm()) copy.loop().sum(item, item + 1, values);
      else copy.loop().run(item, item + 1, values);
    } catch (VirtualMachineError e) {
      throw e;
    } catch (Throwable e) {
      // The probe stops the work item at its first failing access, or the work item failed otherwise.
    } finally {
      if (previous != null) RaceRecorder.CURRENT.set(previous);
      else RaceRecorder.CURRENT.remove();
    }
    return probe;
  }

  private static Object copyOf(Object array) {
    int length = java.lang.reflect.Array.getLength(array);
    Object copy = java.lang.reflect.Array.newInstance(array.getClass().componentType(), length);
    System.arraycopy(array, 0, copy, 0, length);
    return copy;
  }

  /**
   * The kernel's instrumented copy, made once: from the translator's model, or for a kernel only the CPU runs from its
   * static calls found in the bytecode ({@link RaceCalls}); or why the kernel cannot be copied.
   */
  private static RaceCopy copy(KernelMethod kernel) {
    Object copy = kernel.state(RaceChecker.class, k -> {
      KernelModel model = null;
      String refusal = null;
      try {
        model = KernelTranslator.shared().translate(k.owner(), k.name(), k.type());
      } catch (UnsupportedKernelException e) {
        if (!e.lasting()) throw new IllegalArgumentException("race checking cannot copy " + e.getMessage(), e);
        refusal = e.getMessage();
      }
      try {
        if (model != null) return RaceCopy.define(k, model);
        RaceCalls.Found found = RaceCalls.of(k);
        return RaceCopy.define(k, found.methods(), found.constants()).refused(refusal);
      } catch (RuntimeException | LinkageError e) {
        return "race checking cannot copy " + k.displayName() + ": " + refusal + " (" + e + ")";
      }
    });
    if (copy instanceof String why) throw new IllegalArgumentException(why);
    return (RaceCopy) copy;
  }

  /** The names of the array arguments by identity; an array passed twice has the first parameter's name. */
  private static Map<Object, String> names(KernelLaunch launch) {
    Map<Object, String> names = new IdentityHashMap<>();
    for (KernelArg a : launch.arguments()) {
      if (a.kind() == KernelArg.Kind.ARRAY) names.putIfAbsent(a.value(), a.name());
    }
    return names;
  }

  /** Records who reads and writes each element; throws at the first race. */
  private static final class Races implements RaceRecorder.Access {
    private final KernelLaunch launch;
    private final RaceCopy copy;
    private final Map<Object, String> names;
    private final Map<Object, Shadow> shadows = new IdentityHashMap<>();
    private int item;

    Races(KernelLaunch launch, RaceCopy copy) {
      this.launch = launch;
      this.copy = copy;
      this.names = names(launch);
    }

    /** Per element: work item + 1 that wrote it, the first two that read it, the first that updated it atomically. */
    private record Shadow(int[] writer, int[] reader, int[] otherReader, int[] atomic) {
      Shadow(int length) {
        this(new int[length], new int[length], new int[length], new int[length]);
      }
    }

    @Override
    public void begin(int item) {
      this.item = item;
    }

    private Shadow shadow(Object array, int index, int length) {
      if (index < 0 || index >= length) {
        throw RaceRecorder.outOfBounds(copy.where(), names.get(array), index, length, item);
      }
      return shadows.computeIfAbsent(array, a -> new Shadow(length));
    }

    @Override
    public void read(Object array, int index, int length) {
      Shadow s = shadow(array, index, length);
      int me = item + 1;
      if (s.writer[index] != 0 && s.writer[index] != me) {
        throw race(array, index, s.writer[index] - 1, "writes", "reads");
      }
      if (s.atomic[index] != 0 && s.atomic[index] != me) {
        throw race(array, index, s.atomic[index] - 1, "updates atomically", "reads without an atomic");
      }
      if (s.reader[index] == 0) s.reader[index] = me;
      else if (s.reader[index] != me && s.otherReader[index] == 0) s.otherReader[index] = me;
    }

    @Override
    public boolean write(Object array, int index, int length) {
      Shadow s = shadow(array, index, length);
      int me = item + 1;
      if (s.writer[index] != 0 && s.writer[index] != me) {
        throw race(array, index, s.writer[index] - 1, "writes", "writes");
      }
      checkReaders(array, index, s, me, "writes");
      if (s.atomic[index] != 0 && s.atomic[index] != me) {
        throw race(array, index, s.atomic[index] - 1, "updates atomically", "writes without an atomic");
      }
      s.writer[index] = me;
      return true;
    }

    @Override
    public boolean atomic(Object array, int index, int length) {
      Shadow s = shadow(array, index, length);
      int me = item + 1;
      if (s.writer[index] != 0 && s.writer[index] != me) {
        throw race(array, index, s.writer[index] - 1, "writes without an atomic", "updates atomically");
      }
      checkReaders(array, index, s, me, "updates atomically");
      if (s.atomic[index] == 0) s.atomic[index] = me;
      return true;
    }

    private void checkReaders(Object array, int index, Shadow s, int me, String what) {
      // A plain read races with another work item's atomic update too, even by an item that updates it atomically
      // itself: only atomic updates on both sides are no race.
      for (int reader : new int[] {s.reader[index], s.otherReader[index]}) {
        if (reader != 0 && reader != me) throw race(array, index, reader - 1, "reads", what);
      }
    }

    private IllegalStateException race(Object array, int index, int other, String otherDoes, String thisDoes) {
      String element = names.getOrDefault(array, "an array") + "[" + index + "]";
      return new IllegalStateException("race in " + copy.where() + ": work item " + other + " " + otherDoes + " "
          + element + " and work item " + item + " " + thisDoes + " it (kernel " + launch.kernel().displayName()
          + ")");
    }

    @Override
    public RuntimeException divisionByZero() {
      return dev.pincette.spi.KernelFault.divisionByZero(copy.where(), item, null);
    }
  }

  /** Runs one work item on copies of the arrays, and stops at its first access out of bounds, noting the array. */
  private static final class Probe implements RaceRecorder.Access {
    private static final RuntimeException STOP = new RuntimeException("probe done", null, false, false) { };
    private final Map<Object, String> names;
    private final RaceCopy copy;
    String found;
    String where;
    int index;
    int length;
    boolean dividedByZero;

    Probe(Map<Object, String> names, RaceCopy copy) {
      this.names = names;
      this.copy = copy;
    }

    @Override
    public void begin(int item) {}

    private void check(Object array, int index, int length) {
      if (index < 0 || index >= length) {
        found = names.get(array);
        where = copy.where();
        this.index = index;
        this.length = length;
        throw STOP;
      }
    }

    @Override
    public void read(Object array, int index, int length) {
      check(array, index, length);
    }

    @Override
    public boolean write(Object array, int index, int length) {
      check(array, index, length);
      return true;
    }

    @Override
    public boolean atomic(Object array, int index, int length) {
      check(array, index, length);
      return true;
    }

    @Override
    public RuntimeException divisionByZero() {
      dividedByZero = true;
      where = copy.where();
      return STOP;
    }
  }
}
