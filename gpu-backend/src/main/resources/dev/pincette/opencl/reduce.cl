// Reductions in two stages: each work-group reduces a strided share of the input to one partial, then one
// work-group reduces the partials. Work-group sizes are powers of two.
//
// Sums accumulate in double where the device has cl_khr_fp64 (USE_FP64), else as a float pair (hi, lo) carrying each
// addition's rounding error (Knuth's TwoSum), which keeps sum and dot within the 1e-6·Σ|terms| contract either way.
// Min and max follow Java's Math.min/max: NaN if any NaN, and -0.0 below +0.0 (OpenCL's fmin/fmax ignore NaN).

// The TwoSum error terms are only exact if the compiler does not fuse a*b+c.
#pragma OPENCL FP_CONTRACT OFF

#ifdef USE_FP64
#pragma OPENCL EXTENSION cl_khr_fp64 : enable
typedef double acc_t;
inline acc_t acc_zero(void) { return 0.0; }
inline acc_t acc_add(acc_t s, float v) { return s + (double) v; }
// A product of two floats is exact in double.
inline acc_t acc_add_product(acc_t s, float x, float y) { return s + (double) x * (double) y; }
inline acc_t acc_merge(acc_t a, acc_t b) { return a + b; }
// Pairs of floats add exactly in double (short of exponents 29 apart), so one dependent add per four elements.
inline acc_t acc_add4(acc_t s, float4 v) {
  return s + (((double) v.x + (double) v.y) + ((double) v.z + (double) v.w));
}
#else
typedef float2 acc_t;
inline acc_t acc_zero(void) { return (float2)(0.0f, 0.0f); }
inline float2 two_sum(float a, float b) {
  float s = a + b;
  float bb = s - a;
  return (float2)(s, (a - (s - bb)) + (b - bb));
}
inline acc_t acc_add(acc_t s, float v) {
  float2 t = two_sum(s.x, v);
  return (float2)(t.x, s.y + t.y);
}
inline acc_t acc_add_product(acc_t s, float x, float y) {
  float p = x * y;
  acc_t t = acc_add(s, p);
  t.y += fma(x, y, -p);
  return t;
}
inline acc_t acc_merge(acc_t a, acc_t b) {
  float2 t = two_sum(a.x, b.x);
  return (float2)(t.x, a.y + b.y + t.y);
}
inline acc_t acc_add4(acc_t s, float4 v) {
  return acc_add(acc_add(acc_add(acc_add(s, v.x), v.y), v.z), v.w);
}
#endif

// Tree reduction of scratch[0 .. local size) into scratch[0]; every work-item must call it.
#define TREE(scratch, merge)                                                \
  barrier(CLK_LOCAL_MEM_FENCE);                                             \
  for (uint width = get_local_size(0) / 2; width > 0; width >>= 1) {          \
    if (lid < width) scratch[lid] = merge(scratch[lid], scratch[lid + width]); \
    barrier(CLK_LOCAL_MEM_FENCE);                                           \
  }

// Loads in flight per work-item and loop step: a GPU warp issues its next load only after the adds that wait for the
// current one, so two loads per step double the bytes in flight.
#ifndef SUM_LOADS
#define SUM_LOADS 2
#endif

__kernel void sum_partials(__global const float* x, const long n, __global acc_t* partials,
                           __local acc_t* scratch) {
  const uint lid = get_local_id(0);
  const long stride = get_global_size(0);
  const long n4 = n / 4;
  __global const float4* x4 = (__global const float4*) x;
  acc_t s = acc_zero();
  long i = get_global_id(0);
#if SUM_LOADS == 2
  for (; i + stride < n4; i += 2 * stride) {
    float4 a = x4[i];
    float4 b = x4[i + stride];
    s = acc_add4(s, a);
    s = acc_add4(s, b);
  }
#endif
  for (; i < n4; i += stride) s = acc_add4(s, x4[i]);
  for (long j = n4 * 4 + get_global_id(0); j < n; j += stride) s = acc_add(s, x[j]);
  scratch[lid] = s;
  TREE(scratch, acc_merge)
  if (lid == 0) partials[get_group_id(0)] = scratch[0];
}

__kernel void dot_partials(__global const float* x, __global const float* y, const long n,
                           __global acc_t* partials, __local acc_t* scratch) {
  const uint lid = get_local_id(0);
  const long stride = get_global_size(0);
  __global const float4* x4 = (__global const float4*) x;
  __global const float4* y4 = (__global const float4*) y;
  acc_t s = acc_zero();
  for (long i = get_global_id(0); i < n / 4; i += stride) {
    float4 a = x4[i];
    float4 b = y4[i];
    s = acc_add_product(s, a.x, b.x);
    s = acc_add_product(s, a.y, b.y);
    s = acc_add_product(s, a.z, b.z);
    s = acc_add_product(s, a.w, b.w);
  }
  for (long i = n / 4 * 4 + get_global_id(0); i < n; i += stride) s = acc_add_product(s, x[i], y[i]);
  scratch[lid] = s;
  TREE(scratch, acc_merge)
  if (lid == 0) partials[get_group_id(0)] = scratch[0];
}

