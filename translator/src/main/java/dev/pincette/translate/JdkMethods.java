package dev.pincette.translate;

import java.util.HashMap;
import java.util.Map;

/**
 * The JDK static methods (and {@code dev.pincette.Atomics}) a kernel may call, each mapped to an {@link Intrinsic} or,
 * where the method is plain arithmetic ({@code Float.sum}), to an {@link Op}.
 */
final class JdkMethods {
  /** What a call becomes: exactly one of the two is set. */
  record Mapping(Intrinsic intrinsic, Op op) {}

  static final String ATOMICS = "dev/pincette/Atomics";
  private static final Map<String, Mapping> METHODS = new HashMap<>();

  static {
    for (String math : new String[] {"java/lang/Math", "java/lang/StrictMath"}) {
      for (String f : new String[] {"sqrt", "cbrt", "exp", "expm1", "log", "log10", "log1p", "sin", "cos", "tan",
          "asin", "acos", "atan", "sinh", "cosh", "tanh", "floor", "ceil", "rint"}) {
        put(math, f, "(D)D", Intrinsic.valueOf(f.toUpperCase(java.util.Locale.ROOT)));
      }
      put(math, "atan2", "(DD)D", Intrinsic.ATAN2);
      put(math, "pow", "(DD)D", Intrinsic.POW);
      put(math, "hypot", "(DD)D", Intrinsic.HYPOT);
      put(math, "abs", "(I)I", Intrinsic.ABS_I);
      put(math, "abs", "(J)J", Intrinsic.ABS_L);
      put(math, "abs", "(F)F", Intrinsic.ABS_F);
      put(math, "abs", "(D)D", Intrinsic.ABS_D);
      minMax(math);
      put(math, "fma", "(FFF)F", Intrinsic.FMA_F);
      put(math, "fma", "(DDD)D", Intrinsic.FMA_D);
      put(math, "signum", "(F)F", Intrinsic.SIGNUM_F);
      put(math, "signum", "(D)D", Intrinsic.SIGNUM_D);
      put(math, "copySign", "(FF)F", Intrinsic.COPY_SIGN_F);
      put(math, "copySign", "(DD)D", Intrinsic.COPY_SIGN_D);
      put(math, "toRadians", "(D)D", Intrinsic.TO_RADIANS);
      put(math, "toDegrees", "(D)D", Intrinsic.TO_DEGREES);
      put(math, "round", "(F)I", Intrinsic.ROUND_F);
      put(math, "round", "(D)J", Intrinsic.ROUND_D);
      put(math, "floorDiv", "(II)I", Intrinsic.FLOOR_DIV_I);
      put(math, "floorDiv", "(JJ)J", Intrinsic.FLOOR_DIV_L);
      put(math, "floorMod", "(II)I", Intrinsic.FLOOR_MOD_I);
      put(math, "floorMod", "(JJ)J", Intrinsic.FLOOR_MOD_L);
    }
    String f = "java/lang/Float";
    put(f, "floatToRawIntBits", "(F)I", Intrinsic.FLOAT_TO_RAW_INT_BITS);
    put(f, "floatToIntBits", "(F)I", Intrinsic.FLOAT_TO_INT_BITS);
    put(f, "intBitsToFloat", "(I)F", Intrinsic.INT_BITS_TO_FLOAT);
    put(f, "isNaN", "(F)Z", Intrinsic.IS_NAN_F);
    put(f, "isInfinite", "(F)Z", Intrinsic.IS_INFINITE_F);
    put(f, "isFinite", "(F)Z", Intrinsic.IS_FINITE_F);
    put(f, "compare", "(FF)I", Intrinsic.COMPARE_F);
    put(f, "min", "(FF)F", Intrinsic.MIN_F);
    put(f, "max", "(FF)F", Intrinsic.MAX_F);
    METHODS.put(key(f, "sum", "(FF)F"), new Mapping(null, Op.ADD_F));
    String d = "java/lang/Double";
    put(d, "doubleToRawLongBits", "(D)J", Intrinsic.DOUBLE_TO_RAW_LONG_BITS);
    put(d, "doubleToLongBits", "(D)J", Intrinsic.DOUBLE_TO_LONG_BITS);
    put(d, "longBitsToDouble", "(J)D", Intrinsic.LONG_BITS_TO_DOUBLE);
    put(d, "isNaN", "(D)Z", Intrinsic.IS_NAN_D);
    put(d, "isInfinite", "(D)Z", Intrinsic.IS_INFINITE_D);
    put(d, "isFinite", "(D)Z", Intrinsic.IS_FINITE_D);
    put(d, "compare", "(DD)I", Intrinsic.COMPARE_D);
    put(d, "min", "(DD)D", Intrinsic.MIN_D);
    put(d, "max", "(DD)D", Intrinsic.MAX_D);
    METHODS.put(key(d, "sum", "(DD)D"), new Mapping(null, Op.ADD_D));
    integers("java/lang/Integer", "I", "I", "_I", Op.ADD_I);
    integers("java/lang/Long", "J", "I", "_L", Op.ADD_L);
    put(ATOMICS, "add", "([III)I", Intrinsic.ATOMIC_ADD_I);
    put(ATOMICS, "add", "([FIF)F", Intrinsic.ATOMIC_ADD_F);
    put(ATOMICS, "min", "([III)I", Intrinsic.ATOMIC_MIN_I);
    put(ATOMICS, "max", "([III)I", Intrinsic.ATOMIC_MAX_I);
  }

