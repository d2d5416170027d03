package dev.pincette.spi;

import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;

/**
 * One kernel call as a backend receives it: the kernel, the number of work items and the argument table, validated.
 * On return from {@link Backend#forEach(KernelLaunch)}, every array the kernel writes must hold what running the
 * method for each index in {@code [0, n)} on the CPU leaves there; a resident it writes holds it once
 * {@link Resident#computed()} (a device may return as soon as the kernel is enqueued).
 *
 * @param kernel the resolved kernel
 * @param n work items, at least 1
 * @param arguments one per parameter after the index, in order
 * @param checkRaces whether the call records which work item reads and writes each element and throws on a race (the
 *     CPU backend only)
 */
public record KernelLaunch(KernelMethod kernel, int n, List<KernelArg> arguments, boolean checkRaces) {
  public KernelLaunch {
    arguments = List.copyOf(arguments);
  }

  /** The argument values in parameter order (the index excluded), for calling the method. */
  public Object[] values() {
    Object[] values = new Object[arguments.size()];
    for (int k = 0; k < values.length; k++) values[k] = arguments.get(k).value();
    return values;
  }

  /** Whether some argument is a {@link Resident}. */
  public boolean hasResidents() {
    for (KernelArg a : arguments) {
      if (a.kind() == KernelArg.Kind.RESIDENT) return true;
    }
    return false;
  }

  /**
   * This launch as a backend on host memory runs it: every resident argument replaced by its host array
   * ({@link Resident#hostArray()}, a download for a device's), so the method reads and writes the data in place. After
   * running it, call {@link #hostWritten()}.
   */
  public KernelLaunch onHost() {
    if (!hasResidents()) return this;
    List<KernelArg> host = new ArrayList<>(arguments.size());
    // A resident passed twice is one array, as a Java array passed twice is.
    Map<Object, KernelArg> seen = new IdentityHashMap<>();
    for (KernelArg a : arguments) {
      if (a.kind() != KernelArg.Kind.RESIDENT) {
        host.add(a);
        continue;
      }
      KernelArg first = seen.get(a.value());
      KernelArg mine = first == null ? a.onHost() : new KernelArg(a.parameter(), a.name(), KernelArg.Kind.ARRAY,
          a.type(), first.value(), a.read(), a.written());
      if (first == null) seen.put(a.value(), mine);
      host.add(mine);
    }
    return new KernelLaunch(kernel, n, host, checkRaces);
  }

  /**
   * Tells every resident argument the kernel may have written that its host array holds the data now (see
   * {@link Resident#hostWritten()}); also after a kernel that failed midway, whose writes stay as on the CPU.
   */
  public void hostWritten() {
    for (KernelArg a : arguments) {
      if (a.kind() == KernelArg.Kind.RESIDENT && a.written()) ((Resident) a.value()).hostWritten();
    }
  }
}
