package dev.pincette.examples.fuzz;

import dev.pincette.examples.check.Checks;
import dev.pincette.examples.fuzz.Target.Case;
import dev.pincette.kernels.SpatialOp;
import dev.pincette.spatial.Neighbors;
import dev.pincette.spatial.PairConsumer;
import dev.pincette.spatial.SpatialHashMap;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The methods of {@link SpatialHashMap} and {@link Neighbors}: builds from bad and extreme clouds (far out, stacked
 * on a grid, cells far below or above the spacing), every search against brute force, on open and closed maps.
 */
final class SpatialTargets {
  /** Points of a map that is searched: brute force is quadratic. */
  private static final int SEARCHED_POINTS = 300;

  private SpatialTargets() {}

  static List<Target> all() {
    List<Target> t = new ArrayList<>();
    t.add(new Target(SpatialHashMap.class, "build", new Class<?>[] {float[].class, int.class, float.class},
        g -> build(g, false)));
    t.add(new Target(SpatialHashMap.class, "build", new Class<?>[] {float[].class, int.class, float[].class},
        g -> build(g, true)));
    t.add(new Target(SpatialHashMap.class, "forRadii", new Class<?>[] {float[].class, int.class, float.class,
        float.class}, SpatialTargets::forRadii));
    t.add(map("size", (g, m) -> Case.on(m.map, MatrixTargets.same(m.xyz.length / m.dims))));
    t.add(map("dims", (g, m) -> Case.on(m.map, MatrixTargets.same(m.dims))));
    t.add(map("backend", (g, m) -> Case.on(m.map, ComputeTargets.returns(r -> r != null ? null : "no backend"))));
    t.add(map("cellSizes", (g, m) -> Case.on(m.map, ComputeTargets.returns(r -> ((float[]) r).length > 0 ? null
        : "no cell sizes"))));
    t.add(map("close", (g, m) -> Case.on(m.map, ComputeTargets.returns(r -> null))));
    t.add(new Target(SpatialHashMap.class, "query", new Class<?>[] {float[].class, float.class}, g -> {
      Cloud m = cloud(g);
      float[] center = g.chance(0.05) ? null : g.chance(0.9) ? g.positions(1, m.dims) : g.values(g.small(4));
      float radius = g.radius();
      Expect.Builder e = open(m).npe(center == null, "center");
      if (center != null) {
        e.iae(center.length != m.dims, "center");
        for (float c : center) e.iae(!Float.isFinite(c), "center");
      }
      e.iae(!(radius >= 0) || !Float.isFinite(radius), "radius");
      return Case.on(m.map, e.returns(r -> Checks.sameIndices("query",
          SpatialOp.queryReference(m.xyz, m.dims, center, radius), (int[]) r)), center, radius);
    }));
    t.add(new Target(SpatialHashMap.class, "neighborsWithin", new Class<?>[] {float.class}, g -> {
      Cloud m = cloud(g);
      float radius = g.radius();
      Expect e = open(m).iae(!(radius >= 0) || !Float.isFinite(radius), "radius")
          .returns(r -> neighbors(SpatialOp.neighborsReference(m.xyz, m.dims, radius), (Neighbors) r));
      return Case.on(m.map, e, radius);
    }));
    t.add(new Target(SpatialHashMap.class, "neighborsWithin", new Class<?>[] {float[].class}, g -> {
      Cloud m = cloud(g);
      int n = m.xyz.length / m.dims;
      float[] radii = g.chance(0.05) ? null : new float[g.chance(0.9) ? n : g.small(n + 2)];
      Expect.Builder e = open(m).npe(radii == null, "radii");
      if (radii != null) {
        for (int i = 0; i < radii.length; i++) radii[i] = g.chance(0.98) ? (float) g.rnd.nextDouble() * 0.3f : g.radius();
        e.iae(radii.length != n, "radii");
        for (float r : radii) e.iae(!(r >= 0) || !Float.isFinite(r), "radius");
      }
      return Case.on(m.map, e.returns(r -> neighbors(SpatialOp.neighborsReference(m.xyz, m.dims, radii),
          (Neighbors) r)), (Object) radii);
    }));
    t.add(new Target(SpatialHashMap.class, "neighborCounts", new Class<?>[] {float.class}, g -> {
      Cloud m = cloud(g);
      float radius = g.radius();
      Expect e = open(m).iae(!(radius >= 0) || !Float.isFinite(radius), "radius").returns(r -> {
        int[][] reference = SpatialOp.neighborsReference(m.xyz, m.dims, radius);
        int[] counts = (int[]) r;
        for (int i = 0; i < reference.length; i++) {
          if (counts[i] != reference[i].length) return "count of " + i + " = " + counts[i] + ", wanted "
              + reference[i].length;
        }
        return counts.length == reference.length ? null : counts.length + " counts";
      });
      return Case.on(m.map, e, radius);
    }));
    t.add(new Target(SpatialHashMap.class, "forEachPair", new Class<?>[] {float.class, PairConsumer.class},
        SpatialTargets::forEachPair));
    t.add(new Target(SpatialHashMap.class, "update", new Class<?>[] {float[].class}, g -> {
      Cloud m = cloud(g);
      float[] moved = g.chance(0.05) ? null : g.chance(0.9) ? g.positions(m.xyz.length / m.dims, m.dims)
          : g.values(g.small(10));
      Expect.Builder e = open(m).npe(moved == null, "newPositions");
      if (moved != null) {
        e.iae(moved.length != m.xyz.length, "length");
        for (float v : moved) e.iae(!Float.isFinite(v), "finite");
      }
      float[] center = g.positions(1, m.dims);
      return Case.on(m.map, e.returns(r -> Checks.sameIndices("query after update",
          SpatialOp.queryReference(moved, m.dims, center, 0.2f), m.map.query(center, 0.2f))), (Object) moved);
    }));
    t.addAll(neighborsTargets());
    return t;
  }

