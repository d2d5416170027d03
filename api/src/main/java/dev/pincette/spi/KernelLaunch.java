package dev.pincette.spi;

import java.util.List;

/**
 * One kernel call as a backend receives it: the kernel, the number of work items and the argument table, validated.
 * On return from {@link Backend#forEach(KernelLaunch)}, every array the kernel writes must hold what running the
 * method for each index in {@code [0, n)} on the CPU leaves there.
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
}
