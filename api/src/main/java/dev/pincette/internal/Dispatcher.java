package dev.pincette.internal;

import dev.pincette.BackendKind;
import dev.pincette.CallRecord;
import dev.pincette.DeviceInfo;
import dev.pincette.Explanation;
import dev.pincette.Precision;
import dev.pincette.Prediction;
import dev.pincette.spi.Backend;
import dev.pincette.spi.BackendProvider;
import dev.pincette.spi.BackendRefusedException;
import dev.pincette.spi.HostMemory;
import dev.pincette.spi.KernelFault;
import dev.pincette.spi.Resident;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import java.util.function.Function;

/**
 * Places each call on a backend and reruns it on the CPU when another backend fails. One instance per JVM, created
 * when {@code Compute} is first used; it reads {@code pincette.backend} then.
 */
public final class Dispatcher {
  private static final System.Logger LOG = System.getLogger("dev.pincette");
  /** The backend forced by {@code Compute.on(kind).run(...)} for the current scope. */
  public static final ScopedValue<BackendKind> SCOPE = ScopedValue.newInstance();
  /** The precision of matrix products set by {@code Compute.with(precision)} for the current scope. */
  public static final ScopedValue<Precision> PRECISION = ScopedValue.newInstance();
  /** Bound by {@code Compute.explain}: the call is validated and placed, but not run. */
  public static final ScopedValue<Explanation[]> EXPLAIN = ScopedValue.newInstance();

  private static volatile Dispatcher instance;

  private final Map<String, Backend> backends;
  private final Map<String, String> unavailable;
  private final BackendKind defaultKind;
  /** Which backends take calls: device failures switch one off, a probe after a cool-down back on. */
  private final Health health;
  /** Calls whose result came from each backend, and calls that left their first backend for the CPU. */
  private final Map<String, java.util.concurrent.atomic.LongAdder> completed = new ConcurrentHashMap<>();
  private final java.util.concurrent.atomic.LongAdder fallbacks = new java.util.concurrent.atomic.LongAdder();
  /** Failure kinds already logged, so a broken device logs once per kind rather than once per call. */
  private final Set<String> logged = ConcurrentHashMap.newKeySet();
  private final ThreadLocal<CallRecord> lastCall = new ThreadLocal<>();
  private final CostModel costModel;

  private Dispatcher(Map<String, Backend> backends, Map<String, String> unavailable, BackendKind defaultKind,
      CostModel costModel, Health health) {
    this.backends = backends;
    this.unavailable = unavailable;
    this.defaultKind = defaultKind;
    this.costModel = costModel;
    this.health = health;
    for (Backend b : backends.values()) b.reportFailuresTo(e -> reportFailure(b.name(), "a call that had returned", e));
  }

  /** The JVM's dispatcher, created on first use. */
  public static Dispatcher get() {
    Dispatcher d = instance;
    if (d == null) {
      synchronized (Dispatcher.class) {
        d = instance;
        if (d == null) instance = d = create();
      }
    }
    return d;
  }

  private static Dispatcher create() {
    Map<String, Backend> backends = new LinkedHashMap<>();
    Map<String, String> unavailable = new LinkedHashMap<>();
    for (BackendProvider provider : ServiceLoader.load(BackendProvider.class, Dispatcher.class.getClassLoader())) {
      try {
        Backend b = provider.create();
        backends.put(b.name(), b);
        if (!b.isAvailable()) unavailable.put(b.name(), b.unavailableReason());
      } catch (RuntimeException | LinkageError e) {
        unavailable.put(provider.name(), e.toString());
      }
    }
    unavailable.forEach((name, why) ->
        LOG.log(Level.INFO, "pincette: backend " + name + " is unavailable: " + why));
    BackendKind kind = BackendKind.AUTO;
    String property = System.getProperty("pincette.backend", "auto");
    try {
      kind = BackendKind.parse(property);
    } catch (IllegalArgumentException e) {
      LOG.log(Level.WARNING, "pincette: ignoring pincette.backend: " + e.getMessage());
    }
    CostModel model = new CostModel(CostModel.defaultCacheDir());
    Dispatcher d = new Dispatcher(backends, unavailable, kind, model, Health.fromProperties());
    Runtime.getRuntime().addShutdownHook(new Thread(d::closeAll, "pincette-shutdown"));
    // With one backend there is nothing to choose between; otherwise calibrate without making callers wait.
    List<Backend> usable = backends.values().stream().filter(Backend::isAvailable).toList();
    if (usable.size() > 1 && Boolean.parseBoolean(System.getProperty("pincette.calibrate", "true"))) {
      model.start(usable, true);
    }
    return d;
  }