  /** A map the case searches, with the positions it was built from; closed now and then. */
  record Cloud(SpatialHashMap map, float[] xyz, int dims) {}

  static Cloud cloud(Gen g) {
    int dims = g.chance(0.5) ? 2 : 3;
    float[] xyz = g.positions(g.small(SEARCHED_POINTS), dims);
    float cell = g.chance(0.9) ? 0.01f + (float) g.rnd.nextDouble() * 0.3f : g.pick(List.of(1e-30f, 1e-6f, 1e6f));
    SpatialHashMap map = g.chance(0.2) ? SpatialHashMap.forRadii(xyz, dims, cell, cell * 8)
        : SpatialHashMap.build(xyz, dims, cell);
    g.owned.add(map);
    if (g.chance(0.06)) map.close();
    return new Cloud(map, xyz, dims);
  }

  /** Searches and updates of a closed map throw; its accessors keep answering. */
  static Expect.Builder open(Cloud m) {
    return new Expect.Builder().ise(m.map.isClosed(), "closed");
  }


  /** A pair consumer that moves the map it lists, which must be refused rather than wait for itself. */
  record UpdatingConsumer(SpatialHashMap map, float[] positions) implements PairConsumer {
    @Override
    public void accept(int i, int j) {
      map.update(positions);
    }
  }

  private interface MapCase {
    Case make(Gen g, Cloud m);
  }

  private static Target map(String name, MapCase cases) {
    return new Target(SpatialHashMap.class, name, new Class<?>[0], g -> cases.make(g, cloud(g)));
  }

