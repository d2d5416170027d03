// C = A·B on NVIDIA tensor cores through inline PTX (sm_80 and later), for products asked for in a relaxed precision:
// the inputs rounded to TF32 (PREC=1) or BF16 (PREC=2), multiplied exactly, summed in float32 (mma.sync, f32
// accumulators). Only the NVIDIA path of ClMatmulMma builds this file; EMULATE=1 replaces the four PTX primitives
// (cp.async, ldmatrix, mma) by portable code of the same semantics, so that tests check every index on any device.
//
// Two passes. pack_rows / pack_cols round A (m×k) and B (k×n) and lay both out k-contiguous: A as m rows and B
// transposed as n rows of KP elements, zero-padded to a whole number of 64-byte k-tiles (16 TF32 or 32 BF16 values).
// Padding contributes 0·0 only, never 0·x, so NaN and infinity propagate as in the reference.
//
// matmul_mma: a work-group computes a BM×BN block of C; each warp a WM×WN tile of it, as (WM/16)×(WN/8) mma tiles
// with their float32 accumulators in registers. k-tiles stream through STAGES shared-memory stages by cp.async
// (16-byte copies, zero-filled past the matrices' edges), so that the copies of later tiles overlap the mmas of this
// one. A stage holds BM rows of A then BN rows of B, 64 bytes each, the four 16-byte chunks of row r at chunk
// c ^ ((r/2) % 4): ldmatrix then reads eight rows at one chunk from eight different bank groups. Each 32-byte half of
// a row is one mma step (m16n8k8 TF32 or m16n8k16 BF16), and the same ldmatrix.x4 addressing loads the fragments of
// both formats: A's four 8×8 matrices are rows 0-7/8-15 × the low/high 16 bytes, B's two n8 tiles × low/high.

#if PREC == 1
#define ELEM uint
#define KSTEP 8
#else
#define ELEM ushort
#define KSTEP 16
#endif

#define WARPS_N (BN / WN)
#define THREADS ((BM / WM) * WARPS_N * 32)
#define MT (WM / 16)
#define NT (WN / 8)
#define ROWS (BM + BN)
#define STAGE_BYTES (ROWS * 64)
#define LOADS (ROWS * 4 / THREADS)
// Rows of a stage one pass of the work-group's chunk copies covers; BM is a multiple (ClMatmulMma.Shape checks), so
// each pass copies rows of A only or of B only.
#define PASS_ROWS (THREADS / 4)
// Blocks run in groups of GROUP block rows, column by column within a group, so that the blocks in flight share
// B's panels in L2 rather than each block row streaming all of B from memory.
#define GROUP 8
#define FRAG_WORDS (MT * 4 + NT * 2)
#define STR_(x) #x
#define STR(x) STR_(x)

// Byte offset of 16-byte chunk c of row r within a stage.
#define SWIZZLED(r, c) ((r) * 64 + ((((c) ^ ((r) >> 1)) & 3) << 4))

// TF32 rounding as cvt.rna.tf32.f32 does it: to nearest, ties away from zero; NaN stays NaN.
inline uint round_tf32(float x) {
  uint u = as_uint(x);
  if ((u & 0x7fffffffu) > 0x7f800000u) return u | 0x00400000u;
  return (u + 0x1000u) & 0xffffe000u;
}

// BF16 rounding as cvt.rn.bf16.f32 does it: to nearest, ties to even; NaN stays NaN.
inline ushort round_bf16(float x) {
  uint u = as_uint(x);
  if ((u & 0x7fffffffu) > 0x7f800000u) return (ushort) ((u >> 16) | 0x0040u);
  return (ushort) ((u + 0x7fffu + ((u >> 16) & 1u)) >> 16);
}

#if PREC == 1
#define ROUND(x) round_tf32(x)
#else
#define ROUND(x) round_bf16(x)
#endif

// P[item][r][c] = round(X[item][r][c]) for c < cols, 0 up to kp: A's rows, k-contiguous already.
__kernel void pack_rows(const int rows, const int cols, const int kp, __global const float* restrict X,
                        __global ELEM* restrict P) {
  const int c = get_global_id(0);
  const int r = get_global_id(1);
  const long item = get_global_id(2);
  if (c >= kp || r >= rows) return;
  X += item * rows * cols;
  P += item * rows * kp;
  P[(long) r * kp + c] = c < cols ? ROUND(X[(long) r * cols + c]) : (ELEM) 0;
}

