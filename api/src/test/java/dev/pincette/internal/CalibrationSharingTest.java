package dev.pincette.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pincette.DeviceInfo;
import dev.pincette.spi.Backend;
import dev.pincette.spi.BackendRefusedException;
import dev.pincette.spi.SpatialIndex;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cost models that start together on one cache folder (JVMs starting at once on a fresh machine; here models in one
 * JVM, which take the same lock file) calibrate a backend once: the later ones read the first one's file.
 */
class CalibrationSharingTest {
  /** A backend named "cpu" whose ops return at once, counting the calls the calibration times. */
  record CountingBackend(AtomicInteger ops) implements Backend {
    public String name() { return "cpu"; }
    public boolean isAvailable() { return true; }
    public String unavailableReason() { return ""; }
    public List<DeviceInfo> devices() { return List.of(); }
    public float[] matmul(float[] a, float[] b, int m, int k, int n) {
      ops.incrementAndGet();
      return new float[m * n];
    }
    public float[] batchedMatmul(float[] a, float[] b, int c, int m, int k, int n) {
      ops.incrementAndGet();
      return new float[c * m * n];
    }
    public double sum(float[] x) {
      ops.incrementAndGet();
      return 0;
    }
    public float min(float[] x) { return 0; }
    public float max(float[] x) { return 0; }
    public double dot(float[] x, float[] y) { return 0; }
    public int argmin(float[] x) { return 0; }
    public int argmax(float[] x) { return 0; }
    public SpatialIndex buildSpatial(float[] p, int d, float c) { throw new BackendRefusedException("no maps here"); }
    public void close() {}
  }

  @Test
  void modelsStartingTogetherCalibrateOnceAndShareTheFile(@TempDir Path dir) throws Exception {
    int models = 3;
    List<AtomicInteger> ops = Stream.generate(AtomicInteger::new).limit(models).toList();
    List<CostModel> started = ops.stream().map(o -> {
      CostModel m = new CostModel(dir);
      m.start(List.of(new CountingBackend(o)), true);
      return m;
    }).toList();
    for (CostModel m : started) {
      assertTrue(m.awaitCalibration(300), "its calibration ended");
      assertTrue(m.isCalibrated("cpu"));
    }
    assertEquals(1, ops.stream().filter(o -> o.get() > 0).count(), "one model measured, the others read its file: "
        + ops);
    try (Stream<Path> files = Files.list(dir)) {
      assertEquals(1, files.filter(f -> f.getFileName().toString().endsWith(".properties")).count());
    }
  }

  @Test
  void withoutACacheFolderEachModelCalibratesByItself() {
    AtomicInteger first = new AtomicInteger();
    AtomicInteger second = new AtomicInteger();
    new CostModel(null).start(List.of(new CountingBackend(first)), false);
    new CostModel(null).start(List.of(new CountingBackend(second)), false);
    assertTrue(first.get() > 0 && second.get() > 0, first + " and " + second);
  }

  @Test
  void aLockHeldByAnotherWaitsAndOneNeverFreedIsWaitedOutNotForever(@TempDir Path dir) throws Exception {
    Path lock = dir.resolve("x.lock");
    java.util.concurrent.CountDownLatch holding = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    Thread holder = new Thread(() -> CacheFiles.exclusive(lock, 10_000, () -> {
      holding.countDown();
      try {
        release.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }));
    holder.start();
    holding.await();
    long start = System.nanoTime();
    AtomicInteger ran = new AtomicInteger();
    CacheFiles.exclusive(lock, 300, ran::incrementAndGet);   // gives up waiting after 0.3 s and runs anyway
    assertEquals(1, ran.get());
    assertTrue(System.nanoTime() - start >= 250_000_000L, "it waited for the holder first");
    release.countDown();
    holder.join();
    CacheFiles.exclusive(lock, 300, ran::incrementAndGet);
    assertEquals(2, ran.get());
  }
}