  private static Case build(Gen g, boolean levels) {
    int dims = g.chance(0.9) ? 2 + g.rnd.nextInt(2) : g.pick(List.of(0, 1, 4, -1, Integer.MAX_VALUE));
    int n = g.chance(0.02) ? 1 << 20 : g.small(400);
    float[] xyz = g.chance(0.04) ? null : g.positions(n, Math.max(1, Math.min(dims, 3)));
    if (xyz != null && g.chance(0.05) && xyz.length > 0) xyz[g.rnd.nextInt(xyz.length)] = g.value();
    float cell = g.radius();
    float[] cells = levels ? cellSizes(g) : null;
    Expect.Builder e = new Expect.Builder().npe(xyz == null, "positions").iae(dims != 2 && dims != 3, "dims");
    if (levels) {
      e.npe(cells == null, "cellSizes").iae(cells != null && cells.length == 0, "cell sizes");
      if (cells != null) {
        for (int i = 0; i < cells.length; i++) {
          e.iae(!(cells[i] > 0) || !Float.isFinite(cells[i]), "cellSize").iae(i > 0 && !(cells[i] > cells[i - 1]),
              "ascend");
        }
      }
    } else {
      e.iae(!(cell > 0) || !Float.isFinite(cell), "cellSize");
    }
    if (xyz != null && (dims == 2 || dims == 3)) {
      e.iae(xyz.length % dims != 0, "multiple");
      for (float v : xyz) e.iae(!Float.isFinite(v), "finite");
    }
    Expect expect = e.returns(r -> {
      SpatialHashMap map = (SpatialHashMap) r;
      return map.size() == xyz.length / dims && map.dims() == dims ? null : "size " + map.size();
    });
    return levels ? Case.of(expect, xyz, dims, cells) : Case.of(expect, xyz, dims, cell);
  }

  private static float[] cellSizes(Gen g) {
    if (g.chance(0.04)) return null;
    float[] cells = new float[g.chance(0.05) ? 0 : 1 + g.small(4)];
    float c = 0.01f + (float) g.rnd.nextDouble() * 0.1f;
    for (int i = 0; i < cells.length; i++, c *= 2) cells[i] = g.chance(0.95) ? c : g.radius();
    return cells;
  }

  private static Case forRadii(Gen g) {
    int dims = 2 + g.rnd.nextInt(2);
    float[] xyz = g.positions(g.small(200), dims);
    float min = g.chance(0.9) ? 0.001f + (float) g.rnd.nextDouble() * 0.1f : g.radius();
    float max = g.chance(0.8) ? min * (1 + g.rnd.nextInt(64)) : g.chance(0.5) ? g.radius() : min * 0x1p45f;
    long levels = 1;
    while ((double) min * (1L << Math.min(62, levels - 1)) < max && levels < 64) levels++;
    Expect.Builder e = new Expect.Builder().iae(!(min > 0) || !(max >= min) || !Float.isFinite(max), "minRadius");
    if (!e.broken()) e.iae(levels > 40, "levels");
    return Case.of(e.returns(r -> ((SpatialHashMap) r).size() == xyz.length / dims ? null : "size"), xyz, dims, min,
        max);
  }

  /** Pairs against brute force; a null consumer; a consumer that updates the map (which must throw, not deadlock). */
  private static Case forEachPair(Gen g) {
    Cloud m = cloud(g);
    float radius = g.radius();
    List<long[]> seen = new ArrayList<>();
    boolean updates = g.chance(0.03);
    PairConsumer consumer = g.chance(0.04) ? null : updates ? new UpdatingConsumer(m.map, m.xyz)
        : (i, j) -> seen.add(new long[] {i, j});
    Expect.Builder e = open(m).npe(consumer == null, "consumer")
        .iae(!(radius >= 0) || !Float.isFinite(radius), "radius");
    boolean anyPair = !e.broken() && SpatialOp.neighborsReference(m.xyz, m.dims, radius).length > 0
        && Arrays.stream(SpatialOp.neighborsReference(m.xyz, m.dims, radius)).anyMatch(l -> l.length > 0);
    if (updates) e.ise(anyPair, "update");
    return Case.on(m.map, e.returns(r -> {
      int[][] reference = SpatialOp.neighborsReference(m.xyz, m.dims, radius);
      List<long[]> wanted = new ArrayList<>();
      for (int i = 0; i < reference.length; i++) {
        for (int j : reference[i]) {
          if (j > i) wanted.add(new long[] {i, j});
        }
      }
      if (wanted.size() != seen.size()) return seen.size() + " pairs, wanted " + wanted.size();
      for (int p = 0; p < wanted.size(); p++) {
        if (!Arrays.equals(wanted.get(p), seen.get(p))) return "pair " + p + " = " + Arrays.toString(seen.get(p))
            + ", wanted " + Arrays.toString(wanted.get(p));
      }
      return null;
    }), radius, consumer);
  }

