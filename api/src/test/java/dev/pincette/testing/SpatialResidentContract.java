package dev.pincette.testing;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pincette.BackendKind;
import dev.pincette.Compute;
import dev.pincette.ComputeOn;
import dev.pincette.DeviceArray;
import dev.pincette.spatial.CellOrder;
import dev.pincette.spatial.DeviceNeighbors;
import dev.pincette.spatial.Neighbors;
import dev.pincette.spatial.SpatialHashMap;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * A spatial map's resident outputs on one backend: neighbour lists and the cell order as resident arrays equal to the
 * host ones, feeding kernels; updates from resident positions; and bad inputs. A backend module extends it with the
 * {@code ComputeOn} whose backend holds the map and the residents.
 */
public abstract class SpatialResidentContract {
  /** Where maps are built, calls run and residents live. */
  protected abstract ComputeOn on();

  /** The backend's name, as the map and its residents report it. */
  protected abstract String backendName();

  /** Sum over neighbours of (1 - r/h)², as the particles example's density. */
  static void density(int i, float h, float[] xy, int[] offsets, int[] indices, float[] out) {
    float rho = 0;
    for (int p = offsets[i]; p < offsets[i + 1]; p++) {
      int j = indices[p];
      float dx = xy[2 * i] - xy[2 * j];
      float dy = xy[2 * i + 1] - xy[2 * j + 1];
      float q = 1 - (float) Math.sqrt(dx * dx + dy * dy) / h;
      rho += q > 0 ? q * q : 0;
    }
    out[i] = rho;
  }

  static void drift(int i, float step, float[] xy) {
    xy[i] = xy[i] + step * (float) Math.sin(i);
  }

  private static float[] points(int n, int dims, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    float[] xyz = new float[n * dims];
    for (int i = 0; i < xyz.length; i++) xyz[i] = (float) rnd.nextDouble();
    return xyz;
  }

  @Test
  void residentListsEqualTheHostListsAndFeedKernels() {
    int n = 5000;
    float h = 0.03f;
    float[] xy = points(n, 2, 1);
    on().run(() -> {
      try (SpatialHashMap map = SpatialHashMap.build(xy, 2, h);
           DeviceNeighbors resident = map.neighborsWithinResident(h);
           DeviceArray<float[]> positions = Compute.upload(xy);
           DeviceArray<float[]> rho = Compute.zeros(float[].class, n)) {
        assertEquals(backendName(), map.backend());
        assertEquals(backendName(), resident.backend());
        Neighbors host = map.neighborsWithin(h);
        assertEquals(n, resident.size());
        assertEquals(host.totalPairs(), resident.totalPairs());
        assertArrayEquals(host.offsets(), resident.offsets().download());
        assertArrayEquals(host.indices(), resident.indices().download());
        Compute.forEach(n, SpatialResidentContract::density, h, positions, resident.offsets(), resident.indices(),
            rho);
        float[] expected = new float[n];
        Compute.on(BackendKind.CPU).forEach(n, SpatialResidentContract::density, h, xy, host.offsets(),
            host.indices(), expected);
        assertArrayEquals(expected, rho.download());
      }
    });
  }

  @Test
  void cellOrderIsAPermutationWithItsPositions() {
    for (int dims : new int[] {2, 3}) {
      int n = 3000;
      float[] xyz = points(n, dims, dims);
      on().run(() -> {
        try (SpatialHashMap map = SpatialHashMap.build(xyz, dims, 0.05f);
             CellOrder order = map.cellOrder()) {
          int[] place = order.order().download();
          float[] sorted = order.positions().download();
          assertEquals(dims, order.dims());
          int[] seen = place.clone();
          Arrays.sort(seen);
          for (int k = 0; k < n; k++) assertEquals(k, seen[k]);
          for (int k = 0; k < n; k++) {
            for (int d = 0; d < dims; d++) assertEquals(xyz[place[k] * dims + d], sorted[k * dims + d]);
          }
          // Points of one cell are consecutive: each cell's run is entered once.
          java.util.Set<String> entered = new java.util.HashSet<>();
          String previous = null;
          for (int k = 0; k < n; k++) {
            String key = Long.toString(dev.pincette.kernels.CellKeys.keyOf(sorted, dims, k, 0.05f));
            if (!key.equals(previous)) assertTrue(entered.add(key), "cell " + key + " entered twice");
            previous = key;
          }
        }
      });
    }
  }