__kernel void sum_final(__global const acc_t* partials, const int count, __global acc_t* out,
                        __local acc_t* scratch) {
  const uint lid = get_local_id(0);
  acc_t s = acc_zero();
  for (int i = lid; i < count; i += get_local_size(0)) s = acc_merge(s, partials[i]);
  scratch[lid] = s;
  TREE(scratch, acc_merge)
  if (lid == 0) out[0] = scratch[0];
}

inline float java_min(float a, float b) {
  if (isnan(a) || isnan(b)) return NAN;
  if (a != b) return a < b ? a : b;
  return signbit(a) ? a : b;
}

inline float java_max(float a, float b) {
  if (isnan(a) || isnan(b)) return NAN;
  if (a != b) return a > b ? a : b;
  return signbit(a) ? b : a;
}

#define EXTREME_KERNELS(NAME, OP, START)                                                          \
__kernel void NAME##_partials(__global const float* x, const long n, __global float* partials,    \
                              __local float* scratch) {                                          \
  const uint lid = get_local_id(0);                                                               \
  float m = START;                                                                                \
  for (long i = get_global_id(0); i < n; i += get_global_size(0)) m = OP(m, x[i]);               \
  scratch[lid] = m;                                                                               \
  TREE(scratch, OP)                                                                               \
  if (lid == 0) partials[get_group_id(0)] = scratch[0];                                           \
}                                                                                                 \
__kernel void NAME##_final(__global const float* partials, const int count, __global float* out,  \
                           __local float* scratch) {                                             \
  const uint lid = get_local_id(0);                                                               \
  float m = START;                                                                                \
  for (int i = lid; i < count; i += get_local_size(0)) m = OP(m, partials[i]);                   \
  scratch[lid] = m;                                                                               \
  TREE(scratch, OP)                                                                               \
  if (lid == 0) out[0] = scratch[0];                                                              \
}

EXTREME_KERNELS(min, java_min, INFINITY)
EXTREME_KERNELS(max, java_max, -INFINITY)

// Whether (v, i) beats the best so far (bv, bi): the first NaN wins, then the extreme value, then the lower index.
// The order of merging does not matter, so partials may be combined in any tree.
#define BEATS(v, i, bv, bi, LESS) \
  ((isnan(v) || isnan(bv)) ? (isnan(v) && (!isnan(bv) || (i) < (bi))) : ((v) == (bv) ? (i) < (bi) : LESS(v, bv)))
#define IS_LESS(a, b) ((a) < (b))
#define IS_GREATER(a, b) ((a) > (b))

// Tree reduction of the (value, index) pairs (bv, bi) of a work-group into sv[0], si[0].
#define ARG_TREE(LESS)                                                                              \
  sv[lid] = bv;                                                                                     \
  si[lid] = bi;                                                                                     \
  barrier(CLK_LOCAL_MEM_FENCE);                                                                     \
  for (uint width = get_local_size(0) / 2; width > 0; width >>= 1) {                                  \
    if (lid < width && BEATS(sv[lid + width], si[lid + width], sv[lid], si[lid], LESS)) {             \
      sv[lid] = sv[lid + width];                                                                     \
      si[lid] = si[lid + width];                                                                     \
    }                                                                                               \
    barrier(CLK_LOCAL_MEM_FENCE);                                                                   \
  }

// The index sentinel INT_MAX loses to every real element, so empty work-items need no special case.
#define ARG_KERNELS(NAME, LESS, START)                                                              \
__kernel void NAME##_partials(__global const float* x, const long n, __global float* values,       \
                              __global int* indices, __local float* sv, __local int* si) {         \
  const uint lid = get_local_id(0);                                                                 \
  float bv = START;                                                                                 \
  int bi = INT_MAX;                                                                                 \
  for (long i = get_global_id(0); i < n; i += get_global_size(0)) {                                \
    float v = x[i];                                                                                 \
    if (BEATS(v, (int) i, bv, bi, LESS)) { bv = v; bi = (int) i; }                                 \
  }                                                                                                 \
  ARG_TREE(LESS)                                                                                    \
  if (lid == 0) {                                                                                   \
    values[get_group_id(0)] = sv[0];                                                                \
    indices[get_group_id(0)] = si[0];                                                               \
  }                                                                                                 \
}                                                                                                   \
__kernel void NAME##_final(__global const float* values, __global const int* indices,              \
                           const int count, __global int* out, __local float* sv, __local int* si) { \
  const uint lid = get_local_id(0);                                                                 \
  float bv = START;                                                                                 \
  int bi = INT_MAX;                                                                                 \
  for (int i = lid; i < count; i += get_local_size(0)) {                                           \
    if (BEATS(values[i], indices[i], bv, bi, LESS)) { bv = values[i]; bi = indices[i]; }           \
  }                                                                                                 \
  ARG_TREE(LESS)                                                                                    \
  if (lid == 0) out[0] = si[0];                                                                     \
}

ARG_KERNELS(argmin, IS_LESS, INFINITY)
ARG_KERNELS(argmax, IS_GREATER, -INFINITY)