  /** The kind calls on this thread use now: the innermost {@code Compute.on(...)} scope, else the property. */
  public BackendKind currentKind() {
    return SCOPE.isBound() ? SCOPE.get() : defaultKind;
  }

  /** The precision matrix products on this thread use now: the innermost scope's, else {@link Precision#FP32}. */
  public static Precision currentPrecision() {
    return PRECISION.orElse(Precision.FP32);
  }

  public BackendKind defaultKind() {
    return defaultKind;
  }

  /** The backend named {@code name}, if registered and available. */
  public Backend backend(String name) {
    Backend b = backends.get(name);
    if (b == null || !b.isAvailable()) {
      String why = unavailable.getOrDefault(name, "no backend named '" + name + "' is on the class path");
      throw new IllegalStateException("backend " + name + " is unavailable: " + why);
    }
    return b;
  }

  /** Every device of every backend, with why a backend cannot be used. */
  public List<DeviceInfo> devices() {
    List<DeviceInfo> out = new ArrayList<>();
    for (Backend b : backends.values()) out.addAll(b.devices());
    unavailable.forEach((name, why) -> {
      if (!backends.containsKey(name)) out.add(new DeviceInfo(name, "-", "-", false, why, Map.of()));
    });
    return out;
  }

  /**
   * Runs one call: picks the backend, times it, falls back to the CPU if another backend fails, and records what
   * happened for {@link #lastCall()}. Under {@code Compute.explain} it only places the call.
   */
  public <T> T run(String op, String shape, CallCost cost, Function<Backend, T> call) {
    return runOn(op, shape, cost, List.of(), (be, inputs) -> call.apply(be));
  }

  /**
   * Like {@link #run} for a call whose {@code inputs} are residents, which may live on any backend: those not on the
   * chosen backend are brought there for the call (and released after it).
   */
  public <T> T runOn(String op, String shape, CallCost cost, List<Resident> inputs,
      BiFunction<Backend, List<Resident>, T> call) {
    return runOn(op, shape, cost, inputs, be -> null, call);
  }

  /**
   * Runs a kernel call like {@link #run}, on backends whose {@code refusal} is null only: a call forced onto one that
   * refuses throws its refusal, and {@code auto} says in its reason why each other backend refused. A
   * {@link KernelFault} (the kernel's own error) reaches the caller without a rerun.
   */
  public <T> T runKernel(String op, String shape, CallCost cost, Function<Backend, RuntimeException> refusal,
      Function<Backend, T> call) {
    return runKernel(op, shape, cost, List.of(), refusal, call);
  }

  /**
   * {@link #runKernel(String, String, CallCost, Function, Function)} for a call on {@code residents}, which the
   * backends use where they are (no copies are made here): a call that waits for residents still computing, or leaves
   * them computing, teaches the cost model nothing.
   */
  public <T> T runKernel(String op, String shape, CallCost cost, List<Resident> residents,
      Function<Backend, RuntimeException> refusal, Function<Backend, T> call) {
    return runOn(op, shape, cost, residents, false, refusal, (be, inputs) -> call.apply(be));
  }