// P[item][j][p] = round(X[item][p][j]) for p < k, 0 up to kp: B (k×n) transposed through a padded 32×32 tile, so
// that reads and writes are both coalesced.
__kernel __attribute__((reqd_work_group_size(32, 8, 1)))
void pack_cols(const int k, const int n, const int kp, __global const float* restrict X, __global ELEM* restrict P) {
  __local float tile[32][33];
  const int lx = get_local_id(0);
  const int ly = get_local_id(1);
  const int j0 = get_group_id(0) * 32;
  const int p0 = get_group_id(1) * 32;
  const long item = get_global_id(2);
  X += item * k * n;
  P += item * n * kp;
  for (int i = ly; i < 32; i += 8) {
    const int p = p0 + i;
    const int j = j0 + lx;
    tile[i][lx] = p < k && j < n ? X[(long) p * n + j] : 0.0f;
  }
  barrier(CLK_LOCAL_MEM_FENCE);
  for (int i = ly; i < 32; i += 8) {
    const int j = j0 + i;
    const int p = p0 + lx;
    if (j < n && p < kp) P[(long) j * kp + p] = ROUND(tile[lx][i]);
  }
}

#if EMULATE
// Portable stand-ins. Copies are synchronous, so commit and wait do nothing.
inline void copy16(__local uchar* dst, __global const uchar* src, int bytes) {
  vstore4(bytes != 0 ? vload4(0, (__global const uint*) src) : (uint4) 0, 0, (__local uint*) dst);
}
#define COMMIT()
#define WAIT()
// ldmatrix.x4: register i of a lane is word (lane % 4) of the row whose address lane 8·i + lane/4 supplies.
#define LOAD_X4(r0, r1, r2, r3, ROW_OF_LANE)                                             \
  {                                                                                      \
    const int w_ = (lane & 3) * 4;                                                       \
    r0 = *(__local const uint*) (ROW_OF_LANE(0 * 8 + (lane >> 2)) + w_);                 \
    r1 = *(__local const uint*) (ROW_OF_LANE(1 * 8 + (lane >> 2)) + w_);                 \
    r2 = *(__local const uint*) (ROW_OF_LANE(2 * 8 + (lane >> 2)) + w_);                 \
    r3 = *(__local const uint*) (ROW_OF_LANE(3 * 8 + (lane >> 2)) + w_);                 \
  }

// Element (row, kk) of A's m16×KSTEP fragment and (kk, col) of B's KSTEP×n8 one, read from the lanes holding them
// (frags: each lane's MT·4 A words, then NT·2 B words), as PTX lays the fragments out.
inline float frag_value(uint word, int kk) {
#if PREC == 1
  return as_float(word);
#else
  return as_float(((word >> (16 * (kk & 1))) & 0xffffu) << 16);
#endif
}

inline float a_element(__local const uint* frags, int mi, int row, int kk) {
#if PREC == 1
  const int lane = (row & 7) * 4 + (kk & 3);
  const int reg = (row >> 3) + 2 * (kk >> 2);
#else
  const int lane = (row & 7) * 4 + ((kk & 7) >> 1);
  const int reg = (row >> 3) + 2 * (kk >> 3);
#endif
  return frag_value(frags[lane * FRAG_WORDS + mi * 4 + reg], kk);
}

inline float b_element(__local const uint* frags, int nj, int kk, int col) {
#if PREC == 1
  const int lane = col * 4 + (kk & 3);
  const int reg = kk >> 2;
#else
  const int lane = col * 4 + ((kk & 7) >> 1);
  const int reg = kk >> 3;
#endif
  return frag_value(frags[lane * FRAG_WORDS + MT * 4 + nj * 2 + reg], kk);
}
#else
inline void copy16(__local uchar* dst, __global const uchar* src, int bytes) {
  const uint address = (uint) (size_t) dst;
  asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;" ::"r"(address), "l"(src), "r"(bytes) : "memory");
}
#define COMMIT() asm volatile("cp.async.commit_group;" ::: "memory")
// WAIT_GROUPS = STAGES - 2, given by the host: PTX takes a plain number there.
#define WAIT() asm volatile("cp.async.wait_group " STR(WAIT_GROUPS) ";" ::: "memory")
#define LOAD_X4(r0, r1, r2, r3, ROW_OF_LANE)                                                                       \
  asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0,%1,%2,%3}, [%4];"                                    \
               : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3)                                                          \
               : "r"((uint) (size_t) ROW_OF_LANE(lane)))
