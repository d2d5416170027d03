package dev.pincette.translate;

/** An operand of the model: a variable or a constant. */
public sealed interface Value {
  Kind kind();

  /**
   * A variable of the kernel: a parameter, a local of one inlined method, an operand-stack slot at a block boundary, or
   * a temporary holding one instruction's result (assigned once in the code, though perhaps many times in a loop).
   *
   * @param id unique within the kernel; renderers name it from this
   */
  record Var(int id, Kind kind) implements Value {}

  /**
   * A constant. Floating-point constants keep their exact bits, NaN payloads and negative zero included.
   *
   * @param bits the value of an int or long; {@link Float#floatToRawIntBits} or {@link Double#doubleToRawLongBits}
   *     of a float or double
   */
  record Const(Kind kind, long bits) implements Value {
    public static Const ofInt(int value) {
      return new Const(Kind.INT, value);
    }

    public static Const ofLong(long value) {
      return new Const(Kind.LONG, value);
    }

    public static Const ofFloat(float value) {
      return new Const(Kind.FLOAT, Float.floatToRawIntBits(value));
    }

    public static Const ofDouble(double value) {
      return new Const(Kind.DOUBLE, Double.doubleToRawLongBits(value));
    }

    public int intValue() {
      return (int) bits;
    }

    public long longValue() {
      return bits;
    }

    public float floatValue() {
      return Float.intBitsToFloat((int) bits);
    }

    public double doubleValue() {
      return Double.longBitsToDouble(bits);
    }
  }
}
