package dev.pincette.opencl;

import static org.lwjgl.opencl.CL10.CL_PROFILING_COMMAND_END;
import static org.lwjgl.opencl.CL10.CL_PROFILING_COMMAND_START;
import static org.lwjgl.opencl.CL10.clGetEventProfilingInfo;
import static org.lwjgl.opencl.CL10.clRetainEvent;

import dev.pincette.spi.BackendException;
import java.nio.LongBuffer;
import java.util.ArrayList;
import java.util.List;
import org.lwjgl.system.MemoryStack;

/**
 * The JFR events of one queue's commands that are still running: each holds a reference to its command's OpenCL
 * event, and is committed with the device's time once the command has ended. Empty unless a recording enables
 * {@code dev.pincette.Kernel} or {@code dev.pincette.Transfer}. Used by the queue's one caller at a time, like the
 * queue.
 */
final class ClTrace {
  private record Pending(long clEvent, ClDeviceEvent event) {}

  private final List<Pending> pending = new ArrayList<>();

  /** Follows the command of {@code clEvent}, keeping a reference of its own to that event until it is committed. */
  void add(long clEvent, ClDeviceEvent event) {
    clRetainEvent(clEvent);
    pending.add(new Pending(clEvent, event));
  }

  /** Commits the events of commands that have ended; with {@code all}, of every command (the queue has drained). */
  void harvest(boolean all) {
    if (pending.isEmpty()) return;
    pending.removeIf(p -> {
      int status;
      try {
        status = ClQueue.status(p.clEvent);
      } catch (BackendException e) {
        status = -36; // CL_INVALID_COMMAND_QUEUE: the runtime no longer knows the command
      }
      if (status > 0 && !all) return false;
      p.event.completed(status == 0 ? deviceNanos(p.clEvent) : ClDeviceEvent.NOT_TIMED,
          status < 0 ? ClError.name(status) : status > 0 ? "not complete when its queue drained" : "");
      ClEventReleases.release(p.clEvent);
      return true;
    });
  }

  private static long deviceNanos(long clEvent) {
    try (MemoryStack stack = MemoryStack.stackPush()) {
      LongBuffer start = stack.mallocLong(1);
      LongBuffer end = stack.mallocLong(1);
      if (clGetEventProfilingInfo(clEvent, CL_PROFILING_COMMAND_START, start, null) != 0
          || clGetEventProfilingInfo(clEvent, CL_PROFILING_COMMAND_END, end, null) != 0) {
        return ClDeviceEvent.NOT_TIMED;
      }
      return end.get(0) - start.get(0);
    }
  }
}
