package dev.pincette.opencl;

import static org.lwjgl.opencl.CL10.clReleaseEvent;

import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Where the OpenCL backend gives up its references to events: at once, or, once this JVM has made a device command
 * fail on purpose ({@link ClQueue#failingUserEvent}, fault injection only), a second later. PoCL 3.1 fails the commands
 * that wait on a failed one in {@code pocl_update_event_failed}, which unlocks the dependent event, finishes it (the
 * command's own {@code clReleaseEvent} included) and locks it again: when the application's reference was already
 * gone, the event is freed before the relock and PoCL aborts the JVM ("PTHREAD ERROR in pocl_update_event_failed",
 * once in a 10-minute soak with injected failures). So while deferring, every command gets an event, also those
 * nobody waits on ({@code ClQueue.eventSlot}), and each reference goes a second after its release: the runtime never
 * holds the only one. In PoCL 3.1 only a user event's failure spreads to dependents this way, and only fault injection
 * fails user events, so releases stay immediate in production.
 */
final class ClEventReleases {
  private static final System.Logger LOG = System.getLogger("dev.pincette");
  /** How long a reference outlives its release while deferring: far longer than PoCL's finish-and-relock. */
  static final long DELAY_NANOS = 1_000_000_000L;

  private static volatile boolean deferring;
  /** Releases the deferred references, each on its own schedule; a failing one does not stop the others. */
  private static volatile ScheduledThreadPoolExecutor releaser;

  private ClEventReleases() {}

  /** From now on, releases wait {@link #DELAY_NANOS}: an event's command is about to fail on purpose. */
  static void deferFromNowOn() {
    if (deferring) return;
    synchronized (ClEventReleases.class) {
      if (deferring) return;
      ScheduledThreadPoolExecutor executor = new ScheduledThreadPoolExecutor(1, task -> {
        Thread t = new Thread(task, "pincette-event-releases");
        t.setDaemon(true);
        return t;
      });
      executor.setRemoveOnCancelPolicy(true);
      releaser = executor;
      deferring = true;
    }
  }

  /** Gives up one reference to {@code event} (0: nothing). */
  static void release(long event) {
    if (event == 0) return;
    if (deferring) releaser.schedule(() -> releaseNow(event), DELAY_NANOS, TimeUnit.NANOSECONDS);
    else releaseNow(event);
  }

  private static void releaseNow(long event) {
    int rc = clReleaseEvent(event);
    if (rc != 0) LOG.log(System.Logger.Level.WARNING, "pincette: clReleaseEvent failed: " + ClError.name(rc));
  }

  /** Whether releases are deferred now; for tests. */
  static boolean deferring() {
    return deferring;
  }
}