  @Test
  void anUpdateFromResidentPositionsEqualsOneFromTheHost() {
    int n = 4000;
    float h = 0.04f;
    float[] xy = points(n, 2, 3);
    on().run(() -> {
      try (SpatialHashMap fromResident = SpatialHashMap.build(xy, 2, new float[] {h, 2 * h});
           SpatialHashMap fromHost = SpatialHashMap.build(xy, 2, new float[] {h, 2 * h});
           DeviceArray<float[]> positions = Compute.upload(xy)) {
        float[] moved = xy.clone();
        for (int step = 0; step < 3; step++) {
          Compute.forEach(moved.length, SpatialResidentContract::drift, 0.01f, positions);
          Compute.on(BackendKind.CPU).forEach(moved.length, SpatialResidentContract::drift, 0.01f, moved);
          fromResident.update(positions);
          fromHost.update(moved);
          for (float radius : new float[] {h, 1.5f * h}) {
            Neighbors a = fromResident.neighborsWithin(radius);
            Neighbors b = fromHost.neighborsWithin(radius);
            assertArrayEquals(b.offsets(), a.offsets(), "step " + step);
            assertArrayEquals(b.indices(), a.indices(), "step " + step);
          }
          float[] radii = new float[n];
          Arrays.fill(radii, h / 2);
          assertArrayEquals(fromHost.neighborsWithin(radii).indices(), fromResident.neighborsWithin(radii).indices());
        }
      }
    });
  }

  @Test
  void badResidentUpdatesAreRefusedAndLeaveTheMapAsItWas() {
    float[] xy = points(100, 2, 4);
    on().run(() -> {
      try (SpatialHashMap map = SpatialHashMap.build(xy, 2, 0.1f)) {
        Neighbors before = map.neighborsWithin(0.1f);
        try (DeviceArray<float[]> shorter = Compute.upload(new float[198])) {
          IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> map.update(shorter));
          assertTrue(e.getMessage().contains("length 198"), e.getMessage());
        }
        float[] bad = xy.clone();
        bad[77] = Float.NaN;
        try (DeviceArray<float[]> nan = Compute.upload(bad)) {
          IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> map.update(nan));
          assertTrue(e.getMessage().contains("not finite"), e.getMessage());
        }
        try (DeviceArray<int[]> ints = Compute.upload(new int[200])) {
          @SuppressWarnings({"unchecked", "rawtypes"})
          DeviceArray<float[]> cast = (DeviceArray) ints;
          IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> map.update(cast));
          assertTrue(e.getMessage().contains("DeviceArray<int[]>"), e.getMessage());
        }
        assertArrayEquals(before.indices(), map.neighborsWithin(0.1f).indices());
        DeviceArray<float[]> closed = Compute.upload(xy);
        closed.close();
        assertThrows(IllegalStateException.class, () -> map.update(closed));
        assertThrows(NullPointerException.class, () -> map.update((DeviceArray<float[]>) null));
        assertThrows(IllegalArgumentException.class, () -> map.neighborsWithinResident(-1));
        map.close();
        assertThrows(IllegalStateException.class, () -> map.neighborsWithinResident(0.1f));
        assertThrows(IllegalStateException.class, map::cellOrder);
        try (DeviceArray<float[]> fine = Compute.upload(xy)) {
          assertThrows(IllegalStateException.class, () -> map.update(fine));
        }
      }
    });
  }
}
