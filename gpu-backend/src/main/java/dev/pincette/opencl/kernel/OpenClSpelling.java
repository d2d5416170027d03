package dev.pincette.opencl.kernel;

import dev.pincette.translate.Intrinsic;
import dev.pincette.translate.Kind;
import dev.pincette.translate.Op;
import dev.pincette.translate.Value;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;

/**
 * How each operation of the model is spelled in OpenCL C so that it computes what Java computes: integer arithmetic
 * through unsigned types (signed overflow is undefined in C, it wraps in Java), shift distances masked, conversions
 * that saturate and map NaN to 0, Java's {@code Math.min} with its NaN and signed-zero rules. Each entry is a format
 * over the operands ({@code %1$s}, {@code %2$s}, ...); operands are variables or constants, so repeating one is free.
 */
final class OpenClSpelling {
  private OpenClSpelling() {}

  static final Map<Op, String> OPS = new EnumMap<>(Op.class);
  static final Map<Intrinsic, String> CALLS = new EnumMap<>(Intrinsic.class);

  static {
    for (String[] t : new String[][] {{"I", "int", "uint", "31"}, {"L", "long", "ulong", "63"}}) {
      String s = t[1];
      String u = t[2];
      OPS.put(Op.valueOf("ADD_" + t[0]), "as_" + s + "(as_" + u + "(%1$s) + as_" + u + "(%2$s))");
      OPS.put(Op.valueOf("SUB_" + t[0]), "as_" + s + "(as_" + u + "(%1$s) - as_" + u + "(%2$s))");
      OPS.put(Op.valueOf("MUL_" + t[0]), "as_" + s + "(as_" + u + "(%1$s) * as_" + u + "(%2$s))");
      OPS.put(Op.valueOf("DIV_" + t[0]), "pincette_div_" + t[0].toLowerCase(Locale.ROOT) + "(%1$s, %2$s)");
      OPS.put(Op.valueOf("REM_" + t[0]), "pincette_rem_" + t[0].toLowerCase(Locale.ROOT) + "(%1$s, %2$s)");
      OPS.put(Op.valueOf("NEG_" + t[0]), "as_" + s + "((" + u + ")0 - as_" + u + "(%1$s))");
      OPS.put(Op.valueOf("SHL_" + t[0]), "as_" + s + "(as_" + u + "(%1$s) << (%2$s & " + t[3] + "))");
      OPS.put(Op.valueOf("SHR_" + t[0]), "(%1$s >> (%2$s & " + t[3] + "))");
      OPS.put(Op.valueOf("USHR_" + t[0]), "as_" + s + "(as_" + u + "(%1$s) >> (%2$s & " + t[3] + "))");
      OPS.put(Op.valueOf("AND_" + t[0]), "(%1$s & %2$s)");
      OPS.put(Op.valueOf("OR_" + t[0]), "(%1$s | %2$s)");
      OPS.put(Op.valueOf("XOR_" + t[0]), "(%1$s ^ %2$s)");
    }
    for (String t : new String[] {"F", "D"}) {
      OPS.put(Op.valueOf("ADD_" + t), "(%1$s + %2$s)");
      OPS.put(Op.valueOf("SUB_" + t), "(%1$s - %2$s)");
      OPS.put(Op.valueOf("MUL_" + t), "(%1$s * %2$s)");
      OPS.put(Op.valueOf("DIV_" + t), "(%1$s / %2$s)");
      OPS.put(Op.valueOf("REM_" + t), "fmod(%1$s, %2$s)");
      OPS.put(Op.valueOf("NEG_" + t), "(-%1$s)");
      OPS.put(Op.valueOf("CMPL_" + t), "((%1$s != %1$s || %2$s != %2$s) ? -1 : (%1$s > %2$s) - (%1$s < %2$s))");
      OPS.put(Op.valueOf("CMPG_" + t), "((%1$s != %1$s || %2$s != %2$s) ? 1 : (%1$s > %2$s) - (%1$s < %2$s))");
    }
    OPS.put(Op.CMP_L, "((%1$s > %2$s) - (%1$s < %2$s))");
    OPS.put(Op.I2L, "((long) %1$s)");
    OPS.put(Op.I2F, "convert_float_rte(%1$s)");
    OPS.put(Op.I2D, "((double) %1$s)");
    OPS.put(Op.L2I, "as_int((uint) %1$s)");
    OPS.put(Op.L2F, "convert_float_rte(%1$s)");
    OPS.put(Op.L2D, "convert_double_rte(%1$s)");
    OPS.put(Op.F2I, "pincette_f2i(%1$s)");
    OPS.put(Op.F2L, "pincette_f2l(%1$s)");
    OPS.put(Op.F2D, "((double) %1$s)");
    OPS.put(Op.D2I, "pincette_d2i(%1$s)");
    OPS.put(Op.D2L, "pincette_d2l(%1$s)");
    OPS.put(Op.D2F, "convert_float_rte(%1$s)");
    OPS.put(Op.I2B, "(as_int(as_uint(%1$s) << 24) >> 24)");
    OPS.put(Op.I2S, "(as_int(as_uint(%1$s) << 16) >> 16)");
    OPS.put(Op.I2C, "(%1$s & 0xFFFF)");

    for (Intrinsic f : new Intrinsic[] {Intrinsic.SQRT, Intrinsic.CBRT, Intrinsic.LOG, Intrinsic.LOG10, Intrinsic.LOG1P,
        Intrinsic.SIN, Intrinsic.COS, Intrinsic.TAN, Intrinsic.ASIN, Intrinsic.ACOS, Intrinsic.ATAN, Intrinsic.COSH}) {
      CALLS.put(f, f.name().toLowerCase(Locale.ROOT) + "(%1$s)");
    }
    // Through guards: PoCL 3.1 folds these builtins of constant NaNs (rint also of infinities and huge values) into
    // poison, which lets the optimizer delete whole paths of a kernel; the guards hand such values back unchanged,
    // which is the right result, and cost a compare elsewhere.
    for (Intrinsic f : new Intrinsic[] {Intrinsic.EXP, Intrinsic.EXPM1, Intrinsic.SINH, Intrinsic.TANH,
        Intrinsic.FLOOR, Intrinsic.CEIL, Intrinsic.RINT}) {
      CALLS.put(f, "pincette_" + f.name().toLowerCase(Locale.ROOT) + "_d(%1$s)");
    }
    CALLS.put(Intrinsic.SQRT_F, "sqrt(%1$s)");
    CALLS.put(Intrinsic.FLOOR_F, "pincette_floor_f(%1$s)");
    CALLS.put(Intrinsic.CEIL_F, "pincette_ceil_f(%1$s)");
    CALLS.put(Intrinsic.RINT_F, "pincette_rint_f(%1$s)");
    CALLS.put(Intrinsic.ATAN2, "atan2(%1$s, %2$s)");
    CALLS.put(Intrinsic.HYPOT, "hypot(%1$s, %2$s)");
    CALLS.put(Intrinsic.POW, "pincette_pow(%1$s, %2$s)");
    CALLS.put(Intrinsic.ABS_I, "(%1$s < 0 ? as_int(0u - as_uint(%1$s)) : %1$s)");
    CALLS.put(Intrinsic.ABS_L, "(%1$s < 0 ? as_long(0ul - as_ulong(%1$s)) : %1$s)");
    CALLS.put(Intrinsic.ABS_F, "as_float(as_uint(%1$s) & 0x7fffffffu)");
    CALLS.put(Intrinsic.ABS_D, "as_double(as_ulong(%1$s) & 0x7fffffffffffffffUL)");
    CALLS.put(Intrinsic.MIN_I, "min(%1$s, %2$s)");
    CALLS.put(Intrinsic.MIN_L, "min(%1$s, %2$s)");
    CALLS.put(Intrinsic.MAX_I, "max(%1$s, %2$s)");
    CALLS.put(Intrinsic.MAX_L, "max(%1$s, %2$s)");
    CALLS.put(Intrinsic.MIN_F, "pincette_min_f(%1$s, %2$s)");
    CALLS.put(Intrinsic.MAX_F, "pincette_max_f(%1$s, %2$s)");
    CALLS.put(Intrinsic.MIN_D, "pincette_min_d(%1$s, %2$s)");
    CALLS.put(Intrinsic.MAX_D, "pincette_max_d(%1$s, %2$s)");
    CALLS.put(Intrinsic.FMA_F, "fma(%1$s, %2$s, %3$s)");
    CALLS.put(Intrinsic.FMA_D, "fma(%1$s, %2$s, %3$s)");
    CALLS.put(Intrinsic.SIGNUM_F, "((%1$s == 0.0f || %1$s != %1$s) ? %1$s : copysign(1.0f, %1$s))");
    CALLS.put(Intrinsic.SIGNUM_D, "((%1$s == 0.0 || %1$s != %1$s) ? %1$s : copysign(1.0, %1$s))");
    CALLS.put(Intrinsic.COPY_SIGN_F, "copysign(%1$s, %2$s)");
    CALLS.put(Intrinsic.COPY_SIGN_D, "copysign(%1$s, %2$s)");
    // Math.toRadians and toDegrees multiply by a constant (JDK 9 and later): the same product, bit for bit.
    CALLS.put(Intrinsic.TO_RADIANS, "(%1$s * " + Double.toHexString(0.017453292519943295) + ")");
    CALLS.put(Intrinsic.TO_DEGREES, "(%1$s * " + Double.toHexString(57.29577951308232) + ")");
    CALLS.put(Intrinsic.ROUND_F, "pincette_round_f(%1$s)");
    CALLS.put(Intrinsic.ROUND_D, "pincette_round_d(%1$s)");
    CALLS.put(Intrinsic.FLOOR_DIV_I, "pincette_floordiv_i(%1$s, %2$s)");
    CALLS.put(Intrinsic.FLOOR_DIV_L, "pincette_floordiv_l(%1$s, %2$s)");
    CALLS.put(Intrinsic.FLOOR_MOD_I, "pincette_floormod_i(%1$s, %2$s)");
    CALLS.put(Intrinsic.FLOOR_MOD_L, "pincette_floormod_l(%1$s, %2$s)");
    CALLS.put(Intrinsic.FLOAT_TO_RAW_INT_BITS, "as_int(%1$s)");
    CALLS.put(Intrinsic.FLOAT_TO_INT_BITS, "(%1$s != %1$s ? 0x7fc00000 : as_int(%1$s))");
    CALLS.put(Intrinsic.INT_BITS_TO_FLOAT, "as_float(%1$s)");
    CALLS.put(Intrinsic.DOUBLE_TO_RAW_LONG_BITS, "as_long(%1$s)");
    CALLS.put(Intrinsic.DOUBLE_TO_LONG_BITS, "(%1$s != %1$s ? 0x7ff8000000000000L : as_long(%1$s))");
    CALLS.put(Intrinsic.LONG_BITS_TO_DOUBLE, "as_double(%1$s)");
    CALLS.put(Intrinsic.IS_NAN_F, "(%1$s != %1$s)");
    CALLS.put(Intrinsic.IS_NAN_D, "(%1$s != %1$s)");
    CALLS.put(Intrinsic.IS_INFINITE_F, "(fabs(%1$s) == INFINITY)");
    CALLS.put(Intrinsic.IS_INFINITE_D, "(fabs(%1$s) == (double) INFINITY)");
    CALLS.put(Intrinsic.IS_FINITE_F, "(fabs(%1$s) <= FLT_MAX)");
    CALLS.put(Intrinsic.IS_FINITE_D, "(fabs(%1$s) <= DBL_MAX)");
    CALLS.put(Intrinsic.COMPARE_F, "pincette_compare_f(%1$s, %2$s)");
    CALLS.put(Intrinsic.COMPARE_D, "pincette_compare_d(%1$s, %2$s)");
    CALLS.put(Intrinsic.COMPARE_I, "((%1$s > %2$s) - (%1$s < %2$s))");
    CALLS.put(Intrinsic.COMPARE_L, "((%1$s > %2$s) - (%1$s < %2$s))");
    CALLS.put(Intrinsic.SIGNUM_I, "((%1$s > 0) - (%1$s < 0))");
    CALLS.put(Intrinsic.SIGNUM_L, "((%1$s > 0) - (%1$s < 0))");
    CALLS.put(Intrinsic.BIT_COUNT_I, "popcount(%1$s)");
    CALLS.put(Intrinsic.BIT_COUNT_L, "((int) popcount(%1$s))");
    CALLS.put(Intrinsic.LEADING_ZEROS_I, "clz(%1$s)");
    CALLS.put(Intrinsic.LEADING_ZEROS_L, "((int) clz(%1$s))");
    CALLS.put(Intrinsic.TRAILING_ZEROS_I, "(%1$s == 0 ? 32 : popcount(as_int((as_uint(%1$s) & (0u - as_uint(%1$s)))"
        + " - 1u)))");
    CALLS.put(Intrinsic.TRAILING_ZEROS_L, "(%1$s == 0 ? 64 : (int) popcount(as_long((as_ulong(%1$s) & (0ul - "
        + "as_ulong(%1$s))) - 1ul)))");
    CALLS.put(Intrinsic.ROTATE_LEFT_I, "as_int(rotate(as_uint(%1$s), (uint) (%2$s & 31)))");
    CALLS.put(Intrinsic.ROTATE_LEFT_L, "as_long(rotate(as_ulong(%1$s), (ulong) (%2$s & 63)))");
    CALLS.put(Intrinsic.ROTATE_RIGHT_I, "as_int(rotate(as_uint(%1$s), (uint) ((32 - (%2$s & 31)) & 31)))");
    CALLS.put(Intrinsic.ROTATE_RIGHT_L, "as_long(rotate(as_ulong(%1$s), (ulong) ((64 - (%2$s & 63)) & 63)))");
    CALLS.put(Intrinsic.HIGHEST_ONE_BIT_I, "(%1$s == 0 ? 0 : as_int(0x80000000u >> clz(%1$s)))");
    CALLS.put(Intrinsic.HIGHEST_ONE_BIT_L, "(%1$s == 0 ? 0L : as_long(0x8000000000000000UL >> clz(%1$s)))");
    CALLS.put(Intrinsic.LOWEST_ONE_BIT_I, "as_int(as_uint(%1$s) & (0u - as_uint(%1$s)))");
    CALLS.put(Intrinsic.LOWEST_ONE_BIT_L, "as_long(as_ulong(%1$s) & (0ul - as_ulong(%1$s)))");
    CALLS.put(Intrinsic.ATOMIC_ADD_I, "atomic_add(&%1$s[%2$s], %3$s)");
    CALLS.put(Intrinsic.ATOMIC_MIN_I, "atomic_min(&%1$s[%2$s], %3$s)");
    CALLS.put(Intrinsic.ATOMIC_MAX_I, "atomic_max(&%1$s[%2$s], %3$s)");
    CALLS.put(Intrinsic.ATOMIC_ADD_F, "pincette_atomic_add_f(&%1$s[%2$s], %3$s)");
  }

