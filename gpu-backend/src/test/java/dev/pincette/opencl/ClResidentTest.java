package dev.pincette.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pincette.kernels.ReduceOp;
import dev.pincette.spi.BackendException;
import dev.pincette.spi.Resident;
import dev.pincette.testing.Products;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Data kept on the device between calls: resident products equal host ones, eviction keeps every value. */
class ClResidentTest {
  private static final ClBackend BACKEND = new ClBackend(null, ClProgramCache.defaultDir(), false, true);
  private static final ClBackend STAGED = new ClBackend(null, ClProgramCache.defaultDir(), true, true);

  @BeforeAll
  static void requireDevice() {
    ClTestDevice.require(BACKEND);
  }

  @AfterEach
  void restoreBudget() {
    for (ClBackend b : new ClBackend[] {BACKEND, STAGED}) b.residents().setBudget(Long.MAX_VALUE);
    ClFaults.clear();
  }

  @AfterAll
  static void close() {
    BACKEND.close();
    STAGED.close();
  }

  static float[] random(int n, long seed) {
    return Products.random(n, seed);
  }

  static void assertProduct(float[] a, float[] b, int m, int k, int n, float[] c) {
    Products.assertProduct(a, b, m, k, n, c);
  }

  @ParameterizedTest(name = "{0}x{1} · {1}x{2}, staged={3}")
  @CsvSource({"1,1,1,false", "37,53,29,false", "64,64,64,true", "130,7,129,true", "5,0,4,false", "0,3,3,false",
      "200,150,90,true"})
  void residentMatmulMatchesTheReferenceOnEdgeShapes(int m, int k, int n, boolean staged) {
    ClBackend backend = staged ? STAGED : BACKEND;
    float[] a = random(m * k, m + 7L * k);
    float[] b = random(k * n, n + 3L * k);
    try (Resident ra = backend.upload(a.clone()); Resident rb = backend.upload(b.clone());
        Resident rc = backend.matmul(ra, rb, m, k, n)) {
      assertEquals("opencl", rc.backend());
      float[] c = backend.download(rc);
      assertProduct(a, b, m, k, n, c);
      assertArrayEquals(backend.matmul(a, b, m, k, n), c, "resident and host products use the same kernel");
    }
  }

  @Test
  void aChainOfResidentProductsEqualsTheSameChainOnHostArrays() {
    int n = 48;
    float[] a = random(n * n, 1);
    float[] x = random(n * n, 2);
    float[] host = x;
    List<Resident> chain = new ArrayList<>();
    try (Resident ra = BACKEND.upload(a)) {
      Resident current = BACKEND.upload(x);
      chain.add(current);
      for (int step = 0; step < 10; step++) {
        current = BACKEND.matmul(ra, current, n, n, n);
        chain.add(current);
        host = BACKEND.matmul(a, host, n, n, n);
      }
      assertArrayEquals(host, BACKEND.download(current));
      assertEquals(ReduceOp.referenceSum(host), BACKEND.sum(current), 1e-6 * ReduceOp.absSum(host));
    } finally {
      chain.forEach(Resident::close);
    }
    assertEquals(0, BACKEND.residents().deviceBytes());
  }

  /**
   * Products are enqueued behind their operands' kernels, not waited for: a chain whose every intermediate result is
   * closed right after the next product is issued still gives the host chain, and gives its memory back.
   */
  @Test
  void aChainWhoseIntermediateResultsAreClosedAtOnceGivesTheHostChain() {
    int n = 40;
    float[] a = random(n * n, 5);
    float[] x = random(n * n, 6);
    for (ClBackend backend : new ClBackend[] {BACKEND, STAGED}) {
      long held = backend.residents().deviceBytes();
      float[] host = x;
      Resident ra = backend.upload(a);
      Resident current = backend.upload(x);
      for (int step = 0; step < 8; step++) {
        Resident next = backend.matmul(ra, current, n, n, n);
        current.close();
        current = next;
        host = backend.matmul(a, host, n, n, n);
      }
      ra.close();
      assertArrayEquals(host, backend.download(current));
      current.close();
      assertEquals(held, backend.residents().deviceBytes());
    }
  }

