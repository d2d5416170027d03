package dev.pincette.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pincette.BackendKind;
import dev.pincette.Compute;
import dev.pincette.DeviceInfo;
import dev.pincette.DeviceMatrix;
import dev.pincette.Matrix;
import dev.pincette.Prediction;
import dev.pincette.cpu.CpuBackend;
import dev.pincette.internal.CallCost;
import dev.pincette.internal.CostModel;
import dev.pincette.internal.Dispatcher;
import dev.pincette.kernels.ReduceOp;
import dev.pincette.kernels.SpatialOp;
import dev.pincette.spatial.SpatialHashMap;
import dev.pincette.spi.Backend;
import dev.pincette.spi.BackendRefusedException;
import dev.pincette.spi.SpatialIndex;
import dev.pincette.testing.Products;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A device without float64 (here PoCL with {@code pincette.opencl.fp64=false}): spatial maps are refused and built on
 * the CPU, without counting against the device, and every other op runs on it; the calibration leaves the spatial
 * family out instead of failing, so {@code auto} still uses the device for the rest.
 */
class ClNoFp64Test {
  private static final ClBackend BACKEND = new ClBackend(null, ClProgramCache.defaultDir(), false, true, false, false);

  @BeforeAll
  static void requireDevice() {
    ClTestDevice.require(BACKEND);
  }

  @AfterAll
  static void close() {
    BACKEND.close();
  }

  @Test
  void spatialMapsAreRefusedAndEveryOtherOpRuns() {
    BackendRefusedException e = assertThrows(BackendRefusedException.class,
        () -> BACKEND.buildSpatial(new float[30], 3, 0.1f));
    assertTrue(e.getMessage().contains("cl_khr_fp64"), e.getMessage());
    float[] x = Products.random(100_000, 1);
    float[] y = Products.random(100_000, 2);
    assertEquals(ReduceOp.referenceSum(x), BACKEND.sum(x), 1e-6 * ReduceOp.absSum(x));
    assertEquals(ReduceOp.referenceDot(x, y), BACKEND.dot(x, y), 1e-6 * ReduceOp.absDot(x, y));
    assertEquals(ReduceOp.referenceArgmax(x), BACKEND.argmax(x));
    float[] a = Products.random(40 * 30, 3);
    float[] b = Products.random(30 * 20, 4);
    Products.assertProduct(a, b, 40, 30, 20, BACKEND.matmul(a, b, 40, 30, 20));
    assertTrue(BACKEND.calibrationKey().endsWith("|fp64 off"), BACKEND.calibrationKey());
    DeviceInfo info = BACKEND.devices().stream().filter(DeviceInfo::available).findFirst().orElseThrow();
    assertTrue(info.properties().get("fp64").startsWith("false"), info.toString());
  }

  /**
   * The calibration of a backend that refuses spatial maps (as this device does) completes and leaves the family
   * out, so that the model never places a map there and places the rest. (A CPU backend stands in for the device:
   * calibrating PoCL's products tunes every matmul block shape first, minutes on a cold cache.)
   */
  @Test
  void calibrationLeavesSpatialOutAndCalibratesTheRest(@TempDir Path dir) {
    try (Backend refusing = new RefusingSpatialMaps(new CpuBackend())) {
      CostModel model = new CostModel(dir);
      assertTrue(model.calibrate(refusing) != null, "calibrated");
      assertTrue(model.isCalibrated("nofp64"));
      Prediction spatial = model.predict(refusing, new CallCost(CallCost.SPATIAL, 1 << 14, 12L << 14, 0));
      Prediction matmul = model.predict(refusing, new CallCost(CallCost.MATMUL, 2.0 * 256 * 256 * 256,
          3L * 4 * 256 * 256, 0));
      assertEquals(Double.POSITIVE_INFINITY, spatial.totalSeconds(), "never placed here: " + spatial);
      assertTrue(Double.isFinite(matmul.totalSeconds()) && matmul.totalSeconds() > 0, "matmul: " + matmul);
      // While calls run there, the wait is infinite too, not 0·∞.
      var running = model.started("nofp64");
      try {
        assertEquals(Double.POSITIVE_INFINITY,
            model.predict(refusing, new CallCost(CallCost.SPATIAL, 1 << 14, 12L << 14, 0)).totalSeconds());
      } finally {
        running.decrementAndGet();
      }
    }
  }

  /** A backend that refuses spatial maps, as one on a device without float64 does, and runs the rest on the CPU. */
  private record RefusingSpatialMaps(CpuBackend cpu) implements Backend {
    @Override
    public String name() {
      return "nofp64";
    }

    @Override
    public boolean isAvailable() {
      return true;
    }