#if PREC == 1
#define MMA(d, a, b)                                                                                             \
  asm("mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};" \
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])                                                           \
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]))
#else
#define MMA(d, a, b)                                                                                             \
  asm("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0,%1,%2,%3}, {%4,%5,%6,%7}, {%8,%9}, {%0,%1,%2,%3};" \
      : "+f"(d[0]), "+f"(d[1]), "+f"(d[2]), "+f"(d[3])                                                           \
      : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b[0]), "r"(b[1]))
#endif
#endif

__kernel __attribute__((reqd_work_group_size(THREADS, 1, 1)))
void matmul_mma(const int M, const int N, const int KP, __global const uchar* restrict A,
                __global const uchar* restrict B, __global float* restrict C) {
  __local uint4 smem[STAGES * STAGE_BYTES / 16];
#if EMULATE
  __local uint exchange[THREADS * FRAG_WORDS];
#endif
  __local uchar* const stages = (__local uchar*) smem;
  const int tid = get_local_id(0);
  const int warp = tid >> 5;
  const int lane = tid & 31;
  const int aRow = (warp / WARPS_N) * WM;
  const int bRow = BM + (warp % WARPS_N) * WN;
  const int blockRows = get_num_groups(1);
  const int blockCols = get_num_groups(0);
  const int block = get_group_id(1) * blockCols + get_group_id(0);
  const int firstRow = block / (GROUP * blockCols) * GROUP;
  const int groupRows = min(blockRows - firstRow, GROUP);
  const int inGroup = block % (GROUP * blockCols);
  const int row0 = (firstRow + inGroup % groupRows) * BM;
  const int col0 = inGroup / groupRows * BN;
  const long item = get_group_id(2);
  const long rowBytes = (long) KP * sizeof(ELEM);
  A += item * M * rowBytes;
  B += item * N * rowBytes;
  C += item * M * N;
  const int tiles = KP / (64 / sizeof(ELEM));

  // The chunks this work-item copies into every stage: chunk tid & 3 of row tid / 4 + l·PASS_ROWS, a row r < BM of
  // A's block, else row r - BM of B's; rows past the matrices' edges are zero-filled (bit l of outside set).
  __global const uchar* source[LOADS];
  uint outside = 0;
#pragma unroll
  for (int l = 0; l < LOADS; l++) {
    const int r = (tid >> 2) + l * PASS_ROWS;
    const bool isA = l * PASS_ROWS < BM;
    const int index = isA ? row0 + r : col0 + r - BM;
    const bool inside = index < (isA ? M : N);
    source[l] = (isA ? A : B) + (inside ? index * rowBytes : 0) + (tid & 3) * 16;
    outside |= inside ? 0u : 1u << l;
  }
  // Every pass lands PASS_ROWS rows further, at the same swizzle (PASS_ROWS is a multiple of 8).
  const int target = SWIZZLED(tid >> 2, tid & 3);

  float acc[MT][NT][4];
#pragma unroll
  for (int mi = 0; mi < MT; mi++) {
#pragma unroll
    for (int nj = 0; nj < NT; nj++) {
#pragma unroll
      for (int q = 0; q < 4; q++) acc[mi][nj][q] = 0.0f;
    }
  }

  // Copies k-tile t into stage s (a for statement, so that #pragma unroll keeps the arrays above in registers).
#define LOAD_STAGE(s, t)                                                                                      \
  for (int l = 0; l < LOADS; l++)                                                                             \
    copy16(stages + (s) * STAGE_BYTES + target + l * PASS_ROWS * 64,                                          \
           source[l] + (((outside >> l) & 1) != 0 ? 0 : (long) (t) * 64), ((outside >> l) & 1) != 0 ? 0 : 16)

#pragma unroll
  for (int s = 0; s < STAGES - 1; s++) {
    if (s < tiles) {
#pragma unroll
      LOAD_STAGE(s, s);
    }
    COMMIT();
  }

  for (int t = 0; t < tiles; t++) {
    WAIT();
    barrier(CLK_LOCAL_MEM_FENCE);
    // Every warp is past the stage read in the previous step: refill it with the tile STAGES-1 ahead.
    const int ahead = t + STAGES - 1;
    if (ahead < tiles) {
#pragma unroll
      LOAD_STAGE(ahead % STAGES, ahead);
    }
    COMMIT();
    __local const uchar* const stage = stages + (t % STAGES) * STAGE_BYTES;
#pragma unroll
    for (int ks = 0; ks < 2; ks++) {
      uint a[MT][4];
      uint b[NT][2];
#define A_ROW_OF_LANE(j) (stage + SWIZZLED(aRow + mi * 16 + ((j) & 15), 2 * ks + ((j) >> 4)))
#define B_ROW_OF_LANE(j) (stage + SWIZZLED(bRow + nj * 8 + ((j) & 7) + (((j) >> 4) << 3), 2 * ks + (((j) >> 3) & 1)))
#pragma unroll
      for (int mi = 0; mi < MT; mi++) LOAD_X4(a[mi][0], a[mi][1], a[mi][2], a[mi][3], A_ROW_OF_LANE);
#pragma unroll
      for (int nj = 0; nj < NT; nj += 2) LOAD_X4(b[nj][0], b[nj][1], b[nj + 1][0], b[nj + 1][1], B_ROW_OF_LANE);
#if EMULATE
      __local uint* const mine = exchange + tid * FRAG_WORDS;
      for (int mi = 0; mi < MT; mi++) {
        for (int r = 0; r < 4; r++) mine[mi * 4 + r] = a[mi][r];
      }
      for (int nj = 0; nj < NT; nj++) {
        mine[MT * 4 + nj * 2] = b[nj][0];
        mine[MT * 4 + nj * 2 + 1] = b[nj][1];
      }
      barrier(CLK_LOCAL_MEM_FENCE);
      __local const uint* const frags = exchange + (warp * 32) * FRAG_WORDS;
      for (int mi = 0; mi < MT; mi++) {
        for (int nj = 0; nj < NT; nj++) {
          for (int q = 0; q < 4; q++) {
            const int row = (lane >> 2) + 8 * (q >> 1);
            const int col = 2 * (lane & 3) + (q & 1);
            float sum = acc[mi][nj][q];
            for (int kk = 0; kk < KSTEP; kk++) {
              sum = fma(a_element(frags, mi, row, kk), b_element(frags, nj, kk, col), sum);
            }
            acc[mi][nj][q] = sum;
          }
        }
      }
      barrier(CLK_LOCAL_MEM_FENCE);
#else
#pragma unroll
      for (int mi = 0; mi < MT; mi++) {
#pragma unroll
        for (int nj = 0; nj < NT; nj++) MMA(acc[mi][nj], a[mi], b[nj]);
      }
#endif
    }
  }

  // Accumulator q of an mma tile is row lane/4 (+8 for q ≥ 2), column 2·(lane%4) (+1 for odd q).
  const bool pairs = (N & 1) == 0;
#pragma unroll
  for (int mi = 0; mi < MT; mi++) {
#pragma unroll
    for (int h = 0; h < 2; h++) {
      const int row = row0 + aRow + mi * 16 + (lane >> 2) + 8 * h;
      if (row >= M) continue;
#pragma unroll
      for (int nj = 0; nj < NT; nj++) {
        const int col = col0 + bRow - BM + nj * 8 + 2 * (lane & 3);
        __global float* p = C + (long) row * N + col;
        if (pairs && col + 1 < N) {
          *(__global float2*) p = (float2) (acc[mi][nj][2 * h], acc[mi][nj][2 * h + 1]);
        } else {
          if (col < N) p[0] = acc[mi][nj][2 * h];
          if (col + 1 < N) p[1] = acc[mi][nj][2 * h + 1];
        }
      }
    }
  }
}