  private <T> T runOn(String op, String shape, CallCost cost, List<Resident> inputs,
      Function<Backend, RuntimeException> refusal, BiFunction<Backend, List<Resident>, T> call) {
    return runOn(op, shape, cost, inputs, true, refusal, call);
  }

  /** {@code move}: whether inputs held by another backend than the chosen one are copied there for the call. */
  private <T> T runOn(String op, String shape, CallCost cost, List<Resident> inputs, boolean move,
      Function<Backend, RuntimeException> refusal, BiFunction<Backend, List<Resident>, T> call) {
    BackendKind requested = currentKind();
    Placement placement = place(requested, cost, refusal);
    if (EXPLAIN.isBound()) {
      String refitted = costModel.refitNote(cost);
      EXPLAIN.get()[0] = new Explanation(op, shape, cost.precision(), requested, placement.chosen.name(),
          refitted.isEmpty() ? placement.reason : placement.reason + "; " + refitted, placement.predictions);
      throw new ExplainedSignal();
    }
    Backend cpu = cpu();
    Backend chosen = placement.chosen;
    String fallback = placement.fallback;
    // A backend switched off after failures takes a call only as its probe, one at a time.
    long ticket = chosen == cpu ? Health.ON : health.claim(chosen.name());
    if (ticket == Health.REFUSED) {
      fallback = requested == BackendKind.AUTO ? "" : chosen.name() + " is off after repeated failures: ran on cpu";
      chosen = cpu;
    }
    Prediction predicted = placement.predictionOf(chosen.name());
    long failuresAtStart = health.failures(chosen.name());
    AtomicInteger running = costModel.started(chosen.name());
    boolean runningCounted = false;
    boolean judged = chosen == cpu;
    // Inputs still computing make the call wait for them, and a result still computing took no time to issue: the
    // time of such a call says nothing about its own cost, so the cost model does not learn from it.
    // Asked only until one answers no: on a device, each answer may poll the events of its queue's chain.
    boolean inputsComputed = true;
    for (Resident r : inputs) {
      if (!(inputsComputed = r.computed())) break;
    }
    CallEvent event = Jfr.AVAILABLE ? new CallEvent() : null;
    if (event != null) event.begin();
    long start = System.nanoTime();
    T result;
    try {
      result = move ? applyOn(chosen, inputs, call) : call.apply(chosen, inputs);
      runningCounted = true;
      boolean timed = inputsComputed && (!(result instanceof Resident r) || r.computed());
      for (Resident r : move ? List.<Resident>of() : inputs) {
        if (!(timed = timed && r.computed())) break;
      }
      costModel.finished(running, chosen, cost, (System.nanoTime() - start) * 1e-9, timed ? predicted : null);
      health.succeeded(chosen.name(), failuresAtStart, ticket);
      judged = true;
    } catch (RuntimeException e) {
      if (!runningCounted) running.decrementAndGet();
      runningCounted = true;
      // The caller's mistake (a matrix closed during the call, a size refused) would fail on the CPU too, and a
      // kernel's own error (an index out of bounds) is the kernel's on every backend.
      if (chosen == cpu || e instanceof IllegalArgumentException || e instanceof IllegalStateException
          || e instanceof KernelFault) {
        throw e;
      }
      boolean refused = e instanceof BackendRefusedException;
      fallback = chosen.name() + (refused ? " refused: " : " failed: ") + e.getMessage();
      if (!refused) noteFailure(chosen.name(), op, e, ticket);
      judged = !refused;
      fallbacks.increment();
      result = move ? applyOn(cpu, inputs, call) : call.apply(cpu, inputs);
      chosen = cpu;
    } finally {
      // An Error (out of memory, a stack overflow) still ends the call: it no longer runs, and it judged nothing.
      if (!runningCounted) running.decrementAndGet();
      if (!judged) health.released(placement.chosen.name(), ticket);
    }
    completed.computeIfAbsent(chosen.name(), name -> new java.util.concurrent.atomic.LongAdder()).increment();
    long nanos = System.nanoTime() - start;
    lastCall.set(new CallRecord(op, shape, requested, chosen.name(), nanos, fallback));
    if (event != null && event.shouldCommit()) {
      event.record(op, shape, requested, placement.chosen.name(), placement.reason, predicted, chosen.name(), cost,
          fallback);
    }
    if (LOG.isLoggable(Level.DEBUG)) {
      LOG.log(Level.DEBUG, String.format(java.util.Locale.ROOT, "pincette: %s %s -> %s in %.1f us (%s)%s%s", op,
          shape, chosen.name(), nanos / 1e3, placement.reason, placement.predictions.isEmpty() ? ""
              : "; predicted " + placement.predictions, fallback.isEmpty() ? "" : "; " + fallback));
    }
    return result;
  }