  /**
   * The bounds the OpenCL 1.2 specification (section 7.4) gives double-precision functions, in ulps; 0 where it
   * requires the correctly rounded result. {@code docs/kernels.md} lists them beside Java's.
   */
  static final Map<Intrinsic, Double> OPENCL_ULPS = Map.ofEntries(Map.entry(Intrinsic.SQRT, 0.0),
      Map.entry(Intrinsic.CBRT, 2.0), Map.entry(Intrinsic.EXP, 3.0), Map.entry(Intrinsic.EXPM1, 3.0),
      Map.entry(Intrinsic.LOG, 3.0), Map.entry(Intrinsic.LOG10, 3.0), Map.entry(Intrinsic.LOG1P, 2.0),
      Map.entry(Intrinsic.SIN, 4.0), Map.entry(Intrinsic.COS, 4.0), Map.entry(Intrinsic.TAN, 5.0),
      Map.entry(Intrinsic.ASIN, 4.0), Map.entry(Intrinsic.ACOS, 4.0), Map.entry(Intrinsic.ATAN, 5.0),
      Map.entry(Intrinsic.SINH, 4.0), Map.entry(Intrinsic.COSH, 4.0), Map.entry(Intrinsic.TANH, 5.0),
      Map.entry(Intrinsic.ATAN2, 6.0), Map.entry(Intrinsic.POW, 16.0), Map.entry(Intrinsic.HYPOT, 4.0));

