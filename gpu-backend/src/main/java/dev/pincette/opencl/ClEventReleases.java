package dev.pincette.opencl;

import static org.lwjgl.opencl.CL10.clReleaseEvent;

import java.util.concurrent.ConcurrentLinkedQueue;

/**
 * Where the OpenCL backend gives up its references to events: at once, or, once this JVM has made a device command
 * fail on purpose ({@link ClQueue#failingUserEvent}, fault injection only), a second later. PoCL 3.1 fails the commands
 * that wait on a failed one in {@code pocl_update_event_failed}, which unlocks the dependent event, finishes it (the
 * command's own {@code clReleaseEvent} included) and locks it again: when the application's reference was already
 * gone, the event is freed before the relock and PoCL aborts the JVM ("PTHREAD ERROR in pocl_update_event_failed",
 * once in a 10-minute soak with injected failures). Real device failures do not fail dependents this way on the
 * drivers seen, so production releases stay immediate.
 */
final class ClEventReleases {
  /** How long a reference outlives its release while deferring: far longer than PoCL's finish-and-relock. */
  private static final long DELAY_NANOS = 1_000_000_000L;

  private static volatile boolean deferring;
  /** Events and when to release them, in the order they were released (so in due order). */
  private static final ConcurrentLinkedQueue<long[]> PENDING = new ConcurrentLinkedQueue<>();

  private ClEventReleases() {}

  /** From now on, releases wait {@link #DELAY_NANOS}: an event's command is about to fail on purpose. */
  static void deferFromNowOn() {
    if (deferring) return;
    synchronized (ClEventReleases.class) {
      if (deferring) return;
      Thread releaser = new Thread(ClEventReleases::releaseDue, "pincette-event-releases");
      releaser.setDaemon(true);
      releaser.start();
      deferring = true;
    }
  }

  /** Gives up one reference to {@code event} (0: nothing). */
  static void release(long event) {
    if (event == 0) return;
    if (deferring) PENDING.add(new long[] {event, System.nanoTime() + DELAY_NANOS});
    else clReleaseEvent(event);
  }

  /** Whether releases are deferred now; for tests. */
  static boolean deferring() {
    return deferring;
  }

  /** References waiting for their time; for tests. */
  static int pending() {
    return PENDING.size();
  }

  private static void releaseDue() {
    while (true) {
      long[] next = PENDING.peek();
      if (next != null && System.nanoTime() - next[1] >= 0) {
        PENDING.poll();
        clReleaseEvent(next[0]);
        continue;
      }
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        return;
      }
    }
  }
}