  /** Through {@code Compute}: a chain of device matrices, awaited, then read, equals the same chain on host arrays. */
  @Test
  void aChainOfDeviceMatricesAwaitedAndReadEqualsTheHostChain() {
    int n = 33;
    dev.pincette.Matrix w = dev.pincette.Matrix.of(n, n, random(n * n, 11));
    dev.pincette.Matrix x = dev.pincette.Matrix.of(n, n, random(n * n, 12));
    dev.pincette.ComputeOn on = dev.pincette.Compute.on(dev.pincette.BackendKind.OPENCL);
    dev.pincette.Matrix expected = on.matmul(w, on.matmul(w, x));
    dev.pincette.DeviceMatrix closed;
    try (dev.pincette.DeviceMatrix dw = on.upload(w); dev.pincette.DeviceMatrix dx = on.upload(x);
        dev.pincette.DeviceMatrix y = on.matmul(dw, dx); dev.pincette.DeviceMatrix z = on.matmul(dw, y)) {
      assertEquals("opencl", z.backend());
      assertTrue(z == z.await());
      assertArrayEquals(expected.toArray(), z.download().toArray());
      closed = y;
    }
    IllegalStateException e = assertThrows(IllegalStateException.class, closed::await);
    assertTrue(e.getMessage().contains("closed"), e.getMessage());
  }

  /** A product is returned as soon as its kernel is enqueued, and known to be computed once it has been read. */
  @Test
  void aProductIsComputedOnceRead() {
    int n = 64;
    try (Resident ra = BACKEND.upload(random(n * n, 9)); Resident p = BACKEND.matmul(ra, ra, n, n, n)) {
      assertTrue(ra.computed(), "uploaded data");
      assertFalse(p.computed(), "issued, not yet looked at");
      BACKEND.download(p);
      assertTrue(p.computed());
    }
  }

  /**
   * A product whose kernel turns out to have failed after it was enqueued (the wait for it fails) is computed again
   * from its operands, still pinned, at its first use: nothing is lost.
   */
  @Test
  void aProductWhoseKernelFailsAfterItWasEnqueuedIsComputedAgainWhenUsed() {
    int n = 36;
    float[] a = random(n * n, 7);
    float[] x = random(n * n, 8);
    float[] once = BACKEND.matmul(a, x, n, n, n);
    float[] twice = BACKEND.matmul(a, once, n, n, n);
    ClResidentStore store = BACKEND.residents();
    try (Resident ra = BACKEND.upload(a); Resident rx = BACKEND.upload(x)) {
      Resident first = BACKEND.matmul(ra, rx, n, n, n);
      Resident second = BACKEND.matmul(ra, first, n, n, n);
      first.await();   // settled, so that the failure below hits `second`
      first.close();
      long rewrites = store.rewrites();
      ClFaults.failNext("clWaitForEvents(resident)");
      try {
        assertArrayEquals(twice, BACKEND.download(second));
      } finally {
        ClFaults.clear();
      }
      assertEquals(rewrites + 1, store.rewrites());
      try (Resident third = BACKEND.matmul(ra, second, n, n, n)) {
        ClFaults.failNext("clWaitForEvents(resident)");
        try {
          assertEquals(ReduceOp.referenceSum(BACKEND.matmul(a, twice, n, n, n)), BACKEND.sum(third),
              1e-6 * ReduceOp.absSum(BACKEND.matmul(a, twice, n, n, n)));
        } finally {
          ClFaults.clear();
        }
        assertEquals(rewrites + 2, store.rewrites());
      }
      second.close();
    }
  }

  /**
   * A kernel that really fails on the device after it was enqueued (it waits on an event that fails), in the chain
   * idiom: its product is closed as soon as the next one is issued. The next product, which read it, is still right:
   * the failed one stays until nothing computing reads it, and both are run again when the last is read.
   */
  @Test
  void aKernelThatFailsOnTheDeviceUnderAClosedIntermediateIsRunAgainWithItsReaders() {
    int n = 40;
    float[] a = random(n * n, 13);
    float[] x = random(n * n, 14);
    float[] twice = BACKEND.matmul(a, BACKEND.matmul(a, x, n, n, n), n, n, n);
    float[] thrice = BACKEND.matmul(a, twice, n, n, n);
    ClResidentStore store = BACKEND.residents();
    long held = store.deviceBytes();
    long rewrites = store.rewrites();
    try (Resident ra = BACKEND.upload(a); Resident rx = BACKEND.upload(x)) {
      ClFaults.failNext("kernelFailure(matmul)");
      Resident first;
      try {
        first = BACKEND.matmul(ra, rx, n, n, n);
      } finally {
        ClFaults.clear();
      }
      Resident second = BACKEND.matmul(ra, first, n, n, n);
      first.close();
      Resident third = BACKEND.matmul(ra, second, n, n, n);
      second.close();
      assertArrayEquals(thrice, BACKEND.download(third));
      third.close();
    }
    assertTrue(store.rewrites() > rewrites, "the failed kernel ran again");
    assertEquals(held, store.deviceBytes());
  }