  static String neighbors(int[][] reference, Neighbors got) {
    if (got.size() != reference.length) return "lists of " + got.size() + " points, wanted " + reference.length;
    for (int i = 0; i < reference.length; i++) {
      String wrong = Checks.sameIndices("neighbours of " + i, reference[i], got.of(i));
      if (wrong != null) return wrong;
    }
    return null;
  }

  private static List<Target> neighborsTargets() {
    List<Target> t = new ArrayList<>();
    t.add(lists("size", (g, n, ref) -> Case.on(n, MatrixTargets.same(ref.length))));
    t.add(lists("totalPairs", (g, n, ref) -> Case.on(n, MatrixTargets.same(Arrays.stream(ref)
        .mapToInt(l -> l.length).sum()))));
    t.add(lists("offsets", (g, n, ref) -> Case.on(n, ComputeTargets.returns(r -> ((int[]) r).length == ref.length + 1
        ? null : "offsets of length " + ((int[]) r).length))));
    t.add(lists("indices", (g, n, ref) -> Case.on(n, ComputeTargets.returns(r -> Arrays.equals((int[]) r,
        Arrays.stream(ref).flatMapToInt(Arrays::stream).toArray()) ? null : "indices differ"))));
    t.add(new Target(Neighbors.class, "count", new Class<?>[] {int.class}, g -> {
      int[][] ref = new int[1][];
      Neighbors n = neighborsOf(g, ref);
      int i = MatrixTargets.index(g, ref[0].length);
      return Case.on(n, new Expect.Builder().index(i < 0 || i >= n.size(), "point")
          .returns(r -> r.equals(n.of(i).length) ? null : "count " + r), i);
    }));
    t.add(new Target(Neighbors.class, "of", new Class<?>[] {int.class}, g -> {
      int[][] ref = new int[1][];
      Neighbors n = neighborsOf(g, ref);
      int i = MatrixTargets.index(g, ref[0].length);
      return Case.on(n, new Expect.Builder().index(i < 0 || i >= n.size(), "point").returns(r -> null), i);
    }));
    return t;
  }

  private interface ListsCase {
    Case make(Gen g, Neighbors n, int[][] reference);
  }

  private static Target lists(String name, ListsCase cases) {
    return new Target(Neighbors.class, name, new Class<?>[0], g -> {
      Cloud m = openCloud(g);
      float radius = (float) g.rnd.nextDouble() * 0.3f;
      return cases.make(g, m.map.neighborsWithin(radius), SpatialOp.neighborsReference(m.xyz, m.dims, radius));
    });
  }

  /** Neighbour lists of an open map; {@code sizeOut[0]} gets one int per point. */
  private static Neighbors neighborsOf(Gen g, int[][] sizeOut) {
    Cloud m = openCloud(g);
    sizeOut[0] = new int[m.xyz.length / m.dims];
    return m.map.neighborsWithin(0.1f);
  }

  private static Cloud openCloud(Gen g) {
    int dims = 2 + g.rnd.nextInt(2);
    float[] xyz = g.positions(g.small(60), dims);
    SpatialHashMap map = SpatialHashMap.build(xyz, dims, 0.1f);
    g.owned.add(map);
    return new Cloud(map, xyz, dims);
  }
}
