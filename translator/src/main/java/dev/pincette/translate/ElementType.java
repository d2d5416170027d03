package dev.pincette.translate;

/** The element type of an array parameter, or the type of a scalar parameter (never {@link #BYTE} for scalars). */
public enum ElementType {
  BYTE(Kind.INT, 1, "byte"),
  INT(Kind.INT, 4, "int"),
  LONG(Kind.LONG, 8, "long"),
  FLOAT(Kind.FLOAT, 4, "float"),
  DOUBLE(Kind.DOUBLE, 8, "double");

  /** The kind a loaded element computes as ({@code byte} elements are sign-extended to {@code int}). */
  public final Kind kind;
  /** Bytes per element. */
  public final int bytes;
  /** The Java name, e.g. {@code float}. */
  public final String javaName;

  ElementType(Kind kind, int bytes, String javaName) {
    this.kind = kind;
    this.bytes = bytes;
    this.javaName = javaName;
  }

  /** The type of a primitive descriptor ({@code F}, {@code B}, ...), or null. */
  static ElementType ofDescriptor(String descriptor) {
    return switch (descriptor) {
      case "B" -> BYTE;
      case "I" -> INT;
      case "J" -> LONG;
      case "F" -> FLOAT;
      case "D" -> DOUBLE;
      default -> null;
    };
  }

  /** The type a box descriptor ({@code Ljava/lang/Float;}, ...) holds, or null for anything else. */
  static ElementType ofBox(String descriptor) {
    return switch (descriptor) {
      case "Ljava/lang/Integer;" -> INT;
      case "Ljava/lang/Long;" -> LONG;
      case "Ljava/lang/Float;" -> FLOAT;
      case "Ljava/lang/Double;" -> DOUBLE;
      default -> null;
    };
  }
}