  /** Helpers every kernel may call, written once in its preamble. */
  static final String HELPERS = """
      static inline int pincette_div_i(int a, int b) { return b == -1 ? as_int(0u - as_uint(a)) : a / b; }
      static inline int pincette_rem_i(int a, int b) { return b == -1 ? 0 : a % b; }
      static inline long pincette_div_l(long a, long b) { return b == -1 ? as_long(0ul - as_ulong(a)) : a / b; }
      static inline long pincette_rem_l(long a, long b) { return b == -1 ? 0 : a % b; }
      static inline int pincette_f2i(float a) { return a != a ? 0 : convert_int_sat_rtz(a); }
      static inline long pincette_f2l(float a) { return a != a ? 0 : convert_long_sat_rtz(a); }
      static inline float pincette_min_f(float a, float b) {
        if (a != a) return a;
        if (a == 0.0f && b == 0.0f && as_uint(b) == 0x80000000u) return b;
        return a <= b ? a : b;
      }
      static inline float pincette_max_f(float a, float b) {
        if (a != a) return a;
        if (a == 0.0f && b == 0.0f && as_uint(a) == 0x80000000u) return b;
        return a >= b ? a : b;
      }
      static inline float pincette_floor_f(float a) { return fabs(a) < 0x1p23f ? floor(a) : a; }
      static inline float pincette_ceil_f(float a) { return fabs(a) < 0x1p23f ? ceil(a) : a; }
      static inline float pincette_rint_f(float a) { return fabs(a) < 0x1p23f ? rint(a) : a; }
      static inline int pincette_round_f(float a) {
        float f = pincette_floor_f(a);
        return pincette_f2i(f) + (a - f >= 0.5f ? 1 : 0);
      }
      static inline int pincette_floordiv_i(int x, int y) {
        int q = pincette_div_i(x, y);
        return ((x ^ y) < 0 && as_int(as_uint(q) * as_uint(y)) != x) ? q - 1 : q;
      }
      static inline long pincette_floordiv_l(long x, long y) {
        long q = pincette_div_l(x, y);
        return ((x ^ y) < 0 && as_long(as_ulong(q) * as_ulong(y)) != x) ? q - 1 : q;
      }
      static inline int pincette_floormod_i(int x, int y) {
        int m = pincette_rem_i(x, y);
        return ((m ^ y) < 0 && m != 0) ? as_int(as_uint(m) + as_uint(y)) : m;
      }
      static inline long pincette_floormod_l(long x, long y) {
        long m = pincette_rem_l(x, y);
        return ((m ^ y) < 0 && m != 0) ? as_long(as_ulong(m) + as_ulong(y)) : m;
      }
      static inline int pincette_compare_f(float a, float b) {
        if (a < b) return -1;
        if (a > b) return 1;
        int x = a != a ? 0x7fc00000 : as_int(a);
        int y = b != b ? 0x7fc00000 : as_int(b);
        return x == y ? 0 : (x < y ? -1 : 1);
      }
      static inline float pincette_atomic_add_f(volatile __global float* p, float v) {
        uint seen = as_uint(*p);
        uint before;
        do {
          before = seen;
          seen = atomic_cmpxchg((volatile __global uint*) p, before, as_uint(as_float(before) + v));
        } while (seen != before);
        return as_float(before);
      }
      static void pincette_fail(__global int* err, int kind, int site, int param, int index, int item) {
        if (atomic_cmpxchg(err, 0, kind) == 0) {
          err[1] = site;
          err[2] = param;
          err[3] = index;
          err[4] = item;
        }
      }
      """;

