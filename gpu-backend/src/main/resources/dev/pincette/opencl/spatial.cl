// Spatial hash on the device: cell keys; the points grouped by cell on a dense grid of the occupied box, or by a
// bitonic sort of (key, point) pairs (or counting, below) with a hash table from each occupied cell to its run; and
// radius searches that visit only the cells a radius touches.
//
// Keys and the distance test copy the CPU backend bit for bit: cells are floor(v / cellSize) in double, clamped and
// packed like CellKeys; distances are squared float64 differences of float32 coordinates summed in x, y, z order and
// compared with (double) r * r, so points exactly on the radius count on every backend. Contraction into fma would
// change those sums, hence FP_CONTRACT OFF.

#pragma OPENCL EXTENSION cl_khr_fp64 : enable
#pragma OPENCL FP_CONTRACT OFF

inline long cell_of(double v, double cellSize, int dims) {
  const long bias = dims == 3 ? (1L << 20) : (1L << 30);
  const double c = floor(v / cellSize);
  if (c < (double) -bias) return 0;
  if (c >= (double) (bias - 1)) return 2 * bias - 1;
  return (long) c + bias;
}

inline long pack(long cx, long cy, long cz, int dims) {
  return dims == 3 ? cx | (cy << 21) | (cz << 42) : cx | (cy << 31);
}

// Murmur3's 64-bit finaliser, as in CellKeys.
inline uint hash_key(long key) {
  ulong k = (ulong) key;
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdUL;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53UL;
  k ^= k >> 33;
  return (uint) k;
}

__kernel void cell_keys(__global const float* pos, const int n, const int dims, const double cellSize,
                        const int padded, __global long* keys, __global int* order) {
  const int i = get_global_id(0);
  if (i >= padded) return;
  if (i < n) {
    const long cx = cell_of(pos[i * dims], cellSize, dims);
    const long cy = cell_of(pos[i * dims + 1], cellSize, dims);
    const long cz = dims == 3 ? cell_of(pos[i * dims + 2], cellSize, dims) : 0;
    keys[i] = pack(cx, cy, cz, dims);
  } else {
    keys[i] = LONG_MAX;
  }
  order[i] = i;
}

// One compare-exchange of the bitonic network on (key, point) pairs; the point index breaks ties, so the order is
// total and each cell's points come out ascending.
inline bool after(long ka, int oa, long kb, int ob) {
  return ka > kb || (ka == kb && oa > ob);
}

__kernel void bitonic_step(__global long* keys, __global int* order, const int j, const int k) {
  const int i = get_global_id(0);
  const int l = i ^ j;
  if (l <= i) return;
  const long ki = keys[i];
  const long kl = keys[l];
  const int oi = order[i];
  const int ol = order[l];
  if (after(ki, oi, kl, ol) == ((i & k) == 0)) {
    keys[i] = kl;
    keys[l] = ki;
    order[i] = ol;
    order[l] = oi;
  }
}

// The steps j < 2·SORT_GROUP of the network run in local memory, a block of 2·SORT_GROUP pairs per work-group.
#define BLOCK (2 * SORT_GROUP)

inline void local_step(__local long* lk, __local int* lo, int base, int j, int k) {
  const int p = get_local_id(0);
  const int i = 2 * j * (p / j) + (p % j);
  const int l = i + j;
  const long ki = lk[i];
  const long kl = lk[l];
  const int oi = lo[i];
  const int ol = lo[l];
  if (after(ki, oi, kl, ol) == (((base + i) & k) == 0)) {
    lk[i] = kl;
    lk[l] = ki;
    lo[i] = ol;
    lo[l] = oi;
  }
  barrier(CLK_LOCAL_MEM_FENCE);
}

// Stages k = 2 .. BLOCK: sorts each block in the direction the global network wants it.
__kernel __attribute__((reqd_work_group_size(SORT_GROUP, 1, 1)))
void bitonic_sort_block(__global long* keys, __global int* order) {
  __local long lk[BLOCK];
  __local int lo[BLOCK];
  const int p = get_local_id(0);
  const int base = get_group_id(0) * BLOCK;
  lk[p] = keys[base + p];
  lo[p] = order[base + p];
  lk[p + SORT_GROUP] = keys[base + p + SORT_GROUP];
  lo[p + SORT_GROUP] = order[base + p + SORT_GROUP];
  barrier(CLK_LOCAL_MEM_FENCE);
  for (int k = 2; k <= BLOCK; k <<= 1) {
    for (int j = k / 2; j > 0; j >>= 1) local_step(lk, lo, base, j, k);
  }
  keys[base + p] = lk[p];
  order[base + p] = lo[p];
  keys[base + p + SORT_GROUP] = lk[p + SORT_GROUP];
  order[base + p + SORT_GROUP] = lo[p + SORT_GROUP];
}

