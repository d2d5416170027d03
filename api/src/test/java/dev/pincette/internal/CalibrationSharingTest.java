package dev.pincette.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pincette.DeviceInfo;
import dev.pincette.spi.Backend;
import dev.pincette.spi.BackendRefusedException;
import dev.pincette.spi.SpatialIndex;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Cost models that start together on one cache folder (JVMs starting at once on a fresh machine) calibrate a backend
 * once: the later ones read the first one's file. They take turns on a lock file ({@link CacheFiles#exclusive}),
 * between threads and between JVMs, owner-only and never through a link.
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
  void aThreadWaitsForTheLockAndOneNeverFreedIsWaitedOutNotForever(@TempDir Path dir) throws Exception {
    Path lock = dir.resolve("x.lock");
    CountDownLatch holding = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger ran = new AtomicInteger();
    Thread holder = new Thread(() -> CacheFiles.exclusive(lock, 10_000, () -> {
      holding.countDown();
      try {
        release.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }));
    holder.start();
    try {
      holding.await();
      assertFalse(CacheFiles.exclusive(lock, 300, ran::incrementAndGet), "held by the other thread: ran unlocked");
      assertEquals(1, ran.get());
    } finally {
      release.countDown();
      holder.join();
    }
    assertTrue(CacheFiles.exclusive(lock, 300, ran::incrementAndGet), "free again");
    // A thread holding the lock may take it again: it runs at once, still holding it.
    assertTrue(CacheFiles.exclusive(lock, 300, () -> assertTrue(CacheFiles.exclusive(lock, 300, ran::incrementAndGet))));
    assertEquals(3, ran.get());
  }

  /** Holds {@code args[0]} with {@link CacheFiles#exclusive}, says "held", and lets go when its input ends. */
  public static final class Holder {
    public static void main(String[] args) {
      CacheFiles.exclusive(Path.of(args[0]), 10_000, () -> {
        System.out.println("held");
        System.out.flush();
        try {
          System.in.readAllBytes();
        } catch (java.io.IOException e) {
          throw new java.io.UncheckedIOException(e);
        }
      });
    }
  }

  @Test
  void anotherJvmHoldingTheLockFileIsWaitedFor(@TempDir Path dir) throws Exception {
    Path lock = dir.resolve("x.lock");
    Process other = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp",
        System.getProperty("java.class.path"), Holder.class.getName(), lock.toString())
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    try {
      var lines = new java.io.BufferedReader(new java.io.InputStreamReader(other.getInputStream()));
      assertEquals("held", lines.readLine());
      AtomicInteger ran = new AtomicInteger();
      assertFalse(CacheFiles.exclusive(lock, 300, ran::incrementAndGet), "the other JVM holds it: ran unlocked");
      other.getOutputStream().close();
      assertEquals(0, other.waitFor());
      assertTrue(CacheFiles.exclusive(lock, 10_000, ran::incrementAndGet), "free once the other JVM let go");
      assertEquals(2, ran.get());
    } finally {
      other.destroyForcibly();
    }
  }

  @Test
  void theLockFileIsTheOwnersOnlyAndNeverALink(@TempDir Path dir) throws Exception {
    Path lock = dir.resolve("x.lock");
    assertTrue(CacheFiles.exclusive(lock, 300, () -> {}));
    boolean posix = Files.getFileStore(dir).supportsFileAttributeView(PosixFileAttributeView.class);
    if (posix) assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(lock)));
    AtomicInteger ran = new AtomicInteger();
    if (posix) {
      Files.setPosixFilePermissions(lock, PosixFilePermissions.fromString("rw-rw-rw-"));
      assertFalse(CacheFiles.exclusive(lock, 300, ran::incrementAndGet), "others may write it: not used");
    }
    Path target = dir.resolve("elsewhere");
    Files.writeString(target, "");
    Path link = dir.resolve("link.lock");
    Files.createSymbolicLink(link, target);
    assertFalse(CacheFiles.exclusive(link, 300, ran::incrementAndGet), "a link: not followed");
    assertEquals(posix ? 2 : 1, ran.get(), "the work ran anyway");
    assertEquals("", Files.readString(target));
  }
}