  /** Runs {@code call} on {@code backend} with every input resident there, moving (and later freeing) copies. */
  private <T> T applyOn(Backend backend, List<Resident> inputs, BiFunction<Backend, List<Resident>, T> call) {
    if (inputs.isEmpty()) return call.apply(backend, inputs);
    List<Resident> local = new ArrayList<>(inputs.size());
    List<Resident> copies = new ArrayList<>();
    try {
      for (Resident r : inputs) {
        if (r.backend().equals(backend.name())) {
          local.add(r);
        } else {
          Resident copy = backend.upload(download(r));
          copies.add(copy);
          local.add(copy);
        }
      }
      return call.apply(backend, local);
    } finally {
      for (Resident copy : copies) copy.close();
    }
  }

  /** The backend holding {@code r}, also when it is no longer used for new calls. */
  public Backend holder(Resident r) {
    Backend b = backends.get(r.backend());
    if (b == null) throw new IllegalStateException("no backend named " + r.backend() + " holds this data");
    return b;
  }

  /**
   * The backend new resident data goes to: the current scope's, or under {@code auto} the first healthy device that
   * is not the CPU (where chained work pays), else the CPU.
   */
  public Backend residentHome() {
    BackendKind kind = currentKind();
    if (kind == BackendKind.CPU) return cpu();
    if (kind == BackendKind.OPENCL) {
      Backend b = backend(BackendKind.OPENCL.id());
      return health.isOn(b.name()) ? b : cpu();
    }
    for (Backend b : backends.values()) {
      if (b.isAvailable() && health.isOn(b.name()) && b != backends.get(BackendKind.CPU.id())) return b;
    }
    return cpu();
  }

  /**
   * Makes {@code values} resident on {@link #residentHome()}, or on the CPU when that backend fails. Never lost:
   * the CPU keeps the array itself.
   */
  public Resident upload(float[] values) {
    Backend home = residentHome();
    try {
      return home.upload(values);
    } catch (RuntimeException e) {
      Backend cpu = cpu();
      if (home == cpu || e instanceof IllegalArgumentException || e instanceof IllegalStateException) throw e;
      reportFailure(home.name(), "upload", e);
      return cpu.upload(values);
    }
  }

  /**
   * Makes {@code values} (a private array of a kernel element type) resident on {@link #residentHome()} as an array
   * kernels write in place, or on the CPU when that backend fails: never lost, the CPU keeps the array itself.
   */
  public Resident uploadArray(Object values) {
    return onHome("upload", be -> be.uploadArray(values));
  }

  /** {@code length} zeros of {@code type}, resident on {@link #residentHome()} (or the CPU when that fails). */
  public Resident allocate(dev.pincette.spi.KernelArg.Type type, int length) {
    return onHome("zeros", be -> be.allocate(type, length));
  }

  private Resident onHome(String op, Function<Backend, Resident> make) {
    Backend home = residentHome();
    try {
      return make.apply(home);
    } catch (RuntimeException e) {
      Backend cpu = cpu();
      if (home == cpu || e instanceof IllegalArgumentException || e instanceof IllegalStateException) throw e;
      reportFailure(home.name(), op, e);
      return make.apply(cpu);
    }
  }

