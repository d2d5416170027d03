package dev.pincette.opencl;

import dev.pincette.spi.KernelFault;
import java.nio.ByteBuffer;
import java.util.function.Function;

/**
 * A Java kernel enqueued on resident arrays, whose call returned before it ran: what {@link ClResidentStore} needs to
 * settle it. Its command and the read of its error record that follows it are in {@link #events}; once they are done,
 * the record (read into native memory at {@link #record}) says whether the kernel failed as the CPU would throw.
 * Until then every resident it uses stays pinned, and each array it writes names it as its last writer. Its state
 * after the construction is read and written only under the store's lock.
 */
final class ClKernelCommand {
  /** The kernel, for messages. */
  final String kernel;
  /** The queue it was enqueued on: kernels after it on the same queue need not wait for its event. */
  final ClQueue queue;
  /** The kernel's event, the record read's, and any event it waited for that is to count as its own; retained. */
  final long[] events;
  /** The device error record, a pooled buffer given back once the command is settled. */
  final long errors;
  /** Host memory the record is read into (a {@link ClRecordSlots} slot, or native memory), given back once settled. */
  final long record;
  /** The residents the kernel uses, each pinned once for it; the arrays it writes. */
  final ClResident[] used;
  final ClResident[] written;
  /** The kernels enqueued before it that write what it uses: their failures and errors are its own too. */
  ClKernelCommand[] writtenBefore;
  /** The kernel's error from its record, as the CPU would throw it. */
  final Function<ByteBuffer, KernelFault> faultOf;

  /** Whether the command is settled: its pins, events and buffers are given back. */
  boolean done;
  /** Why its results were lost with a failed device command (its own or one before it), or null. */
  String failure;
  /** The kernel's own error, or null. */
  KernelFault fault;
  /**
   * The kernel whose error its results follow: itself, or one before it that wrote what it read (on the CPU the chain
   * would have stopped there), or null.
   */
  ClKernelCommand faultFrom;
  /** An error not yet thrown that an array it uses followed when it was enqueued (its writer was settled already). */
  ClKernelCommand inherited;
  /** Whether {@link #fault} was thrown to a caller already (it is thrown once). */
  boolean reported;

  ClKernelCommand(String kernel, ClQueue queue, long[] events, long errors, long record, ClResident[] used, ClResident[] written,
      ClKernelCommand[] writtenBefore, Function<ByteBuffer, KernelFault> faultOf) {
    this.kernel = kernel;
    this.queue = queue;
    this.events = events;
    this.errors = errors;
    this.record = record;
    this.used = used;
    this.written = written;
    this.writtenBefore = writtenBefore;
    this.faultOf = faultOf;
  }
}
