package dev.pincette.examples.fuzz;

import dev.pincette.AsyncCompute;
import dev.pincette.BackendKind;
import dev.pincette.Compute;
import dev.pincette.ComputeOn;
import dev.pincette.DeviceArray;
import dev.pincette.DeviceMatrix;
import dev.pincette.HostMatrix;
import dev.pincette.Matrix;
import dev.pincette.examples.fuzz.Target.Case;
import dev.pincette.spatial.CellOrder;
import dev.pincette.spatial.DeviceNeighbors;
import dev.pincette.spatial.Neighbors;
import dev.pincette.spatial.SpatialHashMap;
import java.io.PrintStream;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs generated cases of every public method of the API in this JVM, one at a time, and writes one line per case
 * outcome that is not a plain pass (see {@link Fuzzer}, which reads them from a forked JVM so that a crash is a finding,
 * not the end of the run). A case is reproduced from its seed, method and index alone.
 *
 * <p>Lines: {@code CASE sig i description} before each call; then {@code FAIL}, {@code KNOWN} (a listed defect of
 * {@link KnownDefects}), {@code NOWPASSES} (a listed defect's case that passed), {@code SKIP} (a listed crash or hang,
 * not run); {@code HANG} before exiting when a call does not return; {@code DONE sig cases millis} per method;
 * {@code END}.
 */
public final class ApiFuzzer {
  /** The classes whose every public method is fuzzed. */
  static final List<Class<?>> API = List.of(Compute.class, ComputeOn.class, AsyncCompute.class, Matrix.class,
      HostMatrix.class, DeviceMatrix.class, DeviceArray.class, SpatialHashMap.class, Neighbors.class,
      DeviceNeighbors.class, CellOrder.class);
  /** Exit status of a worker whose call did not return within the time limit. */
  static final int HUNG = 4;

  private final long seed;
  private final int cases;
  private final boolean includeKnown;
  private final long timeoutSeconds;
  private final PrintStream out;
  private final ExecutorService caller = Executors.newSingleThreadExecutor(r -> {
    Thread t = new Thread(r, "fuzz-call");
    t.setDaemon(true);
    return t;
  });

  ApiFuzzer(long seed, int cases, boolean includeKnown, long timeoutSeconds, PrintStream out) {
    this.seed = seed;
    this.cases = cases;
    this.includeKnown = includeKnown;
    this.timeoutSeconds = timeoutSeconds;
    this.out = out;
  }

  /**
   * Every target: those written, and each one of {@code Compute} again on {@link ComputeOn} and {@link AsyncCompute}
   * wherever they declare the same method. A new op of {@code Compute} that those mirror needs one target for all.
   */
  static List<Target> targets() {
    List<Target> written = new ArrayList<>(ComputeTargets.all());
    written.addAll(MatrixTargets.all());
    written.addAll(SpatialTargets.all());
    written.addAll(KernelTargets.all());
    written.addAll(ResidentTargets.all());
    written.addAll(SpatialResidentTargets.all());
    List<Target> all = new ArrayList<>(written);
    for (Target t : written) {
      if (t.owner() != Compute.class) continue;
      for (Class<?> mirror : List.of(ComputeOn.class, AsyncCompute.class)) {
        if (method(mirror, t.name(), t.params()).isPresent() && !written.contains(t.on(mirror))) all.add(t.on(mirror));
      }
    }
    return all;
  }

  /** The targets whose signature starts with {@code only} ({@link SelfTest}'s for its prefix). */
  static List<Target> targets(String only) {
    List<Target> all = only.startsWith(SelfTest.PREFIX) ? SelfTest.targets() : targets();
    return all.stream().filter(t -> t.signature().startsWith(only)).toList();
  }

  /** The public methods of {@link #API} that no target calls, as {@code Owner.name(Types)}; empty when all are. */
  static List<String> uncovered() {
    List<Target> targets = targets();
    TreeSet<String> missing = new TreeSet<>();
    for (Class<?> owner : API) {
      for (Method m : owner.getDeclaredMethods()) {
        if (!Modifier.isPublic(m.getModifiers()) || m.isSynthetic()) continue;
        Target wanted = new Target(owner, m.getName(), m.getParameterTypes(), g -> null);
        if (!targets.contains(wanted)) missing.add(wanted.signature());
      }
    }
    return List.copyOf(missing);
  }

  private static Optional<Method> method(Class<?> owner, String name, Class<?>[] params) {
    try {
      return Optional.of(owner.getMethod(name, params));
    } catch (NoSuchMethodException e) {
      return Optional.empty();
    }
  }

  /** Whether OpenCL calls can be forced here. */
  static boolean openclUsable() {
    return Compute.devices().stream().anyMatch(d -> d.backend().equals("opencl") && d.available());
  }

  /** Runs {@code targets} from the one named {@code fromSignature} at case {@code fromIndex} (or from the first). */
  void run(List<Target> targets, String fromSignature, int fromIndex) {
    boolean started = fromSignature == null;
    for (Target t : targets) {
      if (!started && !t.signature().equals(fromSignature)) continue;
      int first = started ? 0 : fromIndex;
      started = true;
      long start = System.nanoTime();
      for (int i = first; i < cases; i++) runCase(t, i);
      out.println("DONE " + t.signature() + " " + cases + " " + (System.nanoTime() - start) / 1_000_000);
    }
    out.println("END");
    out.flush();
  }

  /** The random source of case {@code index} of {@code target}: the same in every run with this seed. */
  private SplittableRandom random(Target target, int index) {
    return new SplittableRandom(seed * 0x9E3779B97F4A7C15L ^ target.signature().hashCode() * 31L ^ index);
  }

