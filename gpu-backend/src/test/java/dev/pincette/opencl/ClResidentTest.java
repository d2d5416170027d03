package dev.pincette.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
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
  void dataLargerThanTheBudgetFailsAsABackendError() {
    STAGED.residents().setBudget(1024);
    assertThrows(BackendException.class, () -> STAGED.upload(new float[1024]));
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
    assertThrows(BackendException.class, () -> BACKEND.sum(r));
    assertThrows(BackendException.class, () -> BACKEND.download(r));
  }

  @Test
  void aFailedResidentProductLeavesNothingBehind() {
    int n = 20;
    try (Resident a = BACKEND.upload(random(n * n, 3))) {
      BACKEND.matmul(a, a, n, n, n).close();
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
