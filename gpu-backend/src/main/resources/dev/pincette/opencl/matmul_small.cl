// C = A·B for one small product held in one buffer as A (M×K), B (K×N) and C (M×N) back to back, row-major: one
// work-item per element of C, float32 fma in the order of k (the float32 bound, NaN and infinity as in the
// reference). For products whose time is all launch and transfer: one write of both operands, this launch, one read.
__kernel void matmul_small(const int M, const int N, const int K, __global float* restrict abc) {
  const int j = get_global_id(0);
  const int i = get_global_id(1);
  if (i >= M || j >= N) return;
  __global const float* a = abc + (long) i * K;
  __global const float* b = abc + (long) M * K + j;
  float sum = 0.0f;
  for (int p = 0; p < K; p++) sum = fma(a[p], b[(long) p * N], sum);
  abc[(long) M * K + (long) K * N + (long) i * N + j] = sum;
}