// Steps j = SORT_GROUP .. 1 of stage k > BLOCK.
__kernel __attribute__((reqd_work_group_size(SORT_GROUP, 1, 1)))
void bitonic_merge_block(__global long* keys, __global int* order, const int k) {
  __local long lk[BLOCK];
  __local int lo[BLOCK];
  const int p = get_local_id(0);
  const int base = get_group_id(0) * BLOCK;
  lk[p] = keys[base + p];
  lo[p] = order[base + p];
  lk[p + SORT_GROUP] = keys[base + p + SORT_GROUP];
  lo[p + SORT_GROUP] = order[base + p + SORT_GROUP];
  barrier(CLK_LOCAL_MEM_FENCE);
  for (int j = SORT_GROUP; j > 0; j >>= 1) local_step(lk, lo, base, j, k);
  keys[base + p] = lk[p];
  order[base + p] = lo[p];
  keys[base + p + SORT_GROUP] = lk[p + SORT_GROUP];
  order[base + p + SORT_GROUP] = lo[p + SORT_GROUP];
}

// The first point of each run of equal keys enters the table (open addressing, linear probing, -1 = empty) and
// records where its run ends.
__kernel void cell_starts(__global const long* keys, const int n, __global int* table, const int mask,
                          __global int* cellEnd, __global int* occupied) {
  const int i = get_global_id(0);
  if (i >= n) return;
  const long key = keys[i];
  if (i > 0 && keys[i - 1] == key) return;
  int lo = i + 1;
  int hi = n;
  while (lo < hi) {
    const int mid = lo + (hi - lo) / 2;
    if (keys[mid] == key) lo = mid + 1; else hi = mid;
  }
  cellEnd[i] = lo;
  atomic_inc(occupied);
  for (uint slot = hash_key(key) & mask;; slot = (slot + 1) & mask) {
    if (atomic_cmpxchg(&table[slot], -1, i) == -1) break;
  }
}


// The dense build, for clouds whose cells' bounding box holds few more cells than there are points (uniform clouds,
// particle boxes): cells are numbered x + nx·(y + ny·z) inside the box, which is the order of their keys, so a
// count per cell, its exclusive prefix sum and a scatter group the points by cell in key order without a sort or a
// table; a search reads the run of a whole row of cells (x from lo to hi) as one range.
//
// The least and greatest cell coordinate per axis of a first build (later ones keep a box): private over a
// grid-stride loop, then a tree in local memory, then atomics of one work-item per group into bounds (min x, y, z,
// then minus max x, y, z, so that a single fill with INT_MAX prepares all six). No keys are written: the count below
// takes the cells straight from the positions, and only a cloud too sparse for a grid computes keys afterwards.
__kernel void cell_bounds(__global const float* pos, const int n, const int dims, const double cellSize,
                          __global int* bounds, __local int* scratch) {
  int lo[3] = {INT_MAX, INT_MAX, INT_MAX};
  int negHi[3] = {INT_MAX, INT_MAX, INT_MAX};
  for (int i = get_global_id(0); i < n; i += get_global_size(0)) {
    long c[3];
    c[0] = cell_of(pos[i * dims], cellSize, dims);
    c[1] = cell_of(pos[i * dims + 1], cellSize, dims);
    c[2] = dims == 3 ? cell_of(pos[i * dims + 2], cellSize, dims) : 0;
    for (int d = 0; d < 3; d++) {
      lo[d] = min(lo[d], (int) c[d]);
      negHi[d] = min(negHi[d], (int) -c[d]);
    }
  }
  const int lid = get_local_id(0);
  for (int d = 0; d < 3; d++) {
    scratch[6 * lid + d] = lo[d];
    scratch[6 * lid + 3 + d] = negHi[d];
  }
  for (int stride = get_local_size(0) / 2; stride > 0; stride >>= 1) {
    barrier(CLK_LOCAL_MEM_FENCE);
    if (lid < stride) {
      for (int e = 0; e < 6; e++) scratch[6 * lid + e] = min(scratch[6 * lid + e], scratch[6 * (lid + stride) + e]);
    }
  }
  barrier(CLK_LOCAL_MEM_FENCE);
  if (lid == 0) {
    for (int e = 0; e < 6; e++) atomic_min(&bounds[e], scratch[e]);
  }
}

