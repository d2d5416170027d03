// C = A·B for row-major float32 matrices, optionally a batch of them (one per index of dimension 2), with
// plain float32 fma accumulation: no half precision, no TF32, no reassociation beyond the order of k.
//
// Tiling (set with -D): a work-group computes a BM×BN block of C and walks k in steps of BK. Each work-item keeps a
// TM×TN micro-tile in registers, split into float4 groups spread over the block so that local-memory reads are
// float4 and conflict-free. The A tile is stored transposed (k-major, rows padded by 4 floats against bank
// conflicts). Local memory is double-buffered: the next tiles are fetched into registers while the current ones
// are multiplied, so each k-step needs one barrier.
//
// Edges: blocks that are fully inside the matrices, with rows a multiple of 4 floats, load and store float4;
// other blocks load element by element with zero padding, so every shape is correct. Padding contributes 0·0 only,
// never 0·x, so NaN and infinity propagate exactly as in the reference.

#define TX (BN / TN)
#define TY (BM / TM)
#define THREADS (TX * TY)
#define A_LOADS (BM * BK / 4 / THREADS)
#define B_LOADS (BK * BN / 4 / THREADS)
#define A_STRIDE (BM + 4)

__kernel __attribute__((reqd_work_group_size(TX, TY, 1)))
void matmul(const int M, const int N, const int K, __global const float* restrict A,
            __global const float* restrict B, __global float* restrict C) {
  __local float As[2][BK * A_STRIDE] __attribute__((aligned(16)));
  __local float Bs[2][BK * BN] __attribute__((aligned(16)));

  const int tx = get_local_id(0);
  const int ty = get_local_id(1);
  const int tid = ty * TX + tx;
#ifdef GROUP
  // Blocks in groups of GROUP block rows, column by column within a group, so that the blocks in flight share B's
  // panels in L2.
  const int blockCols = get_num_groups(0);
  const int block = get_group_id(1) * blockCols + get_group_id(0);
  const int firstRow = block / (GROUP * blockCols) * GROUP;
  const int groupRows = min((int) get_num_groups(1) - firstRow, GROUP);
  const int inGroup = block % (GROUP * blockCols);
  const int row0 = (firstRow + inGroup % groupRows) * BM;
  const int col0 = inGroup / groupRows * BN;
#else
  const int row0 = get_group_id(1) * BM;
  const int col0 = get_group_id(0) * BN;
#endif
  const long item = get_group_id(2);
  A += item * M * K;
  B += item * K * N;
  C += item * M * N;

  const bool rowsInside = row0 + BM <= M;
  const bool colsInside = col0 + BN <= N;
  const bool vectorA = rowsInside && (K & 3) == 0;
  const bool vectorB = colsInside && (N & 3) == 0;
  const int tiles = (K + BK - 1) / BK;

  float4 ra[A_LOADS];
  float4 rb[B_LOADS];
  float acc[TM][TN];
#pragma unroll
  for (int i = 0; i < TM; i++) {
#pragma unroll
    for (int j = 0; j < TN; j++) acc[i][j] = 0.0f;
  }

#define LOAD_TILES(k0)                                                                        \
  {                                                                                           \
    const bool kInside = (k0) + BK <= K;                                                      \
    for (int l = 0; l < A_LOADS; l++) {                                     \
      const int f = tid + l * THREADS;                                                        \
      const int r = f / (BK / 4);                                                             \
      const int k = (k0) + (f % (BK / 4)) * 4;                                                \
      const int row = row0 + r;                                                               \
      if (vectorA && kInside) {                                                               \
        ra[l] = *((__global const float4*) (A + (long) row * K + k));                         \
      } else {                                                                                \
        __global const float* p = A + (long) row * K + k;                                     \
        const bool rowOk = row < M;                                                           \
        ra[l] = (float4)(rowOk && k < K ? p[0] : 0.0f, rowOk && k + 1 < K ? p[1] : 0.0f,       \
                         rowOk && k + 2 < K ? p[2] : 0.0f, rowOk && k + 3 < K ? p[3] : 0.0f);  \
      }                                                                                       \
    }                                                                                         \
    for (int l = 0; l < B_LOADS; l++) {                                     \
      const int f = tid + l * THREADS;                                                        \
      const int k = (k0) + f / (BN / 4);                                                      \
      const int col = col0 + (f % (BN / 4)) * 4;                                              \
      if (vectorB && kInside) {                                                               \
        rb[l] = *((__global const float4*) (B + (long) k * N + col));                         \
      } else {                                                                                \
        __global const float* p = B + (long) k * N + col;                                     \
        const bool kOk = k < K;                                                               \
        rb[l] = (float4)(kOk && col < N ? p[0] : 0.0f, kOk && col + 1 < N ? p[1] : 0.0f,       \
                         kOk && col + 2 < N ? p[2] : 0.0f, kOk && col + 3 < N ? p[3] : 0.0f);  \
      }                                                                                       \
    }                                                                                         \
  }

#define STORE_TILES(buf)                                                                      \
  {                                                                                           \
    for (int l = 0; l < A_LOADS; l++) {                                     \
      const int f = tid + l * THREADS;                                                        \
      const int r = f / (BK / 4);                                                             \
      const int kk = (f % (BK / 4)) * 4;                                                      \
      As[buf][(kk + 0) * A_STRIDE + r] = ra[l].x;                                             \
      As[buf][(kk + 1) * A_STRIDE + r] = ra[l].y;                                             \
      As[buf][(kk + 2) * A_STRIDE + r] = ra[l].z;                                             \
      As[buf][(kk + 3) * A_STRIDE + r] = ra[l].w;                                             \
    }                                                                                         \
    for (int l = 0; l < B_LOADS; l++) {                                     \
      const int f = tid + l * THREADS;                                                        \
      *((__local float4*) &Bs[buf][(f / (BN / 4)) * BN + (f % (BN / 4)) * 4]) = rb[l];        \
    }                                                                                         \
  }

  if (tiles > 0) {
    LOAD_TILES(0)
    STORE_TILES(0)
  }
  barrier(CLK_LOCAL_MEM_FENCE);

  for (int t = 0; t < tiles; t++) {
    const int buf = t & 1;
    if (t + 1 < tiles) LOAD_TILES((t + 1) * BK)
#pragma unroll
    for (int kk = 0; kk < BK; kk++) {
      float a[TM];
      float b[TN];
#pragma unroll
      for (int g = 0; g < TM / 4; g++) {
        const float4 v = *((__local const float4*) &As[buf][kk * A_STRIDE + g * TY * 4 + ty * 4]);
        a[g * 4 + 0] = v.x;
        a[g * 4 + 1] = v.y;
        a[g * 4 + 2] = v.z;
        a[g * 4 + 3] = v.w;
      }
#pragma unroll
      for (int g = 0; g < TN / 4; g++) {
        const float4 v = *((__local const float4*) &Bs[buf][kk * BN + g * TX * 4 + tx * 4]);
        b[g * 4 + 0] = v.x;
        b[g * 4 + 1] = v.y;
        b[g * 4 + 2] = v.z;
        b[g * 4 + 3] = v.w;
      }
#pragma unroll
      for (int i = 0; i < TM; i++) {
#pragma unroll
        for (int j = 0; j < TN; j++) acc[i][j] = fma(a[i], b[j], acc[i][j]);
      }
    }
    if (t + 1 < tiles) STORE_TILES(buf ^ 1)
    barrier(CLK_LOCAL_MEM_FENCE);
  }

  const bool vectorC = rowsInside && colsInside && (N & 3) == 0;
#pragma unroll
  for (int i = 0; i < TM; i++) {
    const int row = row0 + (i / 4) * TY * 4 + ty * 4 + (i % 4);
#pragma unroll
    for (int g = 0; g < TN / 4; g++) {
      const int col = col0 + g * TX * 4 + tx * 4;
      __global float* p = C + (long) row * N + col;
      if (vectorC) {
        *((__global float4*) p) = (float4)(acc[i][g * 4], acc[i][g * 4 + 1], acc[i][g * 4 + 2], acc[i][g * 4 + 3]);
      } else if (row < M) {
#pragma unroll
        for (int c = 0; c < 4; c++) {
          if (col + c < N) p[c] = acc[i][g * 4 + c];
        }
      }
    }
  }
}
