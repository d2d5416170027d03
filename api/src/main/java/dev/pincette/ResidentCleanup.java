package dev.pincette;

import dev.pincette.spi.Resident;
import java.lang.ref.Cleaner;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * What a resident handle ({@link DeviceMatrix}, {@link DeviceArray}) gives its cleaner, without a reference back to
 * the handle: the resident, whether it is closed, and what to call it when the garbage collector frees it unclosed.
 */
final class ResidentCleanup implements Runnable {
  static final Cleaner CLEANER = Cleaner.create();
  private static final System.Logger LOG = System.getLogger("dev.pincette");

  private final Resident resident;
  /** The handle as the warning names it, e.g. {@code DeviceMatrix 64x64}. */
  private final String what;
  final AtomicBoolean closed = new AtomicBoolean();

  ResidentCleanup(Resident resident, String what) {
    this.resident = resident;
    this.what = what;
  }

  @Override
  public void run() {
    if (closed.compareAndSet(false, true)) {
      LOG.log(System.Logger.Level.WARNING, "pincette: a " + what + " on " + resident.backend()
          + " was never closed; freed by the garbage collector");
      resident.close();
    }
  }
}