// Counts the points of each cell of the box, straight from the positions; each point keeps its cell and its rank
// among the cell's points. On a box kept from an earlier build nothing is read back before the grouping: a point
// outside it sets *outside (its cell and rank then 0, harmless), and the host builds again.
__kernel void grid_count_in_box(__global const float* pos, const int n, const int dims, const double cellSize,
                                const long ox, const long oy, const long oz, const int nx, const int ny,
                                const int nz, __global int* gridCount, __global int* cellOf, __global int* rank,
                                __global int* outside) {
  const int i = get_global_id(0);
  if (i >= n) return;
  const long x = cell_of(pos[i * dims], cellSize, dims) - ox;
  const long y = cell_of(pos[i * dims + 1], cellSize, dims) - oy;
  const long z = dims == 3 ? cell_of(pos[i * dims + 2], cellSize, dims) - oz : 0;
  if (x < 0 || x >= nx || y < 0 || y >= ny || z < 0 || z >= nz) {
    *outside = 1;
    cellOf[i] = 0;
    rank[i] = 0;
    return;
  }
  const int cell = (int) (x + nx * (y + (long) ny * z));
  cellOf[i] = cell;
  rank[i] = atomic_inc(&gridCount[cell]);
}

// sortedPos[m] = pos[order[m]], after any of the builds.
__kernel void sort_positions(__global const float* pos, const int n, const int dims, __global const int* order,
                             __global float* sortedPos) {
  const int m = get_global_id(0);
  if (m >= n) return;
  const int i = order[m];
  for (int d = 0; d < dims; d++) sortedPos[m * dims + d] = pos[i * dims + d];
}

// placeOf[order[m]] = m, for the sorted build, whose order comes from the sort (the other builds' scatters write
// placeOf as they place each point: a scattered write of every point cost the H100 0.8 ms per 10M).
__kernel void place_of(const int n, __global const int* order, __global int* placeOf) {
  const int m = get_global_id(0);
  if (m < n) placeOf[order[m]] = m;
}

// Places each point in its cell's run. (Writing its position there too, scattered, took the H100 longer than the
// gather of sort_positions afterwards.)
__kernel void grid_scatter(const int n, __global const int* cellOf, __global const int* rank,
                           __global const int* gridStart, __global int* order, __global int* placeOf) {
  const int i = get_global_id(0);
  if (i >= n) return;
  const int m = gridStart[cellOf[i]] + rank[i];
  order[m] = i;
  placeOf[i] = m;
}

#ifdef COUNTING_BUILD
// The build without a sort of the points, on devices with 64-bit atomics: each point's cell key goes into an
// open-addressing table of keys (the probe order find_cell uses) and the points of each slot are counted; the
// occupied cells alone are sorted by key, an exclusive prefix sum of their counts in that order gives each cell's
// run, and the points are scattered into their runs: runs in key order, points within a run in no fixed order
// (every search sorts what it returns).
#pragma OPENCL EXTENSION cl_khr_int64_base_atomics : enable

__kernel void cell_insert(__global const long* pointKeys, const int n, __global long* tableKeys, const int mask,
                          __global int* slotOf, __global int* slotCount, __global int* occupied) {
  const int i = get_global_id(0);
  if (i >= n) return;
  const long key = pointKeys[i];
  uint slot = hash_key(key) & mask;
  for (;;) {
    const long seen = atom_cmpxchg((volatile __global long*) &tableKeys[slot], -1L, key);
    if (seen == -1L) {
      atomic_inc(occupied);
      break;
    }
    if (seen == key) break;
    slot = (slot + 1) & mask;
  }
  slotOf[i] = slot;
  atomic_inc(&slotCount[slot]);
}

// The occupied slots, compacted (in no order: they are sorted next), padded with keys after every real one.
__kernel void cell_collect(__global const long* tableKeys, __global const int* slotCount, const int slots,
                           __global int* collected, const int cells, const int paddedCells, __global long* cellKeys,
                           __global int* cellSlots) {
  const int s = get_global_id(0);
  if (s < paddedCells - cells) {
    cellKeys[cells + s] = LONG_MAX;
    cellSlots[cells + s] = INT_MAX;
  }
  if (s >= slots || slotCount[s] == 0) return;
  const int c = atomic_inc(collected);
  cellKeys[c] = tableKeys[s];
  cellSlots[c] = s;
}

