package dev.pincette.internal;

import java.util.Arrays;

/**
 * The recent calls of one op family on one backend, set against the backend's calibrated curve, so that a stored
 * calibration that was wrong heals: one taken while other work ran had the CPU's spatial searches at 2-4 times their
 * real time, and every later JVM placed large searches on the slower backend until the file was deleted by hand.
 * When the recent calls keep disagreeing with the curve by more than {@link #FACTOR} times (the median of the last
 * {@link #MIN_CALLS} or more, without a break for at least {@link #MIN_SPAN_NANOS}), {@link #refit} scales the curve
 * by the factor they show.
 *
 * <p>Only calls that had the backend to themselves belong here: a call that queued behind others measures the queue.
 * A burst of slow calls (a GC pause, a JIT compile) must outlast half the window and the span to count, and a refit
 * that a later steadier stretch disagrees with is refitted again. Thread-safe.
 */
final class Drift {
  /** How far the calls' median must stray from the curve, either way, before it is refitted. */
  static final double FACTOR = 2.0;
  static final int MIN_CALLS = 32;
  /**
   * How long the disagreement must last: a cold JIT's first calls, all slow, and a burst of other work on the machine
   * pass sooner (in {@code pincette bench --sweep} on a loaded 2-core machine, 0.5 s refitted curves back and forth).
   */
  static final long MIN_SPAN_NANOS = 2_000_000_000L;
  private static final int CAPACITY = 64;
  /** See {@link #warm}. */
  private static final int WARM_CALLS = 20;
  private static final long WARM_NANOS = 2_000_000_000L;
  /** The median is sorted again after this many calls, so that a call's bookkeeping stays short. */
  private static final int SORT_EVERY = 8;
  /** A compute time is at least this share of the whole call, as in the calibration. */
  private static final double MIN_COMPUTE_SHARE = 0.05;

  private final double[] work = new double[CAPACITY];
  private final double[] observed = new double[CAPACITY];
  /** The predicted overhead and transfer of each call, which its compute time is left after. */
  private final double[] fixed = new double[CAPACITY];
  private final double[] ratio = new double[CAPACITY];
  /** The slot the next call goes to, and how many are held (the last {@link #CAPACITY}). */
  private int next;
  private int count;
  private int addedSinceSort;
  /** Calls counted by {@link #warm} since the drift was made, and when the first of them ended. */
  private long calls;
  private long firstCall;
  /** The median ratio observed/predicted when last sorted (NaN below {@link #MIN_CALLS} calls). */
  private double median = Double.NaN;
  /** Since when the median has been beyond {@link #FACTOR}, or {@code Long.MIN_VALUE} while it is not. */
  private long disagreeingSince = Long.MIN_VALUE;

  /**
   * Adds a call of {@code work} units that took {@code seconds}, where the uncorrected model predicted
   * {@code fixedSeconds} of overhead and transfer and {@code predictedSeconds} in all, at {@code now} (nanoseconds).
   */
  synchronized void add(double work, double seconds, double fixedSeconds, double predictedSeconds, long now) {
    this.work[next] = work;
    observed[next] = seconds;
    fixed[next] = fixedSeconds;
    ratio[next] = seconds / predictedSeconds;
    next = (next + 1) % CAPACITY;
    count = Math.min(count + 1, CAPACITY);
    if (count < MIN_CALLS || ++addedSinceSort < SORT_EVERY && !Double.isNaN(median)) return;
    addedSinceSort = 0;
    double[] sorted = new double[count];
    for (int i = 0; i < count; i++) sorted[i] = ratio[(next - count + i + CAPACITY) % CAPACITY];
    Arrays.sort(sorted);
    median = count % 2 == 1 ? sorted[count / 2] : Math.sqrt(sorted[count / 2 - 1] * sorted[count / 2]);
    boolean disagrees = median > FACTOR || median < 1 / FACTOR;
    if (!disagrees) disagreeingSince = Long.MIN_VALUE;
    else if (disagreeingSince == Long.MIN_VALUE) disagreeingSince = now;
  }

  /**
   * The median ratio observed/predicted of the recent calls when they have disagreed with the curve for long enough
   * to refit it; else NaN.
   */
  synchronized double disagreement(long now) {
    boolean lasting = disagreeingSince != Long.MIN_VALUE && now - disagreeingSince >= MIN_SPAN_NANOS;
    return lasting ? median : Double.NaN;
  }

  synchronized int calls() {
    return count;
  }

  /**
   * Counts a call of the family ending at {@code now}; whether the family is warm by then: past its first
   * {@link #WARM_CALLS} calls and {@link #WARM_NANOS}. Earlier calls ran before the JIT had compiled the CPU's loops or
   * while a device built its programs (in sweeps on a 2-core machine, the CPU's first products took 5 times their
   * later time for seconds).
   */
  synchronized boolean warm(long now) {
    if (calls++ == 0) firstCall = now;
    return calls > WARM_CALLS && now - firstCall >= WARM_NANOS;
  }

  /**
   * {@code old} scaled by the median over the calls held of their compute time (the call's time less its predicted
   * overhead and transfer, at least {@link #MIN_COMPUTE_SHARE} of it) over the curve's. One factor for the whole curve:
   * a calibration taken on a loaded or cold machine is off by about one factor everywhere, while points fitted to the
   * few sizes a program calls, and stretched to the others, went wrong by orders of magnitude in sweeps; the
   * corrections of {@link CostModel} still follow each size within a run.
   */
  synchronized Curve refit(Curve old) {
    double[] scales = new double[count];
    for (int i = 0; i < count; i++) {
      int slot = (next - count + i + CAPACITY) % CAPACITY;
      double compute = Math.max(observed[slot] - fixed[slot], MIN_COMPUTE_SHARE * observed[slot]);
      scales[i] = compute / old.seconds(work[slot]);
    }
    Arrays.sort(scales);
    double scale = count % 2 == 1 ? scales[count / 2] : Math.sqrt(scales[count / 2 - 1] * scales[count / 2]);
    return old.scaled(scale);
  }

  synchronized void clear() {
    count = 0;
    next = 0;
    addedSinceSort = 0;
    median = Double.NaN;
    disagreeingSince = Long.MIN_VALUE;
  }
}