  /**
   * Native host memory for a {@code HostMatrix}, from {@link #residentHome()} (a GPU pins it for DMA), or ordinary
   * off-heap memory from the CPU when that backend cannot allocate it.
   */
  public HostMemory allocateHost(long bytes) {
    Backend home = residentHome();
    try {
      return home.allocateHost(bytes);
    } catch (RuntimeException e) {
      Backend cpu = cpu();
      if (home == cpu || e instanceof IllegalArgumentException || e instanceof IllegalStateException) throw e;
      reportFailure(home.name(), "hostMatrix", e);
      return cpu.allocateHost(bytes);
    }
  }

  /** The values of {@code r} from the backend holding it; a device failure found there counts against it. */
  public float[] download(Resident r) {
    Backend b = holder(r);
    try {
      return b.download(r);
    } catch (RuntimeException e) {
      reportFailure(b.name(), "download", e);
      throw e;
    }
  }

  /** Copies {@code r} into native memory {@code into}, as {@link #download(Resident)}. */
  public void download(Resident r, java.lang.foreign.MemorySegment into) {
    Backend b = holder(r);
    try {
      b.download(r, into);
    } catch (RuntimeException e) {
      reportFailure(b.name(), "download", e);
      throw e;
    }
  }

  /** Copies {@code r} into {@code into}, an array of its type and length, as {@link #download(Resident)}. */
  public void downloadInto(Resident r, Object into) {
    Backend b = holder(r);
    try {
      b.downloadInto(r, into);
    } catch (RuntimeException e) {
      reportFailure(b.name(), "download", e);
      throw e;
    }
  }

  /** Waits until {@code r} is computed; a device failure found meanwhile counts against its backend. */
  public void await(Resident r) {
    try {
      r.await();
    } catch (RuntimeException e) {
      reportFailure(r.backend(), "await", e);
      throw e;
    }
  }

  /**
   * Counts {@code e}, which {@code backend} threw outside a call the dispatcher ran (a spatial map's search, a read of
   * resident data, a kernel found failed after its call returned), when it is a device failure: refusals and the
   * caller's mistakes count nothing (see {@link Health}).
   */
  public void reportFailure(String backend, String op, RuntimeException e) {
    if (!backend.equals(BackendKind.CPU.id()) && !(e instanceof KernelFault) && Health.isDeviceFailure(e)) {
      noteFailure(backend, op, e, Health.ON);
    }
  }