__kernel void cell_counts(__global const int* cellSlots, __global const int* slotCount, const int cells,
                          __global int* cellCounts) {
  const int c = get_global_id(0);
  if (c < cells) cellCounts[c] = slotCount[cellSlots[c]];
}

__kernel void slot_starts(__global const int* cellSlots, __global const int* cellStarts, const int cells,
                          __global int* slotStart) {
  const int c = get_global_id(0);
  if (c < cells) slotStart[cellSlots[c]] = cellStarts[c];
}

__kernel void cell_scatter(__global const long* pointKeys, const int n, __global const int* slotOf,
                           __global const int* slotStart, __global int* cursor, __global long* keys,
                           __global int* order, __global int* placeOf) {
  const int i = get_global_id(0);
  if (i >= n) return;
  const int slot = slotOf[i];
  const int p = slotStart[slot] + atomic_inc(&cursor[slot]);
  order[p] = i;
  keys[p] = pointKeys[i];
  placeOf[i] = p;
}

__kernel void cell_runs(__global const int* slotCount, __global const int* slotStart, const int slots,
                        __global int* table, __global int* cellEnd) {
  const int s = get_global_id(0);
  if (s >= slots) return;
  const int count = slotCount[s];
  if (count == 0) {
    table[s] = -1;
    return;
  }
  table[s] = slotStart[s];
  cellEnd[slotStart[s]] = slotStart[s] + count;
}
#endif

// Search kernels compiled with -DGRID_ONLY (for maps on a dense grid) leave out the hash table's paths: fewer
// registers, more work-items in flight.
// The built structure, as every search kernel receives it: the hash table (table, keys, cellEnd) or, when nx > 0,
// the dense grid (gridStart[c] to gridStart[c + 1] is the run of cell c of the nx·ny·nz box at ox, oy, oz);
// sortedPos[m] is pos[order[m]], so that the searches read the points of a run from one place, not gathered.
#define STRUCTURE __global const float* pos, const int n, const int dims, const double cellSize, const int occupied, \
    __global const int* table, const int mask, __global const long* keys, __global const int* order,            \
    __global const int* cellEnd, __global const int* gridStart, const long ox, const long oy, const long oz,     \
    const int nx, const int ny, const int nz, __global const float* sortedPos
#define STRUCTURE_ARGS pos, n, dims, cellSize, occupied, table, mask, keys, order, cellEnd, gridStart, ox, oy, oz, \
    nx, ny, nz, sortedPos

// Start of the run of cell `key` in the sorted order, or -1.
inline int find_cell(__global const int* table, int mask, __global const long* keys, long key) {
  for (uint slot = hash_key(key) & mask;; slot = (slot + 1) & mask) {
    const int s = table[slot];
    if (s < 0) return -1;
    if (keys[s] == key) return s;
  }
}

inline bool within_exact(__global const float* pos, int dims, int j, float cx, float cy, float cz, double r2) {
  const double dx = (double) pos[j * dims] - cx;
  const double dy = (double) pos[j * dims + 1] - cy;
  double s = dx * dx + dy * dy;
  if (dims == 3) {
    const double dz = (double) pos[j * dims + 2] - cz;
    s += dz * dz;
  }
  return s <= r2;
}

// The float32 test decides unless the float sum lies within 1e-5 of r² (relative): it is the exact sum to within
// six roundings of 2^-24 each, all terms being non-negative. Only the few points near the sphere pay for the float64
// test, whose conversions run at a sixteenth of the float rate on the H100. Radii whose r² is outside [1e-30, 1e30]
// (where float underflow or overflow could matter) always take the exact test.
typedef struct {
  double r2;
  float inside;
  float outside;
} Radius;

inline Radius radius_of(float radius) {
  Radius r;
  r.r2 = (double) radius * radius;
  const bool fast = r.r2 >= 1e-30 && r.r2 <= 1e30;
  r.inside = fast ? (float) (r.r2 * (1 - 1e-5)) : -1.0f;
  r.outside = fast ? (float) (r.r2 * (1 + 1e-5)) : INFINITY;
  return r;
}

inline bool within(__global const float* pos, int dims, int j, float cx, float cy, float cz, Radius r) {
  const float dx = pos[j * dims] - cx;
  const float dy = pos[j * dims + 1] - cy;
  float s = dx * dx + dy * dy;
  if (dims == 3) {
    const float dz = pos[j * dims + 2] - cz;
    s += dz * dz;
  }
  if (s > r.outside) return false;
  if (s < r.inside) return true;
  return within_exact(pos, dims, j, cx, cy, cz, r.r2);
}

