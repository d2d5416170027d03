package dev.pincette.translate;

import static dev.pincette.translate.Kind.DOUBLE;
import static dev.pincette.translate.Kind.FLOAT;
import static dev.pincette.translate.Kind.INT;
import static dev.pincette.translate.Kind.LONG;

import java.util.List;

/**
 * A JDK method (or one of Pincette's {@code Atomics}) a kernel may call, with the meaning its Javadoc gives. Most are
 * exact, and every backend must compute them bit for bit as the JVM does; the transcendental ones ({@link #exact}
 * false) are within {@link #javaUlps} ulps on the JVM and within each backend's own documented bound elsewhere.
 * The {@code *_F} variants of {@code SQRT}, {@code FLOOR}, {@code CEIL} and {@code RINT} have no JDK method: the
 * translator folds {@code (float) Math.sqrt((double) x)} into them, which is exact.
 */
public enum Intrinsic {
  SQRT(0, DOUBLE, DOUBLE), SQRT_F(0, FLOAT, FLOAT), CBRT(1, DOUBLE, DOUBLE),
  EXP(1, DOUBLE, DOUBLE), EXPM1(1, DOUBLE, DOUBLE), LOG(1, DOUBLE, DOUBLE), LOG10(1, DOUBLE, DOUBLE),
  LOG1P(1, DOUBLE, DOUBLE), SIN(1, DOUBLE, DOUBLE), COS(1, DOUBLE, DOUBLE), TAN(1, DOUBLE, DOUBLE),
  ASIN(1, DOUBLE, DOUBLE), ACOS(1, DOUBLE, DOUBLE), ATAN(1, DOUBLE, DOUBLE), SINH(2.5, DOUBLE, DOUBLE),
  COSH(2.5, DOUBLE, DOUBLE), TANH(2.5, DOUBLE, DOUBLE), ATAN2(2, DOUBLE, DOUBLE, DOUBLE),
  POW(1, DOUBLE, DOUBLE, DOUBLE), HYPOT(1, DOUBLE, DOUBLE, DOUBLE),
  FLOOR(0, DOUBLE, DOUBLE), FLOOR_F(0, FLOAT, FLOAT), CEIL(0, DOUBLE, DOUBLE), CEIL_F(0, FLOAT, FLOAT),
  RINT(0, DOUBLE, DOUBLE), RINT_F(0, FLOAT, FLOAT),
  ABS_I(0, INT, INT), ABS_L(0, LONG, LONG), ABS_F(0, FLOAT, FLOAT), ABS_D(0, DOUBLE, DOUBLE),
  MIN_I(0, INT, INT, INT), MIN_L(0, LONG, LONG, LONG), MIN_F(0, FLOAT, FLOAT, FLOAT),
  MIN_D(0, DOUBLE, DOUBLE, DOUBLE), MAX_I(0, INT, INT, INT), MAX_L(0, LONG, LONG, LONG),
  MAX_F(0, FLOAT, FLOAT, FLOAT), MAX_D(0, DOUBLE, DOUBLE, DOUBLE),
  FMA_F(0, FLOAT, FLOAT, FLOAT, FLOAT), FMA_D(0, DOUBLE, DOUBLE, DOUBLE, DOUBLE),
  SIGNUM_F(0, FLOAT, FLOAT), SIGNUM_D(0, DOUBLE, DOUBLE), COPY_SIGN_F(0, FLOAT, FLOAT, FLOAT),
  COPY_SIGN_D(0, DOUBLE, DOUBLE, DOUBLE), TO_RADIANS(0, DOUBLE, DOUBLE), TO_DEGREES(0, DOUBLE, DOUBLE),
  ROUND_F(0, INT, FLOAT), ROUND_D(0, LONG, DOUBLE),
  FLOOR_DIV_I(0, INT, INT, INT), FLOOR_DIV_L(0, LONG, LONG, LONG), FLOOR_MOD_I(0, INT, INT, INT),
  FLOOR_MOD_L(0, LONG, LONG, LONG),
  FLOAT_TO_RAW_INT_BITS(0, INT, FLOAT), FLOAT_TO_INT_BITS(0, INT, FLOAT), INT_BITS_TO_FLOAT(0, FLOAT, INT),
  DOUBLE_TO_RAW_LONG_BITS(0, LONG, DOUBLE), DOUBLE_TO_LONG_BITS(0, LONG, DOUBLE),
  LONG_BITS_TO_DOUBLE(0, DOUBLE, LONG),
  IS_NAN_F(0, INT, FLOAT), IS_NAN_D(0, INT, DOUBLE), IS_INFINITE_F(0, INT, FLOAT), IS_INFINITE_D(0, INT, DOUBLE),
  IS_FINITE_F(0, INT, FLOAT), IS_FINITE_D(0, INT, DOUBLE), COMPARE_F(0, INT, FLOAT, FLOAT),
  COMPARE_D(0, INT, DOUBLE, DOUBLE), COMPARE_I(0, INT, INT, INT), COMPARE_L(0, INT, LONG, LONG),
  SIGNUM_I(0, INT, INT), SIGNUM_L(0, INT, LONG),
  BIT_COUNT_I(0, INT, INT), BIT_COUNT_L(0, INT, LONG), LEADING_ZEROS_I(0, INT, INT),
  LEADING_ZEROS_L(0, INT, LONG), TRAILING_ZEROS_I(0, INT, INT), TRAILING_ZEROS_L(0, INT, LONG),
  ROTATE_LEFT_I(0, INT, INT, INT), ROTATE_LEFT_L(0, LONG, LONG, INT), ROTATE_RIGHT_I(0, INT, INT, INT),
  ROTATE_RIGHT_L(0, LONG, LONG, INT), HIGHEST_ONE_BIT_I(0, INT, INT), HIGHEST_ONE_BIT_L(0, LONG, LONG),
  LOWEST_ONE_BIT_I(0, INT, INT), LOWEST_ONE_BIT_L(0, LONG, LONG),
  /** {@code Atomics.add(int[], int, int)}: the element's previous value. */
  ATOMIC_ADD_I(0, INT, INT),
  /** {@code Atomics.add(float[], int, float)}: the element's previous value. */
  ATOMIC_ADD_F(0, FLOAT, FLOAT),
  ATOMIC_MIN_I(0, INT, INT),
  ATOMIC_MAX_I(0, INT, INT);

  /** 0 for exact functions; else Java's documented bound in ulps of the result (of {@code Math}, not StrictMath). */
  public final double javaUlps;
  /** Whether every backend computes the JVM's result bit for bit. */
  public final boolean exact;
  public final Kind result;
  /** The kinds of the arguments; for the atomics, of the operand after the array and the index. */
  public final List<Kind> operands;

  Intrinsic(double javaUlps, Kind result, Kind... operands) {
    this.javaUlps = javaUlps;
    this.exact = javaUlps == 0;
    this.result = result;
    this.operands = List.of(operands);
  }

  /** Whether this is an atomic update of an array element (see {@link Expr.Atomic}). */
  public boolean atomic() {
    return name().startsWith("ATOMIC_");
  }

  /** Integer division functions, which throw {@link ArithmeticException} for a zero divisor (the second operand). */
  public boolean dividesIntegers() {
    return this == FLOOR_DIV_I || this == FLOOR_DIV_L || this == FLOOR_MOD_I || this == FLOOR_MOD_L;
  }
}
