package dev.pincette.internal;

import dev.pincette.spi.BackendRefusedException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Whether each backend takes calls. A backend whose device fails {@link #OFF_AFTER} times in a row is switched off;
 * after a cool-down ({@code pincette.retryAfterSeconds}, default 30 s, doubling after each failed probe up to 32
 * times that) one call at a time probes it, and a probe that succeeds switches it back on.
 *
 * <p>Only device failures count: not a refusal ({@link BackendRefusedException}: too large, over a budget, a feature
 * the device lacks), which says nothing about the device, nor a caller's mistake ({@link IllegalArgumentException},
 * {@link IllegalStateException}: a matrix closed during the call). A failure counts wherever it surfaces: in a call,
 * or later (a kernel found failed after its call returned); a call that succeeds resets the count only when no
 * failure surfaced since it began. Thread-safe: each backend's state is guarded by its own monitor.
 */
public final class Health {
  /** Device failures in a row after which a backend is switched off. */
  public static final int OFF_AFTER = 3;
  /** The cool-down doubles after each failed probe, up to this many times the first. */
  private static final int MAX_BACKOFF = 32;

  private final long coolDownNanos;
  private final LongSupplier clock;
  private final Map<String, State> states = new ConcurrentHashMap<>();

  private static final class State {
    /** Device failures since the last success that vouched for the device. */
    int inARow;
    /** Device failures ever: a call that saw this change while it ran does not vouch for the device. */
    long failures;
    /** While switched off: when the current cool-down began, and how long it lasts. */
    long offSince;
    long coolDown;
    /** Whether a probe is running now (one at a time). */
    boolean probing;
  }

  Health(long coolDownNanos, LongSupplier clock) {
    this.coolDownNanos = coolDownNanos;
    this.clock = clock;
  }

  /** The health of a dispatcher: cool-down from {@code pincette.retryAfterSeconds}. */
  static Health fromProperties() {
    double seconds = 30;
    String property = System.getProperty("pincette.retryAfterSeconds");
    if (property != null) {
      try {
        seconds = Double.parseDouble(property);
      } catch (NumberFormatException e) {
        seconds = -1;
      }
      if (!(seconds >= 0) || Double.isInfinite(seconds)) {
        System.getLogger("dev.pincette").log(System.Logger.Level.WARNING, "pincette: ignoring"
            + " pincette.retryAfterSeconds=" + property + ": not a finite number of seconds ≥ 0; using 30");
        seconds = 30;
      }
    }
    return new Health((long) (seconds * 1e9), System::nanoTime);
  }

  /** Whether {@code e}, thrown by a backend, is a device failure (counted) rather than a refusal or a user error. */
  public static boolean isDeviceFailure(Throwable e) {
    return !(e instanceof BackendRefusedException) && !(e instanceof IllegalArgumentException)
        && !(e instanceof IllegalStateException);
  }

  private State state(String backend) {
    return states.computeIfAbsent(backend, b -> new State());
  }

  /** Whether {@code backend} is switched on (calls may be placed there without probing). */
  public boolean isOn(String backend) {
    State s = state(backend);
    synchronized (s) {
      return s.inARow < OFF_AFTER;
    }
  }

  /** Whether a call may go to {@code backend} now: it is on, or off with its cool-down over and no probe running. */
  boolean mayTry(String backend) {
    State s = state(backend);
    synchronized (s) {
      return s.inARow < OFF_AFTER || (!s.probing && clock.getAsLong() - s.offSince >= s.coolDown);
    }
  }

  /**
   * Claims a call on {@code backend}: true when it is on, or when this call becomes its probe (then
   * {@link #succeeded} or {@link #failed} must follow); false when it is off and not to be tried now.
   */
  boolean claim(String backend) {
    State s = state(backend);
    synchronized (s) {
      if (s.inARow < OFF_AFTER) return true;
      if (s.probing || clock.getAsLong() - s.offSince < s.coolDown) return false;
      s.probing = true;
      return true;
    }
  }

  /** The device failures of {@code backend} so far; a call reads it when it begins, for {@link #succeeded}. */
  long failures(String backend) {
    State s = state(backend);
    synchronized (s) {
      return s.failures;
    }
  }

  /**
   * A call on {@code backend} that began when {@link #failures} was {@code failuresAtStart} succeeded: the backend is
   * healthy again, unless a failure surfaced meanwhile.
   */
  void succeeded(String backend, long failuresAtStart) {
    State s = state(backend);
    synchronized (s) {
      s.probing = false;
      if (s.failures == failuresAtStart) s.inARow = 0;
    }
  }

  /**
   * Records a device failure of {@code backend}; returns true when it switched the backend off (a failure that ends
   * a probe restarts the cool-down, twice as long).
   */
  boolean failed(String backend) {
    State s = state(backend);
    synchronized (s) {
      s.failures++;
      boolean wasOn = s.inARow < OFF_AFTER;
      s.inARow++;
      if (s.inARow < OFF_AFTER) return false;
      if (wasOn) {
        s.coolDown = coolDownNanos;
      } else if (s.probing) {
        s.coolDown = Math.min(Math.max(1, s.coolDown) * 2, coolDownNanos * MAX_BACKOFF);
      }
      s.probing = false;
      s.offSince = clock.getAsLong();
      return wasOn;
    }
  }

  /** A probe that ended without a verdict (a refusal, a user error): another call may probe. */
  void released(String backend) {
    State s = state(backend);
    synchronized (s) {
      s.probing = false;
    }
  }

  /** Device failures of {@code backend} in a row now, for tests and diagnostics. */
  public int failuresInARow(String backend) {
    State s = state(backend);
    synchronized (s) {
      return s.inARow;
    }
  }

  /** Forgets every failure: every backend is on. For tests that inject faults. */
  public void reset() {
    states.clear();
  }
}