    @Override
    public String unavailableReason() {
      return "";
    }

    @Override
    public List<DeviceInfo> devices() {
      return cpu.devices();
    }

    @Override
    public float[] matmul(float[] a, float[] b, int m, int k, int n) {
      return cpu.matmul(a, b, m, k, n);
    }

    @Override
    public float[] batchedMatmul(float[] a, float[] b, int count, int m, int k, int n) {
      return cpu.batchedMatmul(a, b, count, m, k, n);
    }

    @Override
    public double sum(float[] x) {
      return cpu.sum(x);
    }

    @Override
    public float min(float[] x) {
      return cpu.min(x);
    }

    @Override
    public float max(float[] x) {
      return cpu.max(x);
    }

    @Override
    public double dot(float[] x, float[] y) {
      return cpu.dot(x, y);
    }

    @Override
    public int argmin(float[] x) {
      return cpu.argmin(x);
    }

    @Override
    public int argmax(float[] x) {
      return cpu.argmax(x);
    }

    @Override
    public SpatialIndex buildSpatial(float[] positions, int dims, float cellSize) {
      throw new BackendRefusedException("the spatial hash needs cl_khr_fp64 for exact distances");
    }

    @Override
    public void close() {
      cpu.close();
    }
  }

  /** The whole library in a JVM started with {@code -Dpincette.opencl.fp64=false}. */
  @Test
  void throughComputeTheDeviceTakesEverythingButSpatialMaps() throws Exception {
    ForkedJvm.Result run = ForkedJvm.run(WithoutFp64.class, 300, List.of("-Dpincette.opencl.fp64=false"));
    assertEquals(0, run.exitCode(), run.output());
    assertTrue(run.output().contains("without fp64: every op checked"), run.output());
  }

  /** Every op through {@code Compute} on a device without float64; exits non-zero on the first wrong thing. */
  static final class WithoutFp64 {
    public static void main(String[] args) {
      check(Compute.devices().stream().anyMatch(d -> d.backend().equals("opencl") && d.available()
          && d.properties().get("fp64").startsWith("false")), "the device shows fp64 false");
      Matrix a = Matrix.of(37, 29, Products.random(37 * 29, 5));
      Matrix b = Matrix.of(29, 41, Products.random(29 * 41, 6));
      Products.assertProduct(a.toArray(), b.toArray(), 37, 29, 41,
          Compute.on(BackendKind.OPENCL).matmul(a, b).toArray());
      onDevice("matmul");
      float[] x = Products.random(50_000, 7);
      check(Math.abs(Compute.on(BackendKind.OPENCL).sum(x) - ReduceOp.referenceSum(x)) <= 1e-6 * ReduceOp.absSum(x),
          "sum");
      onDevice("sum");
      check(Compute.on(BackendKind.OPENCL).max(x) == ReduceOp.referenceMax(x), "max");
      onDevice("max");
      try (DeviceMatrix da = Compute.on(BackendKind.OPENCL).upload(a);
          DeviceMatrix db = Compute.on(BackendKind.OPENCL).upload(b);
          DeviceMatrix dc = Compute.on(BackendKind.OPENCL).matmul(da, db)) {
        check(dc.backend().equals("opencl"), "resident product on the device");
        Products.assertProduct(a.toArray(), b.toArray(), 37, 29, 41, dc.download().toArray());
      }
      float[] xyz = Products.random(3 * 2000, 8);
      for (int i = 0; i < 5; i++) {
        try (SpatialHashMap map = Compute.on(BackendKind.OPENCL).call(() -> SpatialHashMap.build(xyz, 3, 0.1f))) {
          check(map.backend().equals("cpu"), "the map is built on the cpu");
          check(Compute.lastCall().fallbackReason().startsWith("opencl refused: the spatial hash needs cl_khr_fp64"),
              Compute.lastCall().toString());
          float[] center = {0.1f, 0.2f, 0.3f};
          check(java.util.Arrays.equals(SpatialOp.queryReference(xyz, 3, center, 0.2f), map.query(center, 0.2f)),
              "query");
        }
      }
      check(Dispatcher.get().health().isOn("opencl"), "refusals left the device on");
      check(Compute.on(BackendKind.OPENCL).argmin(x) == ReduceOp.referenceArgmin(x), "argmin");
      onDevice("argmin");
      System.out.println("without fp64: every op checked");
    }

    private static void onDevice(String op) {
      check(Compute.lastCall().backend().equals("opencl") && !Compute.lastCall().fellBack(),
          op + " ran on the device: " + Compute.lastCall());
    }

    private static void check(boolean ok, String what) {
      if (ok) return;
      System.out.println("FAILED: " + what);
      System.exit(4);
    }
  }
}