  private JdkMethods() {}

  private static void minMax(String owner) {
    for (String t : new String[] {"I", "J", "F", "D"}) {
      String suffix = switch (t) {
        case "I" -> "_I";
        case "J" -> "_L";
        case "F" -> "_F";
        default -> "_D";
      };
      put(owner, "min", "(" + t + t + ")" + t, Intrinsic.valueOf("MIN" + suffix));
      put(owner, "max", "(" + t + t + ")" + t, Intrinsic.valueOf("MAX" + suffix));
    }
  }

  /** Integer or Long: {@code t} the type, {@code count} the type of counts ({@code int} for both). */
  private static void integers(String owner, String t, String count, String suffix, Op sum) {
    put(owner, "bitCount", "(" + t + ")" + count, Intrinsic.valueOf("BIT_COUNT" + suffix));
    put(owner, "numberOfLeadingZeros", "(" + t + ")" + count, Intrinsic.valueOf("LEADING_ZEROS" + suffix));
    put(owner, "numberOfTrailingZeros", "(" + t + ")" + count, Intrinsic.valueOf("TRAILING_ZEROS" + suffix));
    put(owner, "rotateLeft", "(" + t + "I)" + t, Intrinsic.valueOf("ROTATE_LEFT" + suffix));
    put(owner, "rotateRight", "(" + t + "I)" + t, Intrinsic.valueOf("ROTATE_RIGHT" + suffix));
    put(owner, "highestOneBit", "(" + t + ")" + t, Intrinsic.valueOf("HIGHEST_ONE_BIT" + suffix));
    put(owner, "lowestOneBit", "(" + t + ")" + t, Intrinsic.valueOf("LOWEST_ONE_BIT" + suffix));
    put(owner, "signum", "(" + t + ")I", Intrinsic.valueOf("SIGNUM" + suffix));
    put(owner, "compare", "(" + t + t + ")I", Intrinsic.valueOf("COMPARE" + suffix));
    put(owner, "min", "(" + t + t + ")" + t, Intrinsic.valueOf("MIN" + suffix));
    put(owner, "max", "(" + t + t + ")" + t, Intrinsic.valueOf("MAX" + suffix));
    METHODS.put(key(owner, "sum", "(" + t + t + ")" + t), new Mapping(null, sum));
  }

  private static void put(String owner, String name, String descriptor, Intrinsic intrinsic) {
    METHODS.put(key(owner, name, descriptor), new Mapping(intrinsic, null));
  }

  private static String key(String owner, String name, String descriptor) {
    return owner + "." + name + descriptor;
  }

  /** What {@code owner.name descriptor} becomes in a kernel, or null when a kernel may not call it. */
  static Mapping lookup(String owner, String name, String descriptor) {
    return METHODS.get(key(owner, name, descriptor));
  }
}
