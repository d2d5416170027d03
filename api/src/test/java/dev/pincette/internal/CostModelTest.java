package dev.pincette.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pincette.DeviceInfo;
import dev.pincette.Precision;
import dev.pincette.Prediction;
import dev.pincette.spi.Backend;
import dev.pincette.spi.SpatialIndex;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CostModelTest {
  /** A backend that only has a name and a bus; the model is installed, not measured. */
  public record NamedBackend(String name, double transferBytesPerSecond) implements Backend {
    public boolean isAvailable() { return true; }
    public String unavailableReason() { return ""; }
    public List<DeviceInfo> devices() { return List.of(); }
    public float[] matmul(float[] a, float[] b, int m, int k, int n) { throw new UnsupportedOperationException(); }
    public float[] batchedMatmul(float[] a, float[] b, int c, int m, int k, int n) {
      throw new UnsupportedOperationException();
    }
    public double sum(float[] x) { return 0; }
    public float min(float[] x) { return 0; }
    public float max(float[] x) { return 0; }
    public double dot(float[] x, float[] y) { return 0; }
    public int argmin(float[] x) { return 0; }
    public int argmax(float[] x) { return 0; }
    public SpatialIndex buildSpatial(float[] p, int d, float c) { throw new UnsupportedOperationException(); }
    public void close() {}
  }

  private static BackendModel model(String key, double overhead, double bandwidth, double secondsPerFlop) {
    Curve curve = new Curve(new double[] {1e3, 1e9}, new double[] {1e3 * secondsPerFlop, 1e9 * secondsPerFlop});
    return new BackendModel(key, overhead, bandwidth, Map.of(CallCost.MATMUL, curve));
  }

  private static BackendModel reduceModel(String key, double overhead, double secondsPerElement) {
    Curve curve = new Curve(new double[] {1e3, 1e9}, new double[] {1e3 * secondsPerElement, 1e9 * secondsPerElement});
    return new BackendModel(key, overhead, Double.POSITIVE_INFINITY, Map.of(CallCost.REDUCE, curve));
  }

  @Test
  void eachKernelLearnsItsOwnCostOnEachBackendFromTheCallsItSees() {
    CostModel m = new CostModel(Path.of("unused"));
    Backend cpu = new NamedBackend("cpu", Double.POSITIVE_INFINITY);
    Backend gpu = new NamedBackend("gpu", Double.POSITIVE_INFINITY);
    m.install("cpu", reduceModel("cpu", 1e-6, 1e-9));
    m.install("gpu", reduceModel("gpu", 500e-6, 1e-10));
    CallCost heavy = new CallCost(CallCost.KERNEL + "Physics.heavy(I[F)V", 1e5, 0, 0);
    CallCost light = new CallCost(CallCost.KERNEL + "Physics.light(I[F)V", 1e5, 0, 0);
    // Before any call, a kernel costs what a pass over its elements costs: the CPU's overhead wins at this size.
    assertTrue(m.predict(cpu, heavy).totalSeconds() < m.predict(gpu, heavy).totalSeconds());
    // The heavy kernel runs once on the CPU, 100 times slower than that pass: the GPU is now predicted faster for it,
    // and for it only.
    double observed = 100 * m.predict(cpu, heavy).totalSeconds();
    m.finished(m.started("cpu"), cpu, heavy, observed, m.predict(cpu, heavy));
    assertEquals(observed, m.predict(cpu, heavy).totalSeconds(), observed * 1e-9);
    assertTrue(m.predict(gpu, heavy).totalSeconds() < m.predict(cpu, heavy).totalSeconds());
    assertTrue(m.predict(cpu, light).totalSeconds() < m.predict(gpu, light).totalSeconds());
    // Its first call on the GPU teaches the GPU's cost too: 30 ms, more than the CPU's 10 ms.
    m.finished(m.started("gpu"), gpu, heavy, 0.030, m.predict(gpu, heavy));
    assertEquals(0.030, m.predict(gpu, heavy).totalSeconds(), 1e-9);
    assertTrue(m.predict(cpu, heavy).totalSeconds() < m.predict(gpu, heavy).totalSeconds());
  }

  @Test
  void predictionSplitsOverheadTransferAndCompute() {
    CostModel m = new CostModel(null);
    Backend gpu = new NamedBackend("gpu", 10e9);
    m.install("gpu", model("gpu", 20e-6, 10e9, 1e-13));
    Prediction p = m.predict(gpu, new CallCost(CallCost.MATMUL, 2e9, 8_000_000, 4_000_000));
    assertEquals(20e-6, p.overheadSeconds(), 1e-12);
    assertEquals(12e6 / 10e9, p.transferSeconds(), 1e-12);
    assertEquals(2e9 * 1e-13, p.computeSeconds(), 1e-9);
    assertEquals(0, p.waitSeconds());
  }

  @Test
  void smallCallsGoWhereOverheadIsLowAndLargeWhereThroughputIsHigh() {
    CostModel m = new CostModel(null);
    Backend cpu = new NamedBackend("cpu", Double.POSITIVE_INFINITY);
    Backend gpu = new NamedBackend("gpu", 10e9);
    m.install("cpu", model("cpu", 1e-6, Double.POSITIVE_INFINITY, 1e-11));
    m.install("gpu", model("gpu", 50e-6, 10e9, 1e-13));
    CallCost tiny = new CallCost(CallCost.MATMUL, 2.0 * 32 * 32 * 32, 8192, 4096);
    CallCost big = new CallCost(CallCost.MATMUL, 2.0 * 2048 * 2048 * 2048, 32L << 20, 16L << 20);
    assertTrue(m.predict(cpu, tiny).totalSeconds() < m.predict(gpu, tiny).totalSeconds());
    assertTrue(m.predict(gpu, big).totalSeconds() < m.predict(cpu, big).totalSeconds());
  }

  @Test
  void observedTimesCorrectAWrongCalibrationWithinAFewCalls() {
    CostModel m = new CostModel(null);
    Backend gpu = new NamedBackend("gpu", Double.POSITIVE_INFINITY);
    m.install("gpu", model("gpu", 0, Double.POSITIVE_INFINITY, 1e-12));
    CallCost cost = new CallCost(CallCost.MATMUL, 1e9, 0, 0);
    double truth = 4 * m.predict(gpu, cost).totalSeconds();
    for (int call = 0; call < 8; call++) {
      Prediction p = m.predict(gpu, cost);
      m.finished(m.started("gpu"), gpu, cost, truth, p);
    }
    double corrected = m.predict(gpu, cost).totalSeconds();
    assertTrue(Math.abs(corrected / truth - 1) < 0.25, "corrected " + corrected + " vs " + truth);
  }

  @Test
  void aRelaxedPrecisionGoesToTheGpuWhereFp32StaysOnTheCpu() {
    CostModel m = new CostModel(Path.of("unused"));
    Backend cpu = new NamedBackend("cpu", Double.POSITIVE_INFINITY);
    Backend gpu = new NamedBackend("gpu", 10e9);
    m.install("cpu", model("cpu", 1e-6, Double.POSITIVE_INFINITY, 1.2e-12));
    // The GPU: 50 µs per call, 1e-12 s per flop in FP32, ten times faster in TF32 (its own calibrated curve). At 1e8
    // flops: the CPU 120 µs, the GPU 150 µs in FP32 and 60 µs in TF32.
    Curve fp32 = new Curve(new double[] {1e3, 1e9}, new double[] {1e-9, 1e-3});
    Curve tf32 = new Curve(new double[] {1e3, 1e9}, new double[] {1e-10, 1e-4});
    m.install("gpu", new BackendModel("gpu", 50e-6, 10e9,
        Map.of(CallCost.MATMUL, fp32, CallCost.curve(CallCost.MATMUL, Precision.TF32), tf32)));
    CallCost product = new CallCost(CallCost.MATMUL, 1e8, 0, 0);
    CallCost relaxed = product.in(Precision.TF32);
    assertTrue(m.predict(cpu, product).totalSeconds() < m.predict(gpu, product).totalSeconds(), "fp32 on the cpu");
    assertTrue(m.predict(gpu, relaxed).totalSeconds() < m.predict(cpu, relaxed).totalSeconds(), "tf32 on the gpu");
    assertEquals(m.predict(cpu, product).totalSeconds(), m.predict(cpu, relaxed).totalSeconds(),
        "the cpu computes tf32 as fp32");
    // BF16 has no curve of its own on the GPU: computed (and predicted) as FP32.
    assertEquals(m.predict(gpu, product).totalSeconds(), m.predict(gpu, product.in(Precision.BF16)).totalSeconds());
  }

  @Test
  void eachPrecisionLearnsFromItsOwnCalls() {
    CostModel m = new CostModel(Path.of("unused"));
    Backend gpu = new NamedBackend("gpu", Double.POSITIVE_INFINITY);
    Curve curve = new Curve(new double[] {1e3, 1e9}, new double[] {1e-9, 1e-3});
    m.install("gpu", new BackendModel("gpu", 0, Double.POSITIVE_INFINITY,
        Map.of(CallCost.MATMUL, curve, CallCost.curve(CallCost.MATMUL, Precision.TF32), curve)));
    CallCost fp32 = new CallCost(CallCost.MATMUL, 1e9, 0, 0).in(Precision.FP32);
    CallCost tf32 = fp32.in(Precision.TF32);
    CallCost bf16 = fp32.in(Precision.BF16);
    double predicted = m.predict(gpu, fp32).totalSeconds();
    for (int call = 0; call < 8; call++) {
      Prediction p = m.predict(gpu, tf32);
      m.finished(m.started("gpu"), gpu, tf32, predicted / 4, p);
    }
    assertEquals(predicted / 4, m.predict(gpu, tf32).totalSeconds(), predicted * 1e-9, "tf32 corrected");
    assertEquals(predicted, m.predict(gpu, fp32).totalSeconds(), predicted * 1e-9, "fp32 unmoved");
    assertEquals(predicted, m.predict(gpu, bf16).totalSeconds(), predicted * 1e-9, "bf16 (run as fp32) unmoved");
  }

  @Test
  void callsOnNativeHostMemoryKeepTheirOwnCorrection() {
    CostModel m = new CostModel(null);
    Backend gpu = new NamedBackend("gpu", Double.POSITIVE_INFINITY);
    m.install("gpu", model("gpu", 0, Double.POSITIVE_INFINITY, 1e-12));
    CallCost arrays = new CallCost(CallCost.MATMUL, 1e9, 0, 0);
    CallCost host = CallCost.onNativeHost(CallCost.MATMUL, 1e9, 0, 0);
    double predicted = m.predict(gpu, arrays).totalSeconds();
    for (int call = 0; call < 8; call++) {
      Prediction p = m.predict(gpu, host);
      m.finished(m.started("gpu"), gpu, host, predicted / 3, p);
    }
    assertEquals(predicted, m.predict(gpu, arrays).totalSeconds(), predicted * 1e-9, "array calls unmoved");
    assertTrue(m.predict(gpu, host).totalSeconds() < predicted / 2, "host calls corrected");
  }

  @Test
  void oneOutlierDoesNotMoveTheCorrection() {
    CostModel m = new CostModel(null);
    Backend cpu = new NamedBackend("cpu", Double.POSITIVE_INFINITY);
    m.install("cpu", model("cpu", 0, Double.POSITIVE_INFINITY, 1e-12));
    CallCost cost = new CallCost(CallCost.MATMUL, 1e9, 0, 0);
    double truth = 2 * m.predict(cpu, cost).totalSeconds();
    for (int call = 0; call < 6; call++) m.finished(m.started("cpu"), cpu, cost, truth, m.predict(cpu, cost));
    m.finished(m.started("cpu"), cpu, cost, 100 * truth, m.predict(cpu, cost));
    assertEquals(truth, m.predict(cpu, cost).totalSeconds(), 1e-9 * truth);
  }

  @Test
  void aShortBurstOfSlowCallsDoesNotMoveTheCorrectionButALastingSlowdownDoes() {
    long[] now = {0};
    CostModel m = new CostModel(null, () -> now[0]);
    Backend cpu = new NamedBackend("cpu", Double.POSITIVE_INFINITY);
    m.install("cpu", model("cpu", 0, Double.POSITIVE_INFINITY, 1e-12));
    CallCost cost = new CallCost(CallCost.MATMUL, 1e6, 0, 0);
    double truth = m.predict(cpu, cost).totalSeconds();
    // 300 µs calls for 60 ms, then 20 calls (6 ms) three times slower: more than the last 15 calls, far less than
    // half of the window's 100 ms.
    observe(m, cpu, cost, 200, truth, now);
    observe(m, cpu, cost, 20, 3 * truth, now);
    assertEquals(truth, m.predict(cpu, cost).totalSeconds(), 1e-9 * truth);
    // The slowdown lasts: after a window's worth of slow calls the prediction follows it.
    observe(m, cpu, cost, 400, 3 * truth, now);
    assertEquals(3 * truth, m.predict(cpu, cost).totalSeconds(), 1e-9 * truth);
  }

  /** {@code calls} calls of {@code seconds} each, 300 µs apart on the model's clock. */
  private static void observe(CostModel m, Backend b, CallCost cost, int calls, double seconds, long[] now) {
    for (int call = 0; call < calls; call++, now[0] += 300_000) {
      m.finished(m.started(b.name()), b, cost, seconds, m.predict(b, cost));
    }
  }

  @Test
  void runningCallsAddWait() {
    CostModel m = new CostModel(null);
    Backend gpu = new NamedBackend("gpu", Double.POSITIVE_INFINITY);
    m.install("gpu", model("gpu", 0, Double.POSITIVE_INFINITY, 1e-12));
    CallCost cost = new CallCost(CallCost.MATMUL, 1e9, 0, 0);
    var a = m.started("gpu");
    m.started("gpu");
    Prediction p = m.predict(gpu, cost);
    assertEquals(2 * p.computeSeconds(), p.waitSeconds(), 1e-12);
    a.decrementAndGet();
  }

  @Test
  void storedCalibrationRoundTripsAndDamagedOrStaleFilesAreIgnored(@TempDir Path dir) throws Exception {
    BackendModel original = model("dev|drv", 3e-6, 12e9, 1e-12);
    Path file = dir.resolve("c.properties");
    original.save(file);
    BackendModel loaded = BackendModel.load(file, "dev|drv");
    assertNotNull(loaded);
    assertEquals(3e-6, loaded.overheadSeconds(), 1e-12);
    assertEquals(original.computeSeconds(CallCost.MATMUL, 5e6), loaded.computeSeconds(CallCost.MATMUL, 5e6), 1e-9);
    assertNull(BackendModel.load(file, "dev|newer-driver"), "a new driver must recalibrate");
    Files.writeString(file, Files.readString(file).replace("curve.matmul=", "curve.matmul=garbage,"));
    assertNull(BackendModel.load(file, "dev|drv"));
    Files.write(file, new byte[] {0, 1, 2, (byte) 0xff});
    assertNull(BackendModel.load(file, "dev|drv"));
    assertNull(BackendModel.load(dir.resolve("missing"), "dev|drv"));
  }

  /** Device names are not all Latin-1: a key such as "摩尔线程 MTT S80" must match itself after a round trip. */
  @Test
  void aCalibrationKeyBeyondLatin1RoundTrips(@TempDir Path dir) {
    for (String key : new String[] {"摩尔线程 MTT S80|driver 2.7", "Radeon™ Pro|pilote é", "GPU 🚀|drv"}) {
      Path file = dir.resolve("c.properties");
      assertTrue(model(key, 3e-6, 12e9, 1e-12).save(file), key);
      BackendModel loaded = BackendModel.load(file, key);
      assertNotNull(loaded, key);
      assertEquals(key, loaded.key());
      assertNull(BackendModel.load(file, key.replace('|', '/')), "another key does not match");
    }
  }

  @Test
  void curveInterpolatesInLogLogAndExtrapolatesProportionally() {
    Curve c = new Curve(new double[] {100, 10_000}, new double[] {1e-6, 1e-3});
    assertEquals(1e-6, c.seconds(100), 1e-15);
    assertEquals(1e-3, c.seconds(10_000), 1e-12);
    assertEquals(Math.sqrt(1e-6 * 1e-3), c.seconds(1000), 1e-9);
    assertEquals(2e-3, c.seconds(20_000), 1e-12);
    assertEquals(0.5e-6, c.seconds(50), 1e-15);
  }
}
