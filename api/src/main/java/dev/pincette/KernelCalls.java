package dev.pincette;

import dev.pincette.internal.CallCost;
import dev.pincette.internal.Dispatcher;
import dev.pincette.spi.Backend;
import dev.pincette.spi.KernelArg;
import dev.pincette.spi.KernelFault;
import dev.pincette.spi.KernelLaunch;
import dev.pincette.spi.KernelMethod;
import dev.pincette.spi.Resident;
import dev.pincette.translate.KernelTranslator;
import dev.pincette.translate.Parameter;
import dev.pincette.translate.UnsupportedKernelException;
import java.lang.ref.Reference;
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
  private static final Map<Class<?>, KernelArg.Type> SCALARS = Map.of(int.class, KernelArg.Type.INT,
      Integer.class, KernelArg.Type.INT, long.class, KernelArg.Type.LONG, Long.class, KernelArg.Type.LONG,
      float.class, KernelArg.Type.FLOAT, Float.class, KernelArg.Type.FLOAT, double.class, KernelArg.Type.DOUBLE,
      Double.class, KernelArg.Type.DOUBLE);

  private KernelCalls() {}

  static void forEach(int n, Object kernel, Object... arguments) {
    call("forEach", n, kernel, arguments, false);
  }

  /**
   * {@link #forEach} that returns once the kernel has run, also on a device that returned as soon as it was enqueued
   * on resident arrays: for futures, which promise that.
   */
  static void forEachAndWait(int n, Object kernel, Object... arguments) {
    forEach(n, kernel, arguments);
    for (Object a : arguments) {
      if (a instanceof DeviceArray<?> resident) resident.await();
    }
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
    try {
      List<KernelArg> table = bind(op, method, arguments);
      if (n == 0) return 0;
      boolean races = checkingRaces();
      KernelLaunch launch = new KernelLaunch(method, n, table, races);
      KernelTransfers moved = KernelTransfers.of(table);
      CallCost cost = new CallCost(CallCost.KERNEL + method.id(), n + moved.elements(), moved.upBytes(),
          moved.backBytes(), moved.residentBytes());
      String shape = method.displayName() + " n=" + n + moved + (races ? " (checking races)" : "");
      Function<Backend, RuntimeException> refusal = be -> be.kernelRefusal(launch);
      Function<Backend, Double> run = sum ? be -> be.sum(launch) : be -> {
        be.forEach(launch);
        return 0.0;
      };
      List<Resident> residents = moved.residents();
      if (!races) return Dispatcher.get().runKernel(op, shape, cost, residents, refusal, run);
      // Race checking records every access of every work item: the CPU runs it, whatever the scope asks.
      return ScopedValue.where(Dispatcher.SCOPE, BackendKind.CPU)
          .call(() -> Dispatcher.get().runKernel(op, shape, cost, residents, refusal, run));
    } catch (KernelFault fault) {
      throw fault.toUserException();
    } catch (dev.pincette.spi.BackendException e) {
      // The CPU, where every failed call ends, could not read a resident argument from its device, which failed too
      // (found by the soak: the SPI's exception reached the caller).
      throw new IllegalStateException(op + ": a resident argument could not be read from its device, which failed: "
          + e.getMessage(), e);
    } finally {
      // The DeviceArrays' residents are in use until the call returns: their handles must not be cleaned meanwhile.
      Reference.reachabilityFence(arguments);
    }
  }

  /** The argument table: each argument checked against its parameter, named as the user wrote it. */
  private static List<KernelArg> bind(String op, KernelMethod method, Object[] arguments) {
    List<Class<?>> types = method.parameterTypes();
    if (arguments.length != types.size() - 1) {
      throw new IllegalArgumentException(op + ": " + method.displayName() + " takes " + (types.size() - 1)
          + " arguments after the index, got " + arguments.length);
    }
    Parameter[] access = access(method);
    List<KernelArg> table = new ArrayList<>(arguments.length);
    for (int k = 0; k < arguments.length; k++) {
      Class<?> type = types.get(k + 1);
      Object value = arguments[k];
      String name = method.parameterNames().get(k + 1);
      if (value == null) throw new NullPointerException(op + ": " + what(method, k) + " is null");
      KernelArg.Type array = KernelArg.Type.ofArray(type);
      KernelArg.Type scalar = SCALARS.get(type);
      boolean read = access == null || access[k + 1].read();
      boolean written = access == null || access[k + 1].written();
      if (array != null && value instanceof DeviceArray<?> resident) {
        if (resident.arrayType() != type) {
          throw new IllegalArgumentException(op + ": " + what(method, k) + " must be a " + type.getSimpleName()
              + " or a DeviceArray<" + type.getSimpleName() + ">, got a DeviceArray<"
              + resident.arrayType().getSimpleName() + ">");
        }
        table.add(new KernelArg(k + 1, name, KernelArg.Kind.RESIDENT, array, resident.resident(op), read, written));
        continue;
      }
      if (value instanceof DeviceMatrix) {
        throw new IllegalArgumentException(op + ": " + what(method, k) + " is a DeviceMatrix, whose values never"
            + " change; pass a DeviceArray (Compute.upload(float[])) to a kernel");
      }
      Class<?> expected = type.isPrimitive() ? BOXES.get(type) : type;
      if (!expected.isInstance(value)) {
        throw new IllegalArgumentException(op + ": " + what(method, k) + " must be a " + expected.getSimpleName()
            + (array != null ? " or a DeviceArray<" + type.getSimpleName() + ">" : "") + ", got a "
            + (value instanceof DeviceArray<?> d ? "DeviceArray<" + d.arrayType().getSimpleName() + ">"
                : value.getClass().getSimpleName()));
      }
      KernelArg.Kind kind = array != null ? KernelArg.Kind.ARRAY : scalar != null ? KernelArg.Kind.SCALAR
          : KernelArg.Kind.OTHER;
      table.add(new KernelArg(k + 1, name, kind, array != null ? array : scalar, value, read, written));
    }
    return table;
  }

  /** The argument after the index at {@code k} as messages name it; built only for a message, not on every call. */
  private static String what(KernelMethod method, int k) {
    return "argument " + (k + 1) + " (" + method.parameterNames().get(k + 1) + ") of " + method.displayName();
  }

  /**
   * What the kernel does with each parameter, from its translation, or null when that is unknown (a kernel only the
   * CPU runs) or not needed: with one backend no bytes are weighed and nothing is copied.
   */
  private static Parameter[] access(KernelMethod method) {
    Object known;
    try {
      known = method.state(KernelCalls.class, k -> {
        if (Dispatcher.get().usableBackends().size() < 2) return Boolean.FALSE;
        try {
          return KernelTranslator.shared().translate(k.owner(), k.name(), k.type()).parameters()
              .toArray(Parameter[]::new);
        } catch (UnsupportedKernelException e) {
          if (!e.lasting()) throw e;
          return Boolean.FALSE;
        }
      });
    } catch (UnsupportedKernelException notYet) {
      return null;
    }
    return known instanceof Parameter[] parameters ? parameters : null;
  }
}