  /** Helpers over doubles, written only into kernels that use doubles (they need cl_khr_fp64). */
  static final String DOUBLE_HELPERS = """
      static inline int pincette_d2i(double a) { return a != a ? 0 : convert_int_sat_rtz(a); }
      static inline long pincette_d2l(double a) { return a != a ? 0 : convert_long_sat_rtz(a); }
      static inline double pincette_min_d(double a, double b) {
        if (a != a) return a;
        if (a == 0.0 && b == 0.0 && as_ulong(b) == 0x8000000000000000UL) return b;
        return a <= b ? a : b;
      }
      static inline double pincette_max_d(double a, double b) {
        if (a != a) return a;
        if (a == 0.0 && b == 0.0 && as_ulong(a) == 0x8000000000000000UL) return b;
        return a >= b ? a : b;
      }
      static inline double pincette_floor_d(double a) { return fabs(a) < 0x1p52 ? floor(a) : a; }
      static inline double pincette_ceil_d(double a) { return fabs(a) < 0x1p52 ? ceil(a) : a; }
      static inline double pincette_rint_d(double a) { return fabs(a) < 0x1p52 ? rint(a) : a; }
      static inline double pincette_exp_d(double a) { return a != a ? a : exp(a); }
      static inline double pincette_expm1_d(double a) { return a != a ? a : expm1(a); }
      static inline double pincette_sinh_d(double a) { return a != a ? a : sinh(a); }
      static inline double pincette_tanh_d(double a) { return a != a ? a : tanh(a); }
      static inline long pincette_round_d(double a) {
        double f = pincette_floor_d(a);
        return pincette_d2l(f) + (a - f >= 0.5 ? 1 : 0);
      }
      static inline int pincette_compare_d(double a, double b) {
        if (a < b) return -1;
        if (a > b) return 1;
        long x = a != a ? 0x7ff8000000000000L : as_long(a);
        long y = b != b ? 0x7ff8000000000000L : as_long(b);
        return x == y ? 0 : (x < y ? -1 : 1);
      }
      static inline double pincette_pow(double x, double y) {
        if (y != y) return y;
        if (fabs(x) == 1.0 && fabs(y) == (double) INFINITY) return as_double(0x7ff8000000000000L);
        return pow(x, y);
      }
      """;