// Writes to out unless it is null, else to localOut. (Only a global pointer is tested against null: a pointer into a
// local array may have the null pointer's bits, local memory starting at address 0.)
inline void put(__global int* out, __local int* localOut, int at, int value) {
  if (out) {
    out[at] = value;
  } else {
    localOut[at] = value;
  }
}

// Points within `radius` of (cx, cy, cz) except `self` (at selfSlot in order): all counted, the first `cap` written to
// `out`, or to `localOut` when `out` is null (cap 0 writes nothing). Scans all
// points when the radius spans more cells than are occupied, as the CPU backend does.
inline int visit(STRUCTURE, int self, int selfSlot, float cx, float cy, float cz, float radius, __global int* out,
                 __local int* localOut, int cap) {
  const Radius sphere = radius_of(radius);
  const float c[3] = {cx, cy, cz};
  long lo[3] = {0, 0, 0};
  long hi[3] = {0, 0, 0};
  long cells = 1;
  // Loops over the three axes unroll, so that these arrays stay in registers rather than the stack.
#pragma unroll
  for (int d = 0; d < 3; d++) {
    if (d >= dims) break;
    lo[d] = cell_of(nextafter((double) c[d] - radius, (double) -INFINITY), cellSize, dims);
    hi[d] = cell_of(nextafter((double) c[d] + radius, (double) INFINITY), cellSize, dims);
    const long span = hi[d] - lo[d] + 1;
    cells = span > INT_MAX || cells > INT_MAX ? LONG_MAX : cells * span;
  }
  int count = 0;
  if (nx > 0) {
    // Clamped to the grid, a box visits at most every row once: never more work than a scan of all points.
    const long o[3] = {ox, oy, oz};
    const long size[3] = {nx, ny, nz};
#pragma unroll
    for (int d = 0; d < 3; d++) {
      lo[d] = max(lo[d], o[d]);
      hi[d] = min(hi[d], o[d] + size[d] - 1);
      if (lo[d] > hi[d]) return 0;
    }
    for (long z = lo[2]; z <= hi[2]; z++) {
      for (long y = lo[1]; y <= hi[1]; y++) {
        const long row = nx * ((y - oy) + (long) ny * (z - oz)) - ox;
        const int e = gridStart[row + hi[0] + 1];
        for (int m = gridStart[row + lo[0]]; m < e; m++) {
          if (m != selfSlot && within(sortedPos, dims, m, cx, cy, cz, sphere)) {
            if (count < cap) put(out, localOut, count, order[m]);
            count++;
          }
        }
      }
    }
    return count;
  }
#ifndef GRID_ONLY
  if (cells > occupied) {
    for (int j = 0; j < n; j++) {
      if (j != self && within(pos, dims, j, cx, cy, cz, sphere)) {
        if (count < cap) put(out, localOut, count, j);
        count++;
      }
    }
    return count;
  }
  for (long z = lo[2]; z <= hi[2]; z++) {
    for (long y = lo[1]; y <= hi[1]; y++) {
      for (long x = lo[0]; x <= hi[0]; x++) {
        const int s = find_cell(table, mask, keys, pack(x, y, z, dims));
        if (s < 0) continue;
        const int e = cellEnd[s];
        for (int m = s; m < e; m++) {
          if (m != selfSlot && within(sortedPos, dims, m, cx, cy, cz, sphere)) {
            if (count < cap) put(out, localOut, count, order[m]);
            count++;
          }
        }
      }
    }
  }
#endif
  return count;
}

// Neighbour lists up to this long are sorted in private memory (longer ones in place, by a heap sort).
#define PRIVATE_SORT 64
// Lists up to this long (the usual ~20 neighbours) sort in registers: a bitonic network whose unrolled loops index
// the array with constants. On the H100, 10M points' lists took 14 ms to fill and sort with insertion into a private
// array, 9 ms with this network in the fill pass.
// ClSpatialHash passes it (its LIST_SLOT: the size of each point's slot in neighbors_fill).
#ifndef NETWORK_SORT
#define NETWORK_SORT 32
#endif