  /** Thrown through the caller's code by an explained call; caught by {@code Compute.explain}. */
  public static final class ExplainedSignal extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ExplainedSignal() {
      super(null, null, false, false);
    }
  }

  private record Placement(Backend chosen, String reason, List<Prediction> predictions, String fallback) {
    Prediction predictionOf(String name) {
      for (Prediction p : predictions) {
        if (p.backend().equals(name)) return p;
      }
      return null;
    }
  }

  private Placement place(BackendKind requested, CallCost cost, Function<Backend, RuntimeException> refusal) {
    List<Prediction> predictions = new ArrayList<>(backends.size());
    // Backends that cannot run this call (a kernel they cannot translate), and why: the reason tells the user.
    StringBuilder refused = new StringBuilder();
    for (Backend b : backends.values()) {
      if (!b.isAvailable() || !health.mayTry(b.name())) continue;
      RuntimeException why = refusal.apply(b);
      if (why == null) predictions.add(costModel.predict(b, cost));
      else refused.append("; ").append(b.name()).append(" cannot run it: ").append(why.getMessage());
    }
    if (requested == BackendKind.CPU) return new Placement(cpu(), "forced" + refused, predictions, "");
    if (requested == BackendKind.OPENCL) {
      Backend b = backend(BackendKind.OPENCL.id());
      RuntimeException why = refusal.apply(b);
      if (why != null) throw why;
      if (health.mayTry(b.name())) return new Placement(b, "forced", predictions, "");
      return new Placement(cpu(), "opencl is off after repeated failures", predictions,
          "opencl is off after repeated failures: ran on cpu");
    }
    if (predictions.size() <= 1) return new Placement(cpu(), "only backend" + refused, predictions, "");
    if (!costModel.isCalibrated(cpu().name())) {
      Backend home = largestHolder(cost);
      if (home != null) {
        return new Placement(home, "calibrating; where the data is meanwhile" + refused, predictions, "");
      }
      return new Placement(cpu(), "calibrating; cpu meanwhile" + refused, predictions, "");
    }
    Prediction best = null;
    for (Prediction p : predictions) {
      if (p.calibrated() && (best == null || p.totalSeconds() < best.totalSeconds())) best = p;
    }
    return new Placement(backends.get(best.backend()), "fastest predicted" + refused, predictions, "");
  }

  /** The usable, healthy backend holding most of the call's resident inputs, or null when none does. */
  private Backend largestHolder(CallCost cost) {
    Backend best = null;
    long bestBytes = -1;
    for (Map.Entry<String, Long> e : cost.residentBytes().entrySet()) {
      Backend b = backends.get(e.getKey());
      if (b != null && b.isAvailable() && health.mayTry(b.name()) && e.getValue() > bestBytes) {
        best = b;
        bestBytes = e.getValue();
      }
    }
    return best;
  }

  /** Reports work of {@code backend} timed outside a dispatched call to the cost model ({@link CostModel#observed}). */
  public void observed(String backend, CallCost cost, double seconds) {
    Backend b = backends.get(backend);
    if (b != null) costModel.observed(b, cost, seconds);
  }

  /** The cost model, for {@code pincette calibrate} and benchmarks. */
  public CostModel costModel() {
    return costModel;
  }

  /** Every usable backend. */
  public List<Backend> usableBackends() {
    return backends.values().stream().filter(Backend::isAvailable).toList();
  }

  /** Which backends take calls; tests reset it between fault injections. */
  public Health health() {
    return health;
  }

  /** Calls whose result came from {@code backend} so far (calls that fell back count for the CPU). */
  public long completedOn(String backend) {
    var count = completed.get(backend);
    return count == null ? 0 : count.sum();
  }

  /** Calls that left the backend they were placed on for the CPU so far. */
  public long fallbacks() {
    return fallbacks.sum();
  }

  /** Counts a device failure of {@code backend}, in the call holding {@code ticket} (see {@link Health#claim}). */
  private void noteFailure(String backend, String op, RuntimeException e, long ticket) {
    boolean switchedOff = health.failed(backend, ticket);
    String key = backend + ":" + op + ":" + e.getClass().getName();
    if (logged.add(key)) {
      LOG.log(Level.WARNING, "pincette: " + op + " on " + backend + " failed: " + e.getMessage());
    }
    if (switchedOff) {
      LOG.log(Level.WARNING, "pincette: " + backend + " failed " + Health.OFF_AFTER + " times in a row; using cpu"
          + " until a call probing it after a cool-down (pincette.retryAfterSeconds) succeeds");
    }
  }

  /** The CPU backend, which every installation has. */
  public Backend cpu() {
    Backend b = backends.get(BackendKind.CPU.id());
    if (b == null) {
      throw new IllegalStateException("no cpu backend on the class path: add dev.pincette:pincette-cpu-backend");
    }
    return b;
  }

  /** The calling thread's last call, or null. */
  public CallRecord lastCall() {
    return lastCall.get();
  }

  private void closeAll() {
    for (Backend b : backends.values()) {
      try {
        b.close();
      } catch (RuntimeException e) {
        LOG.log(Level.DEBUG, "pincette: closing " + b.name() + " failed", e);
      }
    }
  }
}
