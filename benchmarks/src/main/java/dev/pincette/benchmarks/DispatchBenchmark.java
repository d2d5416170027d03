package dev.pincette.benchmarks;

import dev.pincette.Compute;
import dev.pincette.cpu.CpuBackend;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import jdk.jfr.Recording;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What placing a call costs: a 16-element sum through {@code Compute} (validation, the cost model's prediction for
 * every backend, the choice, timing and the call record) against the same sum on the backend directly, and
 * {@code Compute.explain} alone (placement without the call). The difference is the dispatch overhead per call.
 * {@code events=on} runs under a JDK Flight Recorder recording of {@code dev.pincette.Call} (every call is an
 * event); {@code off}, without a recording, is what the events cost when nobody records them.
 *
 * <pre>{@code java -jar benchmarks/target/benchmarks.jar DispatchBenchmark -p events=off,on}</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "--enable-native-access=ALL-UNNAMED",
    "--sun-misc-unsafe-memory-access=allow"})
public class DispatchBenchmark {
  private final float[] x = new float[16];
  private CpuBackend cpu;
  private Recording recording;

  @Param({"off", "on"})
  public String events;

  @Setup(Level.Trial)
  public void setUp() {
    cpu = new CpuBackend();
    Compute.sum(x);
    dev.pincette.internal.Dispatcher.get().costModel().awaitCalibration(60);
    if (events.equals("on")) {
      recording = new Recording();
      recording.enable("dev.pincette.Call").withThreshold(Duration.ZERO);
      recording.setToDisk(false);
      recording.start();
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    if (recording != null) recording.close();
    cpu.close();
  }

  @Benchmark
  public double direct() {
    return cpu.sum(x);
  }

  @Benchmark
  public double dispatched() {
    return Compute.sum(x);
  }

  @Benchmark
  public Object placementOnly() {
    return Compute.explain(() -> Compute.sum(x));
  }
}