// Sorts the count (at most NETWORK_SORT) values at in into out (global or local memory).
#define NETWORK_SORT_INTO(in, out, count)                                   \
  {                                                                         \
    int v[NETWORK_SORT];                                                    \
    _Pragma("unroll") for (int p = 0; p < NETWORK_SORT; p++) {              \
      v[p] = p < count ? in[p] : INT_MAX;                                   \
    }                                                                       \
    _Pragma("unroll") for (int k = 2; k <= NETWORK_SORT; k <<= 1) {         \
      _Pragma("unroll") for (int j = k >> 1; j > 0; j >>= 1) {              \
        _Pragma("unroll") for (int i = 0; i < NETWORK_SORT; i++) {          \
          const int l = i ^ j;                                              \
          if (l > i) {                                                      \
            const int lo = min(v[i], v[l]);                                 \
            const int hi = max(v[i], v[l]);                                 \
            const bool up = (i & k) == 0;                                   \
            v[i] = up ? lo : hi;                                            \
            v[l] = up ? hi : lo;                                            \
          }                                                                 \
        }                                                                   \
      }                                                                     \
    }                                                                       \
    _Pragma("unroll") for (int p = 0; p < NETWORK_SORT; p++) {              \
      if (p < count) out[p] = v[p];                                         \
    }                                                                       \
  }

inline void network_sort(__global const int* in, __global int* out, int count) NETWORK_SORT_INTO(in, out, count)

inline void network_sort_local(__global const int* in, __local int* out, int count) NETWORK_SORT_INTO(in, out, count)

inline void sift_down(__global int* a, int root, int end) {
  while (2 * root + 1 < end) {
    int child = 2 * root + 1;
    if (child + 1 < end && a[child] < a[child + 1]) child++;
    if (a[root] >= a[child]) return;
    const int t = a[root];
    a[root] = a[child];
    a[child] = t;
    root = child;
  }
}

inline void heap_sort(__global int* a, int n) {
  for (int s = n / 2 - 1; s >= 0; s--) sift_down(a, s, n);
  for (int end = n - 1; end > 0; end--) {
    const int t = a[0];
    a[0] = a[end];
    a[end] = t;
    sift_down(a, 0, end);
  }
}

inline float coord(__global const float* pos, int dims, int i, int d) {
  return d < dims ? pos[i * dims + d] : 0.0f;
}

// Work-items take the points in cell order (order[] is sorted by cell key): neighbouring work-items search the same
// cells, which then stay in cache; in index order, 10M random points searched 24x slower than 1M.
__kernel void neighbors_count(STRUCTURE, const float radius, __global int* counts) {
  const int g = get_global_id(0);
  if (g >= n) return;
  const int i = order[g];
  // The centre from sortedPos[g] (equal to pos[i]): neighbouring work-items read neighbouring floats.
  counts[i] = visit(STRUCTURE_ARGS, i, g, coord(sortedPos, dims, g, 0), coord(sortedPos, dims, g, 1),
                    coord(sortedPos, dims, g, 2), radius, 0, 0, 0);
}

// One search pass for the lists: each point's count, and its first `cap` (0 or NETWORK_SORT) neighbours, unsorted,
// into a slot of NETWORK_SORT per place in the cell order; points with more are listed in `overflow` for
// neighbors_overflow. The slots of a work-group fill in local memory (padded by one, so that the work-items' writes
// fall in different banks) and go out together, in whole lines. On the H100 with 10M points, a count pass then lists
// written at their offsets took 2.6 + 6.8 ms, and a pass writing each slot straight to global memory 6.4 ms: the
// scattered stores cost more than the search.
__kernel __attribute__((reqd_work_group_size(FILL_GROUP, 1, 1)))
void neighbors_fill(STRUCTURE, const float radius, const int cap, __global int* counts, __global int* lists,
                    __global int* overflow, __global int* overflowCount) {
  __local int slots[FILL_GROUP * (NETWORK_SORT + 1)];
  const int g = get_global_id(0);
  const int lid = get_local_id(0);
  if (g < n) {
    const int i = order[g];
    const int count = visit(STRUCTURE_ARGS, i, g, coord(sortedPos, dims, g, 0), coord(sortedPos, dims, g, 1),
                            coord(sortedPos, dims, g, 2), radius, 0, slots + lid * (NETWORK_SORT + 1), cap);
    counts[i] = count;
    if (count > cap) overflow[atomic_inc(overflowCount)] = g;
  }
  if (cap == 0) return;  // a kernel argument: the whole group returns
  barrier(CLK_LOCAL_MEM_FENCE);
  const int first = g - lid;
  for (int t = lid; t < FILL_GROUP * NETWORK_SORT; t += FILL_GROUP) {
    const int q = t / NETWORK_SORT;
    const int p = t % NETWORK_SORT;
    if (first + q < n) lists[(size_t) (first + q) * NETWORK_SORT + p] = slots[q * (NETWORK_SORT + 1) + p];
  }
}