  private void runCase(Target target, int index) {
    Gen g = new Gen(random(target, index));
    String sig = target.signature();
    try {
      BackendKind made = ComputeTargets.kind(g);
      Case c = Compute.on(made).call(() -> withReceiver(target, target.cases().apply(g), g));
      Optional<KnownDefects.Known> known = KnownDefects.of(target, c);
      out.println("CASE " + sig + " " + index + " " + oneLine(c.describe()));
      out.flush();
      if (known.isPresent() && known.get().effect() != KnownDefects.Effect.FAILS && !includeKnown) {
        out.println("SKIP " + sig + " " + index + " " + known.get().what());
        return;
      }
      BackendKind called = ComputeTargets.kind(g);
      Object[] outcome = call(target, c, called);
      if (outcome[0] instanceof AutoCloseable handle && Arrays.stream(c.args()).noneMatch(a -> a == handle)) {
        g.owned.add(handle);
      }
      String failure = Expect.judge(c.expect(), outcome[0], (Throwable) outcome[1]);
      String closing = g.closeOwned();
      if (failure == null) failure = closing;
      if (failure != null) failure += " [made under " + made.id() + ", called under " + called.id() + "]";
      report(sig, index, known, failure);
    } catch (RuntimeException | Error e) {
      // The case could not even be made: a failure of the call that made its arguments.
      report(sig, index, Optional.empty(), "making the case threw " + Expect.describe(e));
    } finally {
      g.closeOwned();
    }
  }

  private void report(String sig, int index, Optional<KnownDefects.Known> known, String failure) {
    if (failure != null && known.isPresent()) out.println("KNOWN " + sig + " " + index + " " + known.get().what()
        + " :: " + oneLine(failure));
    else if (failure != null) out.println("FAIL " + sig + " " + index + " " + oneLine(failure));
    else if (known.isPresent()) out.println("NOWPASSES " + sig + " " + index + " " + known.get().what());
    out.flush();
  }

  /**
   * A mirrored target's case gets a receiver of its class: {@code Compute.on(kind)} (now and then checking races,
   * which kernel calls must pass alike), or its async view.
   */
  private static Case withReceiver(Target target, Case c, Gen g) {
    if (target.owner() == ComputeOn.class && c.receiver() == null) {
      ComputeOn on = Compute.on(ComputeTargets.kind(g));
      return new Case(g.chance(0.15) ? on.checkingRaces() : on, c.args(), c.expect());
    }
    if (target.owner() == AsyncCompute.class && c.receiver() == null) {
      AsyncCompute async = g.chance(0.5) ? Compute.async() : Compute.on(ComputeTargets.kind(g)).async();
      return new Case(async, c.args(), c.expect());
    }
    return c;
  }

  /** {result, thrown}: calls the method on its own thread, waiting at most the time limit (then reports a hang). */
  private Object[] call(Target target, Case c, BackendKind kind) {
    Method m = method(target.owner(), target.name(), target.params()).orElseThrow();
    Object receiver = Modifier.isStatic(m.getModifiers()) ? null : c.receiver();
    Future<Object[]> running = caller.submit(() -> Compute.on(kind).call(() -> {
      try {
        Object result = m.invoke(receiver, c.args());
        if (result instanceof CompletableFuture<?> future) result = future.get(timeoutSeconds, TimeUnit.SECONDS);
        return new Object[] {result, null};
      } catch (InvocationTargetException e) {
        return new Object[] {null, e.getCause()};
      } catch (ExecutionException e) {
        return new Object[] {null, e.getCause()};
      } catch (ReflectiveOperationException | InterruptedException | TimeoutException e) {
        return new Object[] {null, e};
      }
    }));
    try {
      return running.get(timeoutSeconds, TimeUnit.SECONDS);
    } catch (TimeoutException e) {
      out.println("HANG " + target.signature() + " " + oneLine(c.describe()) + " did not return in " + timeoutSeconds
          + " s");
      out.flush();
      dumpThreads();
      // halt, not exit: the shutdown hooks would close the backends, which wait for the call that hangs.
      Runtime.getRuntime().halt(HUNG);
      throw new IllegalStateException("unreachable");
    } catch (InterruptedException | ExecutionException e) {
      return new Object[] {null, e instanceof ExecutionException ee ? ee.getCause() : e};
    }
  }

  private static String oneLine(String s) {
    return s.replace('\n', ' ').replace('\r', ' ');
  }

  private static void dumpThreads() {
    Thread.getAllStackTraces().forEach((thread, stack) -> {
      System.err.println("\"" + thread.getName() + "\" " + thread.getState());
      for (StackTraceElement frame : stack) System.err.println("    at " + frame);
    });
  }

  /**
   * The worker: {@code ApiFuzzer SEED CASES TIMEOUT_S INCLUDE_KNOWN [ONLY_PREFIX|-] [FROM_SIGNATURE FROM_INDEX]}.
   * {@link Fuzzer} starts it; run by hand, it runs in this JVM and a crash ends the run.
   */
  public static void main(String[] args) {
    long seed = Long.parseLong(args[0]);
    int cases = Integer.parseInt(args[1]);
    long timeout = Long.parseLong(args[2]);
    boolean includeKnown = Boolean.parseBoolean(args[3]);
    String only = args.length > 4 && !args[4].equals("-") ? args[4] : "";
    List<Target> targets = targets(only);
    String from = args.length > 6 ? args[5] : null;
    int fromIndex = args.length > 6 ? Integer.parseInt(args[6]) : 0;
    new ApiFuzzer(seed, cases, includeKnown, timeout, System.out).run(targets, from, fromIndex);
    System.exit(0);
  }
}
