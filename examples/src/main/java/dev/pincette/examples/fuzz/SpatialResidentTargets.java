package dev.pincette.examples.fuzz;

import dev.pincette.Compute;
import dev.pincette.DeviceArray;
import dev.pincette.examples.check.Checks;
import dev.pincette.examples.fuzz.SpatialTargets.Cloud;
import dev.pincette.examples.fuzz.Target.Case;
import dev.pincette.kernels.SpatialOp;
import dev.pincette.spatial.CellOrder;
import dev.pincette.spatial.DeviceNeighbors;
import dev.pincette.spatial.SpatialHashMap;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * What spatial maps hand to kernels and take from them: resident neighbour lists ({@link DeviceNeighbors}) and cell
 * orders ({@link CellOrder}) against brute force, {@code update} from resident positions (of the wrong length, type
 * or values, closed), and the map's {@code isClosed} and {@code levelBackends}.
 */
final class SpatialResidentTargets {
  private SpatialResidentTargets() {}

  static List<Target> all() {
    List<Target> t = new ArrayList<>();
    t.add(map("isClosed", new Class<?>[0], (g, m) -> {
      boolean before = m.map().isClosed();   // the cloud's map comes closed now and then
      boolean closing = g.chance(0.3);
      if (closing) m.map().close();
      return Case.on(m.map(), MatrixTargets.same(before || closing));
    }));
    t.add(map("levelBackends", new Class<?>[0], (g, m) -> Case.on(m.map(), ComputeTargets.returns(r -> {
      List<?> backends = (List<?>) r;
      return !backends.isEmpty() && backends.size() == m.map().cellSizes().length ? null : "levels " + backends;
    }))));
    t.add(map("neighborsWithinResident", new Class<?>[] {float.class}, (g, m) -> {
      float radius = g.radius();
      Expect e = SpatialTargets.open(m).iae(!(radius >= 0) || !Float.isFinite(radius), "radius")
          .returns(r -> lists(SpatialOp.neighborsReference(m.xyz(), m.dims(), radius), (DeviceNeighbors) r));
      return Case.on(m.map(), e, radius);
    }));
    t.add(map("cellOrder", new Class<?>[0], (g, m) -> Case.on(m.map(), SpatialTargets.open(m)
        .returns(r -> cellOrder(m, (CellOrder) r)))));
    t.add(map("update", new Class<?>[] {DeviceArray.class}, SpatialResidentTargets::update));
    t.add(lists("size", (g, nb, ref) -> Case.on(nb, MatrixTargets.same(ref.length))));
    t.add(lists("totalPairs", (g, nb, ref) -> Case.on(nb, MatrixTargets.same(Arrays.stream(ref)
        .mapToInt(l -> l.length).sum()))));
    t.add(lists("offsets", (g, nb, ref) -> Case.on(nb, ComputeTargets.returns(r -> ((DeviceArray<?>) r).length()
        == ref.length + 1 ? null : "offsets of length " + ((DeviceArray<?>) r).length()))));
    t.add(lists("indices", (g, nb, ref) -> Case.on(nb, ComputeTargets.returns(r -> Arrays.equals(
        (int[]) ((DeviceArray<?>) r).download(), Arrays.stream(ref).flatMapToInt(Arrays::stream).toArray()) ? null
        : "indices differ"))));
    t.add(lists("backend", (g, nb, ref) -> Case.on(nb, ComputeTargets.returns(r -> r != null ? null : "none"))));
    t.add(lists("download", (g, nb, ref) -> Case.on(nb, ComputeTargets.returns(r -> SpatialTargets.neighbors(ref,
        (dev.pincette.spatial.Neighbors) r)))));
    t.add(lists("close", (g, nb, ref) -> Case.on(nb, ComputeTargets.returns(r -> nb.offsets().isClosed()
        && nb.indices().isClosed() ? null : "an array is still open"))));
    t.add(order("positions", (g, co, m) -> Case.on(co, ComputeTargets.returns(r -> ((DeviceArray<?>) r).length()
        == m.xyz().length ? null : "positions of length " + ((DeviceArray<?>) r).length()))));
    t.add(order("order", (g, co, m) -> Case.on(co, ComputeTargets.returns(r -> ((DeviceArray<?>) r).length()
        == m.xyz().length / m.dims() ? null : "order of length " + ((DeviceArray<?>) r).length()))));
    t.add(order("dims", (g, co, m) -> Case.on(co, MatrixTargets.same(m.dims()))));
    t.add(order("close", (g, co, m) -> Case.on(co, ComputeTargets.returns(r -> co.positions().isClosed()
        && co.order().isClosed() ? null : "an array is still open"))));
    return t;
  }

