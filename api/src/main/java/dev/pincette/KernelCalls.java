package dev.pincette;

import dev.pincette.internal.CallCost;
import dev.pincette.internal.Dispatcher;
import dev.pincette.spi.Backend;
import dev.pincette.spi.KernelArg;
import dev.pincette.spi.KernelFault;
import dev.pincette.spi.KernelLaunch;
import dev.pincette.spi.KernelMethod;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * {@code Compute.forEach} and {@code Compute.sum} over kernels: validates the call in the user's terms, builds the
 * argument table and places the call like any op. A kernel's own error (index out of bounds, division by zero)
 * reaches the caller as {@link ArrayIndexOutOfBoundsException} or {@link ArithmeticException} from every backend.
 */
final class KernelCalls {
  /** {@code -Dpincette.kernel.checkRaces=true}: every kernel call runs in race-checking mode (on the CPU). */
  static final boolean CHECK_RACES = Boolean.getBoolean("pincette.kernel.checkRaces");
  /** Bound by {@link Compute#checkingRaces()} scopes: kernel calls inside check races. */
  static final ScopedValue<Boolean> CHECKING = ScopedValue.newInstance();

  private static final Map<Class<?>, Class<?>> BOXES = Map.of(int.class, Integer.class, long.class, Long.class,
      float.class, Float.class, double.class, Double.class, byte.class, Byte.class, short.class, Short.class,
      char.class, Character.class, boolean.class, Boolean.class);
  private static final Map<Class<?>, KernelArg.Type> ARRAYS = Map.of(byte[].class, KernelArg.Type.BYTE,
      int[].class, KernelArg.Type.INT, long[].class, KernelArg.Type.LONG, float[].class, KernelArg.Type.FLOAT,
      double[].class, KernelArg.Type.DOUBLE);
  private static final Map<Class<?>, KernelArg.Type> SCALARS = Map.of(int.class, KernelArg.Type.INT,
      Integer.class, KernelArg.Type.INT, long.class, KernelArg.Type.LONG, Long.class, KernelArg.Type.LONG,
      float.class, KernelArg.Type.FLOAT, Float.class, KernelArg.Type.FLOAT, double.class, KernelArg.Type.DOUBLE,
      Double.class, KernelArg.Type.DOUBLE);

  private KernelCalls() {}

  static void forEach(int n, Object kernel, Object... arguments) {
    call("forEach", n, kernel, arguments, false);
  }

  static double sum(int n, Object kernel, Object... arguments) {
    return call("sum", n, kernel, arguments, true);
  }

  /** Whether kernel calls on this thread check races now. */
  static boolean checkingRaces() {
    return CHECK_RACES || CHECKING.isBound() && CHECKING.get();
  }

  private static double call(String op, int n, Object kernel, Object[] arguments, boolean sum) {
    Objects.requireNonNull(kernel, op + ": kernel is null");
    KernelMethod method = KernelResolver.of(op, kernel);
    if (method.returnsTerm() != sum) {
      throw new IllegalArgumentException(op + ": " + method.displayName() + " is not a kernel " + op + " takes");
    }
    if (n < 0) throw new IllegalArgumentException(op + ": n is negative: " + n);
    List<KernelArg> table = bind(op, method, arguments);
    if (n == 0) return 0;
    boolean races = checkingRaces();
    KernelLaunch launch = new KernelLaunch(method, n, table, races);
    long bytes = 0;
    for (KernelArg a : table) bytes += a.bytes();
    // Which arrays the kernel writes is a backend's knowledge (its translation): count every array both ways.
    CallCost cost = new CallCost(CallCost.KERNEL + method.id(), n + bytes / 4.0, bytes, bytes);
    String shape = method.displayName() + " n=" + n + (races ? " (checking races)" : "");
    Function<Backend, RuntimeException> refusal = be -> be.kernelRefusal(launch);
    Function<Backend, Double> run = sum ? be -> be.sum(launch) : be -> {
      be.forEach(launch);
      return 0.0;
    };
    try {
      if (!races) return Dispatcher.get().runKernel(op, shape, cost, refusal, run);
      // Race checking records every access of every work item: the CPU runs it, whatever the scope asks.
      return ScopedValue.where(Dispatcher.SCOPE, BackendKind.CPU)
          .call(() -> Dispatcher.get().runKernel(op, shape, cost, refusal, run));
    } catch (KernelFault fault) {
      throw fault.toUserException();
    }
  }

  /** The argument table: each argument checked against its parameter, named as the user wrote it. */
  private static List<KernelArg> bind(String op, KernelMethod method, Object[] arguments) {
    List<Class<?>> types = method.parameterTypes();
    if (arguments.length != types.size() - 1) {
      throw new IllegalArgumentException(op + ": " + method.displayName() + " takes " + (types.size() - 1)
          + " arguments after the index, got " + arguments.length);
    }
    List<KernelArg> table = new ArrayList<>(arguments.length);
    for (int k = 0; k < arguments.length; k++) {
      Class<?> type = types.get(k + 1);
      Object value = arguments[k];
      String name = method.parameterNames().get(k + 1);
      String what = "argument " + (k + 1) + " (" + name + ") of " + method.displayName();
      if (value == null) throw new NullPointerException(op + ": " + what + " is null");
      Class<?> expected = type.isPrimitive() ? BOXES.get(type) : type;
      if (!expected.isInstance(value)) {
        throw new IllegalArgumentException(op + ": " + what + " must be a " + expected.getSimpleName() + ", got a "
            + value.getClass().getSimpleName());
      }
      KernelArg.Type array = ARRAYS.get(type);
      KernelArg.Type scalar = SCALARS.get(type);
      KernelArg.Kind kind = array != null ? KernelArg.Kind.ARRAY : scalar != null ? KernelArg.Kind.SCALAR
          : KernelArg.Kind.OTHER;
      table.add(new KernelArg(k + 1, name, kind, array != null ? array : scalar, value));
    }
    return table;
  }
}
