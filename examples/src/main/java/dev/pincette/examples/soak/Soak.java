package dev.pincette.examples.soak;

import dev.pincette.BackendKind;
import dev.pincette.Compute;
import dev.pincette.internal.Dispatcher;
import dev.pincette.internal.Health;
import dev.pincette.opencl.ClFaults;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Load and soak: many threads calling every op for a given time, each result checked against the float64 reference,
 * with OpenCL failures injected at random ({@link ClFaults}), so that every fallback path runs under load. Memory is
 * read once the warm-up (JIT, kernel builds, pools filling) is over, after each quarter of the rest, and at the end,
 * each time with every thread stopped and every handle but the shared map's closed: what a run leaks grows from
 * quarter to quarter, while caches and pools that fill up (the C allocator's, the OpenCL runtime's) stop growing. A run
 * fails when native memory grew by more than {@value #SLACK_MIB} MiB in all, or over its second half by more than
 * {@value #LEAK_MIB_PER_MINUTE} MiB a minute (and {@value #NOISE_MIB} MiB: readings on PoCL move by several MiB
 * between quarters either way).
 */
public final class Soak {
  /** Call names whose next call fails as if the device had (see {@link ClFaults}). */
  private static final List<String> FAULTS = List.of("clEnqueueNDRangeKernel", "clCreateBuffer",
      "clEnqueueWriteBuffer", "clEnqueueReadBuffer", "clEnqueueMapBuffer", "clEnqueueFillBuffer", "clWaitForEvents",
      "kernelFailure(matmul)");
  /** A run stops and reports a hang when no call completes for this long. */
  private static final long HANG_NANOS = TimeUnit.SECONDS.toNanos(180);
  /** C-allocator growth allowed from the end of the warm-up to the end: the allocator's caches, the JIT's arenas. */
  static final int SLACK_MIB = 64;
  /** C-allocator growth a minute allowed over the second half of the measured time, where caches are full. */
  static final int LEAK_MIB_PER_MINUTE = 1;
  /** Second-half growth below this is noise, whatever the rate. */
  static final int NOISE_MIB = 8;
  /** Parts of the measured time, each followed by a reading of memory. */
  private static final int PARTS = 4;

  private final int threads;
  private final double seconds;
  private final long seed;
  private final boolean faults;
  /** The backend every op runs on, or null to mix auto, the CPU and OpenCL at random, op by op. */
  private final BackendKind backend;
  private final PrintStream out;

  public Soak(int threads, double seconds, long seed, boolean faults, BackendKind backend, PrintStream out) {
    if (threads < 1) throw new IllegalArgumentException("soak: threads must be at least 1, got " + threads);
    if (!(seconds > 0)) throw new IllegalArgumentException("soak: the run must last more than 0 s, got " + seconds);
    this.threads = threads;
    this.seconds = seconds;
    this.seed = seed;
    this.faults = faults;
    this.backend = backend;
    this.out = out;
  }

  /**
   * What a run found; {@link #passed()} when no result was wrong, nothing unexpected was thrown and memory stayed.
   *
   * @param readings memory after the warm-up and after each part of the measured time, the shared map still open
   * @param end memory at the end, everything closed
   */
  public record Result(Tally tally, List<MemoryGauge> readings, MemoryGauge end, boolean hung, List<String> problems) {
    public Result {
      readings = List.copyOf(readings);
      problems = List.copyOf(problems);
    }

    public boolean passed() {
      return problems.isEmpty();
    }

    /** Memory once the warm-up was over. */
    public MemoryGauge start() {
      return readings.getFirst();
    }
  }

  public Result run() {
    Tally tally = new Tally();
    List<String> problems = new ArrayList<>();
    double warmUp = Math.min(60, seconds / 10);
    out.printf(Locale.ROOT, "soak: %d threads, %.0f s (%.0f s warm-up first), backend %s, faults %s, seed %d%n",
        threads, seconds, warmUp, backend != null ? backend.id() : "mixed", faults ? "on" : "off", seed);
    SharedMap shared = Compute.on(backend != null ? backend : BackendKind.AUTO).call(() -> new SharedMap(seed));
    boolean hung;
    List<MemoryGauge> readings = new ArrayList<>();
    try {
      SoakOps ops = new SoakOps(shared);
      hung = phase(ops, tally, warmUp, seed);
      readings.add(MemoryGauge.read());
      for (int part = 1; part <= PARTS && !hung; part++) {
        hung = phase(ops, tally, (seconds - warmUp) / PARTS, seed + part);
        readings.add(MemoryGauge.read());
      }
    } finally {
      shared.close();
    }
    MemoryGauge end = MemoryGauge.read();
    problems.addAll(judge(tally, readings, end, hung, (seconds - warmUp) / 60));
    return new Result(tally, readings, end, hung, problems);
  }

  /** Runs the mix on every thread for {@code seconds}; true when it hung (no call completed for too long). */
  private boolean phase(SoakOps ops, Tally tally, double seconds, long phaseSeed) {
    AtomicBoolean stop = new AtomicBoolean();
    List<SoakOps.Weighted> mix = ops.mix();
    List<BackendKind> kinds = new ArrayList<>(List.of(BackendKind.AUTO, BackendKind.CPU));
    if (Compute.devices().stream().anyMatch(d -> d.backend().equals("opencl") && d.available())) {
      kinds.add(BackendKind.OPENCL);
    }
    int total = mix.stream().mapToInt(SoakOps.Weighted::weight).sum();
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      SplittableRandom rnd = new SplittableRandom(phaseSeed * 1_000_003L + t);
      Thread worker = new Thread(() -> {
        while (!stop.get()) {
          SoakOps.Weighted op = draw(mix, total, rnd);
          BackendKind scope = backend != null ? backend : kinds.get(rnd.nextInt(kinds.size()));
          try {
            Compute.on(scope).run(() -> op.op().run(rnd, tally));
          } catch (RuntimeException | Error e) {
            tally.unexpected(op.name(), e);
          }
        }
      }, "soak-" + t);
      worker.setDaemon(true);
      workers.add(worker);
    }
    Thread injector = faults ? injector(stop, tally, phaseSeed) : null;
    workers.forEach(Thread::start);
    long end = System.nanoTime() + (long) (seconds * 1e9);
    long lastCalls = -1, lastProgress = System.nanoTime(), nextReport = System.nanoTime() + 30_000_000_000L;
    boolean hung = false;
    while (System.nanoTime() < end) {
      sleep(1000);
      long calls = tally.totalCalls();
      if (calls != lastCalls) {
        lastCalls = calls;
        lastProgress = System.nanoTime();
      } else if (System.nanoTime() - lastProgress > HANG_NANOS) {
        hung = true;
        dumpThreads();
        break;
      }
      if (System.nanoTime() > nextReport) {
        nextReport += 30_000_000_000L;
        out.printf(Locale.ROOT, "  %,d calls, %d wrong, %d unexpected, %d fallbacks, %d faults fired%n", calls,
            tally.wrong.sum(), tally.unexpected.sum(), tally.fallbacks.sum(), tally.faultsFired.sum());
      }
    }
    stop.set(true);
    for (Thread w : workers) join(w, hung ? 1 : HANG_NANOS / 1_000_000);
    if (injector != null) join(injector, 10_000);
    ClFaults.clear();
    for (Thread w : workers) hung |= w.isAlive();
    return hung;
  }

  private static SoakOps.Weighted draw(List<SoakOps.Weighted> mix, int total, SplittableRandom rnd) {
    int pick = rnd.nextInt(total);
    for (SoakOps.Weighted w : mix) {
      pick -= w.weight();
      if (pick < 0) return w;
    }
    return mix.getLast();
  }

  /**
   * Arms one fault at a time, every 20 to 220 ms, and counts those that fired; one that no call meets within a second
   * (a call the mix makes rarely) gives way to another. None is armed while failures have switched OpenCL off: the
   * call that probes it after its cool-down would meet one nearly every time, and the device would stay off for most
   * of the rest of the run (a 10-minute run on PoCL called it 7 times in its last 3 minutes, the cool-down doubling
   * from 1 s to 32 s after each failed probe).
   */
  private static Thread injector(AtomicBoolean stop, Tally tally, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed ^ 0x5eed);
    Health health = Dispatcher.get().health();
    Thread t = new Thread(() -> {
      long armedAt = 0;
      while (!stop.get()) {
        if (ClFaults.armed() && System.nanoTime() - armedAt > 1_000_000_000L) ClFaults.clear();
        if (!health.isOn("opencl")) {
          ClFaults.clear();
          sleep(100);
          continue;
        }
        if (!ClFaults.armed()) {
          ClFaults.failNext(FAULTS.get(rnd.nextInt(FAULTS.size())));
          armedAt = System.nanoTime();
          tally.faultsArmed.increment();
        }
        sleep(20 + rnd.nextInt(200));
        if (!ClFaults.armed()) tally.faultsFired.increment();
      }
    }, "soak-faults");
    t.setDaemon(true);
    t.start();
    return t;
  }

  /**
   * The problems of a run of {@code measuredMinutes} after its warm-up: a hang, wrong results, unexpected exceptions,
   * native memory (besides the OpenCL backend's pool) that grew by more than {@value #SLACK_MIB} MiB from the first
   * reading to the end, or from the middle reading to the last by more than {@value #LEAK_MIB_PER_MINUTE} MiB a
   * minute and {@value #NOISE_MIB} MiB, device buffers or resident bytes left. Memory is not judged after a hang:
   * stuck threads still hold what they were using.
   */
  static List<String> judge(Tally tally, List<MemoryGauge> readings, MemoryGauge end, boolean hung,
      double measuredMinutes) {
    List<String> problems = new ArrayList<>();
    if (hung) problems.add("no call completed for " + HANG_NANOS / 1_000_000_000L + " s (threads dumped above)");
    if (tally.wrong.sum() > 0) problems.add(tally.wrong.sum() + " wrong results");
    if (tally.unexpected.sum() > 0) problems.add(tally.unexpected.sum() + " unexpected exceptions");
    MemoryGauge start = readings.getFirst();
    if (!hung && start.mallocBytes() >= 0) {
      long grown = end.nativeBesidesDevice() - start.nativeBesidesDevice();
      if (grown > (long) SLACK_MIB << 20) {
        problems.add(String.format(Locale.ROOT, "native memory besides the device pool grew by %.1f MiB",
            grown / 1048576.0));
      }
      double secondHalf = (readings.getLast().nativeBesidesDevice()
          - readings.get(readings.size() / 2).nativeBesidesDevice()) / 1048576.0;
      double minutes = measuredMinutes * (readings.size() - 1 - readings.size() / 2) / (readings.size() - 1);
      if (readings.size() > 2 && secondHalf > NOISE_MIB && secondHalf > LEAK_MIB_PER_MINUTE * minutes) {
        problems.add(String.format(Locale.ROOT, "native memory besides the device pool grew by %.1f MiB over the "
            + "second half of the run (%.1f MiB a minute): it does not level off", secondHalf, secondHalf / minutes));
      }
    }
    if (end.deviceBuffersLeased() > 0) problems.add(end.deviceBuffersLeased() + " device buffers still leased");
    if (end.deviceResidentBytes() > 0) problems.add(end.deviceResidentBytes() + " resident device bytes left");
    return problems;
  }

  /** The report: calls, results, fallbacks, memory, verdict. */
  public void print(Result r) {
    Tally t = r.tally();
    long calls = t.totalCalls();
    out.printf(Locale.ROOT, "calls              %,d%n", calls);
    for (Map.Entry<String, Long> e : t.callsByOp().entrySet()) {
      out.printf(Locale.ROOT, "  %-16s %,d%n", e.getKey(), e.getValue());
    }
    out.printf(Locale.ROOT, "on a device        %,d dispatched calls%n", t.onDevice.sum());
    out.printf(Locale.ROOT, "wrong results      %d%n", t.wrong.sum());
    out.printf(Locale.ROOT, "unexpected errors  %d%n", t.unexpected.sum());
    out.printf(Locale.ROOT, "fallbacks          %,d (faults armed %,d, fired %,d)%n", t.fallbacks.sum(),
        t.faultsArmed.sum(), t.faultsFired.sum());
    out.printf(Locale.ROOT, "lost residents     %d (a product whose device failed before it was read: documented)%n",
        t.lost.sum());
    for (String example : t.examples) out.println("  " + example);
    out.println("native memory besides the device pool (MiB), shared map open: after warm-up, then after each quarter");
    StringBuilder series = new StringBuilder("  ");
    for (MemoryGauge g : r.readings()) {
      series.append(g.nativeBesidesDevice() < 0 ? "      n/a"
          : String.format(Locale.ROOT, "%9.1f", g.nativeBesidesDevice() / 1048576.0));
    }
    out.println(series);
    out.println("memory             after warm-up       at the end     growth");
    out.print(r.start().compare(r.end()));
    out.println(r.passed() ? "PASS" : "FAIL: " + String.join("; ", r.problems()));
  }

  private static void dumpThreads() {
    System.err.println("soak: no call completed for a while; threads:");
    Thread.getAllStackTraces().forEach((thread, stack) -> {
      System.err.println("\"" + thread.getName() + "\" " + thread.getState());
      for (StackTraceElement frame : stack) System.err.println("    at " + frame);
    });
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void join(Thread t, long millis) {
    try {
      t.join(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