// Point i's list, from its slot in `lists` (at most NETWORK_SORT long), sorted into indices at offsets[i]. The
// work-group's lists are contiguous there: staged in local memory, they go out in whole lines (the ranges of longer
// lists get garbage, which neighbors_overflow, enqueued after, overwrites). A group whose range is too long for the
// stage (it holds long lists) writes each list directly.
__kernel __attribute__((reqd_work_group_size(FILL_GROUP, 1, 1)))
void sort_lists(const int n, __global const int* placeOf, __global const int* lists, __global const int* offsets,
                __global int* indices) {
  __local int staged[FILL_GROUP * NETWORK_SORT];
  const int i = get_global_id(0);
  const int first = i - get_local_id(0);
  const int base = offsets[first];
  const int span = offsets[min(first + FILL_GROUP, n)] - base;
  const bool stage = span <= FILL_GROUP * NETWORK_SORT;
  if (i < n) {
    const int count = offsets[i + 1] - offsets[i];
    __global const int* in = lists + (size_t) placeOf[i] * NETWORK_SORT;
    if (count <= NETWORK_SORT) {
      if (stage) {
        network_sort_local(in, staged + (offsets[i] - base), count);
      } else {
        network_sort(in, indices + offsets[i], count);
      }
    }
  }
  // Every work-item reaches the barrier: `stage` is the same for the whole group, but a compiler that cannot prove it
  // (PoCL) mishandles a barrier after a return that depends on it.
  barrier(CLK_LOCAL_MEM_FENCE);
  if (stage) {
    for (int t = get_local_id(0); t < span; t += FILL_GROUP) indices[base + t] = staged[t];
  }
}

// Sorts a list written in place at its offset: in registers, in private memory, or by a heap sort, by length.
inline void sort_list(__global int* out, const int found) {
  if (found <= NETWORK_SORT) {
    network_sort(out, out, found);
  } else if (found <= PRIVATE_SORT) {
    // Longer lists sort in private memory: one read and one write of global memory each.
    int a[PRIVATE_SORT];
    for (int p = 0; p < found; p++) {
      const int v = out[p];
      int q = p;
      while (q > 0 && a[q - 1] > v) {
        a[q] = a[q - 1];
        q--;
      }
      a[q] = v;
    }
    for (int p = 0; p < found; p++) out[p] = a[p];
  } else {
    heap_sort(out, found);
  }
}

// The points whose lists outgrew their slots, searched again and written straight to their offsets, then sorted.
__kernel void neighbors_overflow(STRUCTURE, const float radius, __global const int* overflow, const int count,
                                 __global const int* offsets, __global int* indices) {
  const int t = get_global_id(0);
  if (t >= count) return;
  const int g = overflow[t];
  const int i = order[g];
  __global int* out = indices + offsets[i];
  sort_list(out, visit(STRUCTURE_ARGS, i, g, coord(pos, dims, i, 0), coord(pos, dims, i, 1),
                       coord(pos, dims, i, 2), radius, out, 0, INT_MAX));
}

// Radii of their own (SpatialHashMap.neighborsWithin(float[])): row q is point points[q] within radii[q], each point
// searching its own radius only (searching all at the largest and filtering made one outlier radius cost every
// point its search). A pass counts each row, the host places the rows by a prefix sum of the counts, and a second
// pass writes each row at its offset and sorts it.
__kernel void neighbors_each_count(STRUCTURE, __global const int* placeOf, __global const int* points,
                                   __global const float* radii, const int rows, __global int* counts) {
  const int q = get_global_id(0);
  if (q >= rows) return;
  const int i = points[q];
  counts[q] = visit(STRUCTURE_ARGS, i, placeOf[i], coord(pos, dims, i, 0), coord(pos, dims, i, 1),
                    coord(pos, dims, i, 2), radii[q], 0, 0, 0);
}

__kernel void neighbors_each_list(STRUCTURE, __global const int* placeOf, __global const int* points,
                                  __global const float* radii, const int rows, __global const int* offsets,
                                  __global int* indices) {
  const int q = get_global_id(0);
  if (q >= rows) return;
  const int i = points[q];
  __global int* out = indices + offsets[q];
  sort_list(out, visit(STRUCTURE_ARGS, i, placeOf[i], coord(pos, dims, i, 0), coord(pos, dims, i, 1),
                       coord(pos, dims, i, 2), radii[q], out, 0, INT_MAX));
}