  private interface MapCase {
    Case make(Gen g, Cloud m);
  }

  private static Target map(String name, Class<?>[] params, MapCase cases) {
    return new Target(SpatialHashMap.class, name, params, g -> cases.make(g, SpatialTargets.cloud(g)));
  }

  private interface ListsCase {
    Case make(Gen g, DeviceNeighbors lists, int[][] reference);
  }

  private static Target lists(String name, ListsCase cases) {
    return new Target(DeviceNeighbors.class, name, new Class<?>[0], g -> {
      Cloud m = openCloud(g);
      float radius = (float) g.rnd.nextDouble() * 0.3f;
      DeviceNeighbors lists = m.map().neighborsWithinResident(radius);
      g.owned.add(lists);
      return cases.make(g, lists, SpatialOp.neighborsReference(m.xyz(), m.dims(), radius));
    });
  }

  private interface OrderCase {
    Case make(Gen g, CellOrder order, Cloud m);
  }

  private static Target order(String name, OrderCase cases) {
    return new Target(CellOrder.class, name, new Class<?>[0], g -> {
      Cloud m = openCloud(g);
      CellOrder order = m.map().cellOrder();
      g.owned.add(order);
      return cases.make(g, order, m);
    });
  }

  private static Cloud openCloud(Gen g) {
    int dims = 2 + g.rnd.nextInt(2);
    float[] xyz = g.positions(g.small(60), dims);
    SpatialHashMap map = SpatialHashMap.build(xyz, dims, 0.1f);
    g.owned.add(map);
    return new Cloud(map, xyz, dims);
  }

  private static String lists(int[][] reference, DeviceNeighbors got) {
    if (got.size() != reference.length) return "lists of " + got.size() + " points, wanted " + reference.length;
    return SpatialTargets.neighbors(reference, got.download());
  }

  /** The positions in cell order are the points' own, and the order is a permutation. */
  private static String cellOrder(Cloud m, CellOrder order) {
    float[] placed = order.positions().download();
    int[] point = order.order().download();
    int n = m.xyz().length / m.dims();
    if (point.length != n || placed.length != m.xyz().length) return "order of " + point.length + " points";
    boolean[] seen = new boolean[n];
    for (int k = 0; k < n; k++) {
      int p = point[k];
      if (p < 0 || p >= n || seen[p]) return "order is not a permutation at " + k + ": " + p;
      seen[p] = true;
      for (int d = 0; d < m.dims(); d++) {
        if (Float.compare(placed[k * m.dims() + d], m.xyz()[p * m.dims() + d]) != 0) {
          return "place " + k + " holds " + placed[k * m.dims() + d] + ", point " + p + " is at "
              + m.xyz()[p * m.dims() + d];
        }
      }
    }
    return null;
  }

  /** Resident new positions: mostly valid, sometimes null, closed, of the wrong length or type, or not finite. */
  private static Case update(Gen g, Cloud m) {
    int n = m.xyz().length / m.dims();
    float[] moved = g.chance(0.9) ? g.positions(n, m.dims()) : g.values(g.small(10));
    if (moved.length > 0 && g.chance(0.05)) moved[g.rnd.nextInt(moved.length)] = Float.NaN;
    Expect.Builder e = SpatialTargets.open(m);
    DeviceArray<?> d;
    double u = g.rnd.nextDouble();
    if (u < 0.05) {
      d = null;
      e.npe(true, "newPositions");
    } else if (u < 0.1) {
      d = Compute.upload(new int[moved.length]);
      e.iae(true, "float[]");
    } else {
      d = Compute.upload(moved);
      e.iae(moved.length != m.xyz().length, "length");
      for (float v : moved) e.iae(!Float.isFinite(v), "finite");
    }
    if (d != null) {
      g.owned.add(d);
      if (g.chance(0.05)) {
        d.close();
        e.ise(true, "closed");
      }
    }
    float[] center = g.positions(1, m.dims());
    return Case.on(m.map(), e.returns(r -> Checks.sameIndices("query after update",
        SpatialOp.queryReference(moved, m.dims(), center, 0.2f), m.map().query(center, 0.2f))), d);
  }
}
