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

  /** What {@link #claim} returns when the call must not go to the backend now. */
  static final long REFUSED = -1;
  /** The ticket of a call on a backend that is on: not a probe. Probes get positive tickets, each its own. */
  static final long ON = 0;

  private static final class State {
    /** Device failures since the last success that vouched for the device. */
    int inARow;
    /** Device failures ever: a call that saw this change while it ran does not vouch for the device. */
    long failures;
    /** While switched off: when the current cool-down began, and how long it lasts. */
    long offSince;
    long coolDown;
    /** The ticket of the probe running now, or {@link #ON} when none is (one at a time). */
    long probe;
    /** The last probe ticket handed out. */
    long probes;
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
      return s.inARow < OFF_AFTER || (s.probe == ON && clock.getAsLong() - s.offSince >= s.coolDown);
    }
  }

  /**
   * Claims a call on {@code backend}: {@link #ON} when it is on; a probe's ticket (positive) when it is off, its
   * cool-down is over and no probe runs, this call then being the probe; else {@link #REFUSED}. The call ends with
   * {@link #succeeded}, {@link #failed} or {@link #released} and its ticket: only the probe's ends the probe, so a
   * call that began while the backend was on and ends during a probe neither lets a second probe in nor counts as a
   * failed probe.
   */
  long claim(String backend) {
    State s = state(backend);
    synchronized (s) {
      if (s.inARow < OFF_AFTER) return ON;
      if (s.probe != ON || clock.getAsLong() - s.offSince < s.coolDown) return REFUSED;
      return s.probe = ++s.probes;
    }
  }

  /**
   * The device failures of {@code backend} so far (since the last {@link #reset}); a call reads it when it begins, for
   * {@link #succeeded}; tests read it to count failures that successes in between hide from {@link #failuresInARow}.
   */
  public long failures(String backend) {
    State s = state(backend);
    synchronized (s) {
      return s.failures;
    }
  }

  /**
   * A call on {@code backend} with {@code ticket} that began when {@link #failures} was {@code failuresAtStart}
   * succeeded: the backend is healthy again (on, if it was off), unless a failure surfaced meanwhile.
   */
  void succeeded(String backend, long failuresAtStart, long ticket) {
    State s = state(backend);
    synchronized (s) {
      endProbe(s, ticket);
      if (s.failures == failuresAtStart) s.inARow = 0;
    }
  }

  /**
   * Records a device failure of {@code backend} found outside any call's verdict (a kernel found failed after its
   * call returned, a spatial map's search); returns true when it switched the backend off.
   */
  boolean failed(String backend) {
    return failed(backend, ON);
  }

  /**
   * Records a device failure of {@code backend} in the call with {@code ticket}; returns true when it switched the
   * backend off. A failed probe restarts the cool-down, twice as long; a failure of a call that is not the probe, while
   * the backend is off, is counted and changes nothing else.
   */
  boolean failed(String backend, long ticket) {
    State s = state(backend);
    synchronized (s) {
      s.failures++;
      boolean wasOn = s.inARow < OFF_AFTER;
      s.inARow++;
      if (s.inARow < OFF_AFTER) return false;
      if (wasOn) {
        s.coolDown = coolDownNanos;
        s.offSince = clock.getAsLong();
      } else if (endProbe(s, ticket)) {
        s.coolDown = Math.min(Math.max(1, s.coolDown) * 2, coolDownNanos * MAX_BACKOFF);
        s.offSince = clock.getAsLong();
      }
      return wasOn;
    }
  }

  /** A call with {@code ticket} ended without a verdict (a refusal, a user error): if it was the probe, another may. */
  void released(String backend, long ticket) {
    State s = state(backend);
    synchronized (s) {
      endProbe(s, ticket);
    }
  }

  /** Under the state's monitor: ends the running probe when {@code ticket} is its; whether it was. */
  private static boolean endProbe(State s, long ticket) {
    if (ticket == ON || s.probe != ticket) return false;
    s.probe = ON;
    return true;
  }

  /** Device failures of {@code backend} in a row now, for tests and diagnostics. */
  public int failuresInARow(String backend) {
    State s = state(backend);
    synchronized (s) {
      return s.inARow;
    }
  }

  /**
   * How long a backend switched off stays off before a call may probe it ({@code pincette.retryAfterSeconds}; later
   * cool-downs after failed probes are longer). For tests that wait it out, whatever the property was set to.
   */
  public java.time.Duration coolDown() {
    return java.time.Duration.ofNanos(coolDownNanos);
  }

  /** Forgets every failure: every backend is on. For tests that inject faults. */
  public void reset() {
    states.clear();
  }
}