// One work-item per cell of the query box (lo + (x, y, z) for x < spanX, ...); hits are appended in any order.
__kernel void query_cells(STRUCTURE, const float cx, const float cy, const float cz, const float radius,
                          const long loX, const long loY, const long loZ, const int spanX, const int spanY,
                          const int cellCount, __global int* out, const int capacity, __global int* found) {
  const int id = get_global_id(0);
  if (id >= cellCount) return;
  const long x = loX + id % spanX;
  const long y = loY + (id / spanX) % spanY;
  const long z = loZ + id / (spanX * spanY);
  int s, e;
  if (nx > 0) {
    if (x < ox || x >= ox + nx || y < oy || y >= oy + ny || z < oz || z >= oz + nz) return;
    const long cell = (x - ox) + nx * ((y - oy) + (long) ny * (z - oz));
    s = gridStart[cell];
    e = gridStart[cell + 1];
  } else {
#ifdef GRID_ONLY
    return;
#else
    s = find_cell(table, mask, keys, pack(x, y, z, dims));
    if (s < 0) return;
    e = cellEnd[s];
#endif
  }
  const Radius sphere = radius_of(radius);
  for (int m = s; m < e; m++) {
    if (within(sortedPos, dims, m, cx, cy, cz, sphere)) {
      const int at = atomic_inc(found);
      if (at < capacity) out[at] = order[m];
    }
  }
}

__kernel void query_all(STRUCTURE, const float cx, const float cy, const float cz, const float radius,
                        __global int* out, const int capacity, __global int* found) {
  const int j = get_global_id(0);
  if (j >= n) return;
  if (within(pos, dims, j, cx, cy, cz, radius_of(radius))) {
    const int at = atomic_inc(found);
    if (at < capacity) out[at] = j;
  }
}

// Exclusive prefix sums, for the offsets of neighbour lists. Each work-group scans a block of twice its size in local
// memory (Blelloch's up-sweep and down-sweep) and writes the block's total; the host scans the totals the same way,
// then scan_add adds each block's offset.
__kernel void scan_blocks(__global const int* in, const int n, __global int* out, __global int* blockSums,
                          __local int* tmp) {
  const int lid = get_local_id(0);
  const int groupSize = get_local_size(0);
  const int a = get_group_id(0) * 2 * groupSize + 2 * lid;
  tmp[2 * lid] = a < n ? in[a] : 0;
  tmp[2 * lid + 1] = a + 1 < n ? in[a + 1] : 0;
  int offset = 1;
  for (int d = groupSize; d > 0; d >>= 1) {
    barrier(CLK_LOCAL_MEM_FENCE);
    if (lid < d) tmp[offset * (2 * lid + 2) - 1] += tmp[offset * (2 * lid + 1) - 1];
    offset <<= 1;
  }
  if (lid == 0) {
    blockSums[get_group_id(0)] = tmp[2 * groupSize - 1];
    tmp[2 * groupSize - 1] = 0;
  }
  for (int d = 1; d < 2 * groupSize; d <<= 1) {
    offset >>= 1;
    barrier(CLK_LOCAL_MEM_FENCE);
    if (lid < d) {
      const int ai = offset * (2 * lid + 1) - 1;
      const int bi = offset * (2 * lid + 2) - 1;
      const int t = tmp[ai];
      tmp[ai] = tmp[bi];
      tmp[bi] += t;
    }
  }
  barrier(CLK_LOCAL_MEM_FENCE);
  if (a < n) out[a] = tmp[2 * lid];
  if (a + 1 < n) out[a + 1] = tmp[2 * lid + 1];
}

__kernel void scan_add(__global int* out, const int n, __global const int* blockOffsets, const int block) {
  const int i = get_global_id(0);
  if (i < n) out[i] += blockOffsets[i / block];
}

// Resident outputs and inputs, checked where they are. Offsets summed in int wrap past 2^31 - 1 pairs; each count is
// below 2^28, so a wrap shows as a decrease: *decreased becomes 1.
__kernel void offsets_decrease(const int n, __global const int* offsets, __global int* decreased) {
  const int i = get_global_id(0);
  if (i + 1 < n && offsets[i + 1] < offsets[i]) *decreased = 1;
}

// The first index of a value that is not finite (NaN or infinite) among n, into *first (which starts at INT_MAX).
__kernel void first_not_finite(const int n, __global const float* values, __global int* first) {
  const int i = get_global_id(0);
  if (i < n && !isfinite(values[i])) atomic_min(first, i);
}
