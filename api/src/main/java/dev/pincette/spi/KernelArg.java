package dev.pincette.spi;

/**
 * One argument of a kernel call, checked against the method's parameter: what backends bind to the kernel.
 *
 * @param parameter the method's parameter position (1 for the first argument after the index)
 * @param name the parameter's source name
 * @param kind what the argument is
 * @param type the element type of an array or a resident, or the type of a scalar; null for {@link Kind#OTHER}
 * @param value the array, the {@link Resident}, the boxed scalar, or (for {@link Kind#OTHER}) whatever the method takes
 * @param read whether the kernel may read the array's elements (true when unknown)
 * @param written whether the kernel may write the array's elements (true when unknown)
 */
public record KernelArg(int parameter, String name, Kind kind, Type type, Object value, boolean read,
    boolean written) {
  /** What an argument is to backends. */
  public enum Kind {
    /** A Java array, shared by all work items. */
    ARRAY,
    /**
     * Resident data ({@link Resident}, from a {@code DeviceArray}) bound in place of an array parameter: the backend
     * holding it uses it where it is, another reads it through {@link Resident#hostArray()}.
     */
    RESIDENT,
    /** A primitive value (boxed here), the same for every work item. */
    SCALAR,
    /** Anything else the method takes; only the CPU, which runs the method itself, can pass it. */
    OTHER
  }

  /** Element types of arrays and types of scalars a device can take. */
  public enum Type {
    BYTE(1, byte[].class),
    INT(4, int[].class),
    LONG(8, long[].class),
    FLOAT(4, float[].class),
    DOUBLE(8, double[].class);

    /** Bytes per element. */
    public final int bytes;
    /** The Java array of this element type, e.g. {@code float[].class}. */
    public final Class<?> arrayClass;

    Type(int bytes, Class<?> arrayClass) {
      this.bytes = bytes;
      this.arrayClass = arrayClass;
    }

    /** The type whose arrays are {@code arrayClass}, or null for other classes. */
    public static Type ofArray(Class<?> arrayClass) {
      for (Type t : values()) {
        if (t.arrayClass == arrayClass) return t;
      }
      return null;
    }

    /** A zeroed array of {@code length} elements of this type. */
    public Object newArray(int length) {
      return java.lang.reflect.Array.newInstance(arrayClass.componentType(), length);
    }
  }

  /** An argument whose use by the kernel is not known: read and written, for all a backend can tell. */
  public KernelArg(int parameter, String name, Kind kind, Type type, Object value) {
    this(parameter, name, kind, type, value, true, true);
  }

  /** Whether the kernel touches the array's elements (unknown counts as touching). */
  public boolean used() {
    return read || written;
  }

  /** Elements of an array or resident argument; 0 for others. */
  public int length() {
    return switch (kind) {
      case ARRAY -> java.lang.reflect.Array.getLength(value);
      case RESIDENT -> ((Resident) value).length();
      default -> 0;
    };
  }

  /** Bytes of an array or resident argument, computed in long; 0 for others. */
  public long bytes() {
    return kind == Kind.ARRAY || kind == Kind.RESIDENT ? (long) length() * type.bytes : 0;
  }

  /** This argument as an array: a resident's replaced by its host array ({@link Resident#hostArray()}). */
  public KernelArg onHost() {
    if (kind != Kind.RESIDENT) return this;
    return new KernelArg(parameter, name, Kind.ARRAY, type, ((Resident) value).hostArray(), read, written);
  }
}