  @Test
  void evictionMovesTheLeastRecentlyUsedToTheHostAndBack() {
    int n = 64;
    long bytes = ClBufferPool.sizeClass(4L * n * n);
    ClResidentStore store = STAGED.residents();
    store.setBudget(4 * bytes);
    long evictionsBefore = store.evictions();
    float[][] hosts = new float[8][];
    List<Resident> residents = new ArrayList<>();
    try {
      for (int i = 0; i < hosts.length; i++) {
        hosts[i] = random(n * n, 100 + i);
        residents.add(STAGED.upload(hosts[i].clone()));
      }
      // Products of products: their only copy is on the device until evicted, which must download them first.
      for (int i = 0; i + 1 < hosts.length; i++) {
        residents.add(STAGED.matmul(residents.get(i), residents.get(i + 1), n, n, n));
        assertTrue(store.deviceBytes() <= 4 * bytes, "within the budget: " + store.deviceBytes());
      }
      assertTrue(store.evictions() > evictionsBefore, "the budget forced evictions");
      for (int i = 0; i + 1 < hosts.length; i++) {
        float[] expected = STAGED.matmul(hosts[i], hosts[i + 1], n, n, n);
        assertArrayEquals(expected, STAGED.download(residents.get(hosts.length + i)), "product " + i);
        try (Resident again = STAGED.matmul(residents.get(hosts.length + i), residents.get(i), n, n, n)) {
          assertArrayEquals(STAGED.matmul(expected, hosts[i], n, n, n), STAGED.download(again), "reuse " + i);
        }
      }
    } finally {
      residents.forEach(Resident::close);
    }
    assertEquals(0, store.deviceBytes());
  }

  @Test
  void dataLargerThanTheBudgetIsRefused() {
    STAGED.residents().setBudget(1024);
    assertThrows(dev.pincette.spi.BackendRefusedException.class, () -> STAGED.upload(new float[1024]));
    assertEquals(0, STAGED.residents().deviceBytes());
  }

  @Test
  void aClosedResidentIsRefusedAndFreesItsMemory() {
    Resident r = BACKEND.upload(random(1000, 9));
    long held = BACKEND.residents().deviceBytes();
    assertTrue(held > 0);
    r.close();
    r.close();
    assertEquals(held - ClBufferPool.sizeClass(4000), BACKEND.residents().deviceBytes());
    // A resident closed during a call is the caller's mistake, not the device's.
    assertThrows(IllegalStateException.class, () -> BACKEND.sum(r));
    assertThrows(IllegalStateException.class, () -> BACKEND.download(r));
  }

  @Test
  void aFailedResidentProductLeavesNothingBehind() {
    int n = 20;
    try (Resident a = BACKEND.upload(random(n * n, 3))) {
      Resident warm = BACKEND.matmul(a, a, n, n, n);
      warm.await();   // closed while still computing, its memory would only come back at a later store operation
      warm.close();
      long held = BACKEND.residents().deviceBytes();
      int buffers = BACKEND.context().pool.allocatedCount();
      ClFaults.failNext("clEnqueueNDRangeKernel(matmul)");
      assertThrows(BackendException.class, () -> BACKEND.matmul(a, a, n, n, n));
      assertEquals(held, BACKEND.residents().deviceBytes());
      try (Resident ok = BACKEND.matmul(a, a, n, n, n)) {
        assertEquals(n * n, BACKEND.download(ok).length);
      }
      assertEquals(buffers, BACKEND.context().pool.allocatedCount());
    }
  }

  @Test
  void anotherBackendsDataIsRefused() {
    Resident foreign = new dev.pincette.spi.HostResident("cpu", new float[4]);
    assertThrows(BackendException.class, () -> BACKEND.sum(foreign));
    try (Resident staged = STAGED.upload(new float[4])) {
      assertThrows(BackendException.class, () -> BACKEND.download(staged));
    }
  }
}
