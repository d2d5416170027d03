package dev.pincette.internal;

import dev.pincette.Prediction;
import dev.pincette.spi.Backend;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Predicts each backend's time for a call: fixed overhead + bytes moved / bandwidth + work / throughput(size), from a
 * calibration run once per device in the background (stored in the user's cache directory), refined by the observed
 * times of real calls and by the calls already running on each backend.
 */
public final class CostModel {
  private static final System.Logger LOG = System.getLogger("dev.pincette");
  /**
   * Observed/predicted ratios remembered per bucket; the correction is their median. A wrong calibration is fixed by
   * the first call (the median of one ratio), while a burst of slow calls (a GC pause, a JIT compile, another
   * process) must outlast half the window to move it. The window holds the last {@link #WINDOW} calls, and older ones
   * too while they are less than {@link #SPAN_NANOS} old (up to {@link #CAPACITY}): 15 calls of a 300 µs op last only
   * 5 ms, and in H100 sweeps a burst that long on the 16-core host made auto pick the slower backend (max regret 61%
   * and 88%). (A window of 31 calls did no better than 15.)
   */
  private static final int WINDOW = 15;
  private static final long SPAN_NANOS = 100_000_000L;
  private static final int CAPACITY = 255;
  /** Calibration time per backend: a CPU and one GPU stay under 2 s together. */
  static final double CALIBRATION_SECONDS = 0.85;
  private static final String LIBRARY_VERSION = "0.1.0";
  /** The refit of a curve ({@link Drift}) learns only from calls whose predicted time is at least this share compute. */
  private static final double COMPUTE_SHARE = 0.8;

  /** Calibrated models by backend name; absent while calibrating. Written by the calibration thread. */
  private final Map<String, BackendModel> models = new ConcurrentHashMap<>();
  /** Recent observed/uncorrected-predicted ratios per backend, family and power-of-two size bucket. */
  private final Map<String, Window> corrections = new ConcurrentHashMap<>();
  /**
   * Every bucket prefix that {@link #corrections} has held (a superset: removals leave it), added before its window:
   * a call whose prefix never learnt is predicted without the nine bucket keys the nearest-size search would build.
   */
  private final java.util.Set<String> correctedPrefixes = ConcurrentHashMap.newKeySet();
  /** Calls running now, per backend name: a second call waits for (or shares the device with) the first. */
  private final Map<String, AtomicInteger> inFlight = new ConcurrentHashMap<>();
  /** When a call last started on each backend while another ran there ({@link #clock} time). */
  private final Map<String, java.util.concurrent.atomic.AtomicLong> sharedSince = new ConcurrentHashMap<>();
  /** Recent calls that had their backend to themselves, per backend and curve, against the calibrated curve. */
  private final Map<String, Drift> drifts = new ConcurrentHashMap<>();
  /** The last refit of each backend and curve, for {@code explain}. */
  private final Map<String, String> refits = new ConcurrentHashMap<>();
  /** Where calibrations are stored, or null to keep them in memory only. */
  private final Path cacheDir;
  /** Completes when the calibration started by {@link #start} is done (at once when none was needed). */
  private final java.util.concurrent.CompletableFuture<Void> ready = new java.util.concurrent.CompletableFuture<>();

  /** Time of observed calls, for the correction window; a clock of its own in tests. */
  private final java.util.function.LongSupplier clock;

  /** A model storing calibrations in {@code cacheDir}, or (null) in memory only. */
  public CostModel(Path cacheDir) {
    this(cacheDir, System::nanoTime);
  }

  CostModel(Path cacheDir, java.util.function.LongSupplier clock) {
    this.cacheDir = cacheDir;
    this.clock = clock;
  }

  /** The user's cache directory ({@link CacheFiles#root()}). */
  public static Path defaultCacheDir() {
    return CacheFiles.root();
  }

  /** Loads each backend's stored calibration, and calibrates the others on one background thread. */
  public void start(List<Backend> backends, boolean background) {
    List<Backend> missing = new ArrayList<>();
    for (Backend b : backends) {
      BackendModel stored = cacheDir == null ? null : BackendModel.load(file(b), key(b));
      if (stored != null) models.put(b.name(), stored);
      else missing.add(b);
    }
    if (missing.isEmpty()) {
      ready.complete(null);
      return;
    }
    Runnable work = () -> {
      try {
        for (Backend b : missing) calibrateOnce(b);
      } finally {
        ready.complete(null);
      }
    };
    if (!background) {
      work.run();
      return;
    }
    Thread t = new Thread(work, "pincette-calibration");
    t.setDaemon(true);
    t.setPriority(Thread.MIN_PRIORITY);
    t.start();
  }

  /** Waits until the background calibration is done, at most {@code seconds}; true when it is. */
  public boolean awaitCalibration(double seconds) {
    try {
      ready.get((long) (seconds * 1000), java.util.concurrent.TimeUnit.MILLISECONDS);
      return true;
    } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** How long a JVM waits for another that is calibrating the same backend, before calibrating it too. */
  private static final long CALIBRATION_LOCK_WAIT_MILLIS = 60_000;

  /**
   * Calibrates {@code b} unless another JVM sharing the cache folder just did: JVMs that start together on a fresh
   * machine (a service's workers, parallel test JVMs) take turns on a lock file, and the later ones read the first
   * one's calibration instead of measuring again. Besides the time, this keeps the measurement honest: two
   * calibrations at once each time the other's load (on two cores, each would see the CPU at half speed).
   */
  private void calibrateOnce(Backend b) {
    if (cacheDir == null) {
      calibrate(b);
      return;
    }
    Path model = file(b);
    CacheFiles.exclusive(model.resolveSibling(model.getFileName() + ".lock"), CALIBRATION_LOCK_WAIT_MILLIS, () -> {
      BackendModel stored = BackendModel.load(model, key(b));
      if (stored != null) {
        models.put(b.name(), stored);
        LOG.log(Level.DEBUG, () -> "pincette: read the calibration of " + b.name() + " another model just made");
      } else {
        calibrate(b);
      }
    });
  }

  /** Calibrates {@code b} now (about a second), stores and returns the model. */
  public BackendModel calibrate(Backend b) {
    long start = System.nanoTime();
    try {
      BackendModel m = new Calibrator(b, CALIBRATION_SECONDS).run();
      m = new BackendModel(key(b), m.overheadSeconds(), m.bytesPerSecond(), m.curves());
      models.put(b.name(), m);
      corrections.keySet().removeIf(k -> k.startsWith(b.name() + "/"));
      drifts.keySet().removeIf(k -> k.startsWith(b.name() + "/"));
      refits.keySet().removeIf(k -> k.startsWith(b.name() + "/"));
      store(b, m);
      LOG.log(Level.DEBUG, () -> String.format("pincette: calibrated %s in %.2f s", b.name(),
          (System.nanoTime() - start) * 1e-9));
      return m;
    } catch (RuntimeException e) {
      LOG.log(Level.INFO, "pincette: calibration of " + b.name() + " failed, auto keeps it off: " + e);
      return null;
    }
  }

  /** Stores {@code m} as the calibration of {@code b}, when there is a cache folder. */
  private void store(Backend b, BackendModel m) {
    if (cacheDir != null) m.save(file(b));
  }

  static String key(Backend b) {
    return b.calibrationKey() + "|" + LIBRARY_VERSION + "|" + Runtime.version().feature() + "|"
        + Runtime.getRuntime().availableProcessors();
  }

  Path file(Backend b) {
    byte[] digest;
    try {
      digest = java.security.MessageDigest.getInstance("SHA-256")
          .digest(key(b).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
    return cacheDir.resolve("calibration-" + b.name() + "-" + HexFormat.of().formatHex(digest, 0, 8) + ".properties");
  }

  /** Installs a model directly (tests, and models computed elsewhere). */
  void install(String backend, BackendModel model) {
    models.put(backend, model);
  }

  public boolean isCalibrated(String backend) {
    return models.containsKey(backend);
  }

  /** The fitted model of {@code backend}, for {@code pincette calibrate}; null before calibration. */
  public String describe(String backend) {
    BackendModel m = models.get(backend);
    return m == null ? null : m.toString();
  }

  public Prediction predict(Backend b, CallCost cost) {
    BackendModel m = models.get(b.name());
    if (m == null) return new Prediction(b.name(), 0, 0, 0, 0, false);
    double correction = correction(b.name(), m, cost);
    double overhead = m.overheadSeconds() * correction;
    double transfer = transferSeconds(b.name(), m, cost) * correction;
    double compute = m.computeSeconds(m.curveOf(cost), cost.work()) * correction;
    int running = inFlight.computeIfAbsent(b.name(), k -> new AtomicInteger()).get();
    // Each call already running on the backend takes its share of the device; assume calls of similar size.
    // (Not 0·∞ = NaN for a family the backend does not calibrate, which would win every comparison it is first in.)
    double wait = running == 0 ? 0 : running * (overhead + transfer + compute);
    return new Prediction(b.name(), overhead, transfer, compute, wait, true);
  }

  /**
   * Moving the call's data to and from {@code backend}: host inputs and results over its bus, and inputs resident on
   * another backend first back from there (its download), then over this backend's bus.
   */
  private double transferSeconds(String backend, BackendModel m, CallCost cost) {
    double seconds = m.transferSeconds(cost.bytesTo(backend));
    for (Map.Entry<String, Long> e : cost.residentBytes().entrySet()) {
      BackendModel holder = models.get(e.getKey());
      if (!e.getKey().equals(backend) && holder != null) seconds += holder.transferSeconds(e.getValue());
    }
    return seconds;
  }

  /**
   * The correction of the call's bucket; for a size not seen yet, that of the nearest size seen (up to 2^4 apart in
   * work), so that a calibration that was off everywhere (a cold JIT, another load) is fixed after a few calls of
   * any size rather than of every size.
   */
  private double correction(String backend, BackendModel m, CallCost cost) {
    String prefix = bucketPrefix(backend, m, cost);
    if (!correctedPrefixes.contains(prefix)) return 1.0;
    int exponent = Math.getExponent(Math.max(1.0, cost.work()));
    for (int distance = 0; distance <= 4; distance++) {
      Window w = corrections.get(prefix + (exponent - distance));
      if (w == null && distance > 0) w = corrections.get(prefix + (exponent + distance));
      if (w != null) return w.median();
    }
    return 1.0;
  }

  /** Marks a call as running on {@code backend}; the returned counter is decremented by {@link #finished}. */
  public AtomicInteger started(String backend) {
    AtomicInteger n = inFlight.computeIfAbsent(backend, k -> new AtomicInteger());
    if (n.incrementAndGet() > 1) {
      sharedSince.computeIfAbsent(backend, k -> new java.util.concurrent.atomic.AtomicLong(Long.MIN_VALUE))
          .set(clock.getAsLong());
    }
    return n;
  }

  /** Records a finished call: its observed time refines the prediction for its backend, family and size. */
  public void finished(AtomicInteger running, Backend b, CallCost cost, double seconds, Prediction predicted) {
    boolean alone = running.getAndDecrement() == 1 && !sharedDuring(b.name(), seconds);
    if (predicted == null || !predicted.calibrated()) return;
    // A spatial map is placed for its build and a search after it (one simulation step): the family's calibrated
    // curve covers both, but the dispatched call is the build alone, so its time would teach the model half the cost.
    // The map reports build and first search together ({@link #observed}).
    if (cost.family().equals(CallCost.SPATIAL)) return;
    learn(b, cost, seconds, alone);
  }

  /**
   * Records the time of work that was not one dispatched call: a spatial map's build and its first search together,
   * as the family's curve measures them. Learnt from only when nothing else ran on the backend meanwhile.
   */
  public void observed(Backend b, CallCost cost, double seconds) {
    AtomicInteger running = inFlight.get(b.name());
    if (running != null && running.get() > 0) return;
    if (!sharedDuring(b.name(), seconds)) learn(b, cost, seconds, true);
  }

  /** Whether a call ending now after {@code seconds} shared {@code backend} with another call at some point. */
  private boolean sharedDuring(String backend, double seconds) {
    var since = sharedSince.get(backend);
    return since != null && since.get() >= clock.getAsLong() - (long) (seconds * 1e9);
  }

  private void learn(Backend b, CallCost cost, double seconds, boolean alone) {
    BackendModel m = models.get(b.name());
    if (m == null || !(seconds > 0)) return;
    String curve = m.curveOf(cost);
    double fixed = m.overheadSeconds() + transferSeconds(b.name(), m, cost);
    double uncorrected = fixed + m.computeSeconds(curve, cost.work());
    if (!(uncorrected > 0) || Double.isInfinite(uncorrected)) return;
    long now = clock.getAsLong();
    String prefix = bucketPrefix(b.name(), m, cost);
    correctedPrefixes.add(prefix);
    corrections.computeIfAbsent(prefix + Math.getExponent(Math.max(1.0, cost.work())), k -> new Window())
        .add(seconds / uncorrected, now);
    // Only calibrated curves are refitted (a kernel's calls are predicted by the reduce curve and corrected per kernel).
    if (!m.curves().containsKey(curve)) return;
    Drift drift = drifts.computeIfAbsent(b.name() + "/" + curve, k -> new Drift());
    // A call whose predicted time is mostly overhead or transfer measures those, not the curve.
    if (!alone || !drift.warm(now) || fixed > (1 - COMPUTE_SHARE) * uncorrected) return;
    drift.add(cost.work(), seconds, fixed, uncorrected, now);
    if (!Double.isNaN(drift.disagreement(now))) refit(b, curve, drift, now);
  }

  /**
   * The calls predicted by {@code curve} on {@code b} keep disagreeing with it: it is refitted from them (see
   * {@link Drift#refit}), stored in place of the calibration file's, and the corrections learnt against the old one
   * are dropped.
   */
  private void refit(Backend b, String curve, Drift drift, long now) {
    synchronized (drift) {
      double ratio = drift.disagreement(now);
      BackendModel m = models.get(b.name());
      Curve old = m == null ? null : m.curves().get(curve);
      if (Double.isNaN(ratio) || old == null) return;
      int calls = drift.calls();
      Map<String, Curve> curves = new java.util.TreeMap<>(m.curves());
      curves.put(curve, drift.refit(old));
      BackendModel refitted = new BackendModel(m.key(), m.overheadSeconds(), m.bytesPerSecond(), curves);
      models.put(b.name(), refitted);
      corrections.keySet().removeIf(k -> k.startsWith(b.name() + "/" + curve + "/"));
      drift.clear();
      String note = String.format(java.util.Locale.ROOT, "%s's %s curve refitted from %d calls, which took %.2gx "
          + "its time", b.name(), curve, calls, ratio);
      refits.put(b.name() + "/" + curve, note);
      store(b, refitted);
      LOG.log(Level.INFO, "pincette: " + note + (cacheDir == null ? "" : "; stored in " + file(b)));
    }
  }

  /**
   * What was refitted among the curves that predict {@code cost} (its family's and its precision's) on any backend, or
   * an empty string; for explanations.
   */
  public String refitNote(CallCost cost) {
    StringBuilder s = new StringBuilder();
    refits.forEach((key, note) -> {
      String curve = key.substring(key.indexOf('/') + 1);
      if (curve.equals(cost.family()) || curve.equals(cost.curve())) s.append(s.isEmpty() ? "" : "; ").append(note);
    });
    return s.toString();
  }

  /**
   * The ratios of one bucket's recent calls: the last {@link #WINDOW}, and older ones while younger than
   * {@link #SPAN_NANOS}, at most {@link #CAPACITY}. The median is cached and sorted again after every sixteenth of the
   * window has changed, so that placing a call stays well under a microsecond.
   */
  private static final class Window {
    private final double[] ratios = new double[CAPACITY];
    private final long[] times = new long[CAPACITY];
    /** Index of the oldest ratio, and how many there are. */
    private int oldest;
    private int count;
    private int changedSinceSort;
    private double median = 1.0;

    synchronized void add(double ratio, long now) {
      if (count == CAPACITY) drop();
      int slot = (oldest + count) % CAPACITY;
      ratios[slot] = ratio;
      times[slot] = now;
      count++;
      changedSinceSort++;
      while (count > WINDOW && now - times[oldest] > SPAN_NANOS) drop();
      if (changedSinceSort * 16 >= count) sortMedian();
    }

    private void drop() {
      oldest = (oldest + 1) % CAPACITY;
      count--;
      changedSinceSort++;
    }

    private void sortMedian() {
      double[] sorted = new double[count];
      for (int i = 0; i < count; i++) sorted[i] = ratios[(oldest + i) % CAPACITY];
      java.util.Arrays.sort(sorted);
      median = count % 2 == 1 ? sorted[count / 2] : Math.sqrt(sorted[count / 2 - 1] * sorted[count / 2]);
      changedSinceSort = 0;
    }

    synchronized double median() {
      return median;
    }
  }

  /**
   * Calls on resident data move nothing, and calls on native host memory move it without host copies: buckets of their
   * own, so a misjudged bus speed does not skew the others. A precision with a curve of its own learns apart from FP32.
   */
  private static String bucketPrefix(String backend, BackendModel m, CallCost cost) {
    return backend + "/" + m.curveOf(cost) + (cost.residentOn(backend) ? "/resident/" : cost.nativeHost() ? "/host/"
        : "/");
  }
}