  static String type(Kind kind) {
    return switch (kind) {
      case INT -> "int";
      case LONG -> "long";
      case FLOAT -> "float";
      case DOUBLE -> "double";
    };
  }

  /** A constant, exactly: hexadecimal floating-point literals, and NaNs by their bits. */
  static String constant(Value.Const c) {
    return switch (c.kind()) {
      case INT -> c.intValue() == Integer.MIN_VALUE ? "(-2147483647 - 1)" : Integer.toString(c.intValue());
      case LONG -> c.longValue() == Long.MIN_VALUE ? "(-9223372036854775807L - 1L)" : c.longValue() + "L";
      case FLOAT -> {
        float f = c.floatValue();
        if (Float.isNaN(f)) yield String.format(Locale.ROOT, "as_float(0x%08xu)", (int) c.bits());
        if (Float.isInfinite(f)) yield f > 0 ? "INFINITY" : "(-INFINITY)";
        yield Float.toHexString(f) + "f";
      }
      case DOUBLE -> {
        double d = c.doubleValue();
        if (Double.isNaN(d)) yield String.format(Locale.ROOT, "as_double(0x%016xUL)", c.bits());
        if (Double.isInfinite(d)) yield d > 0 ? "((double) INFINITY)" : "((double) -INFINITY)";
        yield Double.toHexString(d);
      }
    };
  }
}
