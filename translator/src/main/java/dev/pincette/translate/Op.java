package dev.pincette.translate;

import static dev.pincette.translate.Kind.DOUBLE;
import static dev.pincette.translate.Kind.FLOAT;
import static dev.pincette.translate.Kind.INT;
import static dev.pincette.translate.Kind.LONG;

import java.util.List;

/**
 * The JVM's arithmetic, comparison and conversion instructions, each with Java's meaning: integer arithmetic wraps,
 * shift distances are masked, integer division truncates ({@code MIN_VALUE / -1 == MIN_VALUE}, division by zero
 * throws), {@code CMPL}/{@code CMPG} give -1/+1 for NaN, float-to-integer conversions truncate, saturate and map NaN
 * to 0, and {@code I2B}/{@code I2S}/{@code I2C} narrow to byte, short and char.
 */
public enum Op {
  ADD_I(INT, INT, INT), ADD_L(LONG, LONG, LONG), ADD_F(FLOAT, FLOAT, FLOAT), ADD_D(DOUBLE, DOUBLE, DOUBLE),
  SUB_I(INT, INT, INT), SUB_L(LONG, LONG, LONG), SUB_F(FLOAT, FLOAT, FLOAT), SUB_D(DOUBLE, DOUBLE, DOUBLE),
  MUL_I(INT, INT, INT), MUL_L(LONG, LONG, LONG), MUL_F(FLOAT, FLOAT, FLOAT), MUL_D(DOUBLE, DOUBLE, DOUBLE),
  DIV_I(INT, INT, INT), DIV_L(LONG, LONG, LONG), DIV_F(FLOAT, FLOAT, FLOAT), DIV_D(DOUBLE, DOUBLE, DOUBLE),
  REM_I(INT, INT, INT), REM_L(LONG, LONG, LONG), REM_F(FLOAT, FLOAT, FLOAT), REM_D(DOUBLE, DOUBLE, DOUBLE),
  NEG_I(INT, INT), NEG_L(LONG, LONG), NEG_F(FLOAT, FLOAT), NEG_D(DOUBLE, DOUBLE),
  SHL_I(INT, INT, INT), SHR_I(INT, INT, INT), USHR_I(INT, INT, INT),
  SHL_L(LONG, LONG, INT), SHR_L(LONG, LONG, INT), USHR_L(LONG, LONG, INT),
  AND_I(INT, INT, INT), OR_I(INT, INT, INT), XOR_I(INT, INT, INT),
  AND_L(LONG, LONG, LONG), OR_L(LONG, LONG, LONG), XOR_L(LONG, LONG, LONG),
  CMP_L(INT, LONG, LONG), CMPL_F(INT, FLOAT, FLOAT), CMPG_F(INT, FLOAT, FLOAT),
  CMPL_D(INT, DOUBLE, DOUBLE), CMPG_D(INT, DOUBLE, DOUBLE),
  I2L(LONG, INT), I2F(FLOAT, INT), I2D(DOUBLE, INT),
  L2I(INT, LONG), L2F(FLOAT, LONG), L2D(DOUBLE, LONG),
  F2I(INT, FLOAT), F2L(LONG, FLOAT), F2D(DOUBLE, FLOAT),
  D2I(INT, DOUBLE), D2L(LONG, DOUBLE), D2F(FLOAT, DOUBLE),
  I2B(INT, INT), I2C(INT, INT), I2S(INT, INT);

  /** The kind of the result. */
  public final Kind result;
  /** The kinds of the operands, in order. */
  public final List<Kind> operands;

  Op(Kind result, Kind... operands) {
    this.result = result;
    this.operands = List.of(operands);
  }

  /** Integer division and remainder, which throw {@link ArithmeticException} for a zero divisor. */
  public boolean dividesIntegers() {
    return this == DIV_I || this == REM_I || this == DIV_L || this == REM_L;
  }
}
