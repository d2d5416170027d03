package dev.pincette.translate;

/**
 * What a local slot or an operand-stack entry holds while a method is read: a primitive value, or a reference the
 * translator resolves statically (an array parameter, a boxed scalar parameter). References exist only as these:
 * a kernel cannot create, load or compare other ones.
 */
sealed interface Item {
  /** JVM stack words: 2 for long and double. */
  default int words() {
    return 1;
  }

  record Prim(Value value) implements Item {
    Kind kind() {
      return value.kind();
    }

    @Override
    public int words() {
      return value.kind().wide() ? 2 : 1;
    }
  }

  /** Array parameter {@code param} of the kernel. */
  record ArrayRef(int param, ElementType type, String name) implements Item {}

  /** A boxed scalar parameter ({@code Float a} in a lambda), whose unboxed value is {@code value}. */
  record BoxRef(Value value, ElementType type, String name) implements Item {}

  /** A reference that is one array on one path and another array on another path. */
  record Conflict(String description) implements Item {}
}
