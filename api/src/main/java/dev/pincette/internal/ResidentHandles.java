package dev.pincette.internal;

import dev.pincette.DeviceArray;
import dev.pincette.spi.Resident;
import java.util.function.Function;

/**
 * Lets other packages of the API wrap a backend's resident in a {@link DeviceArray} (whose constructor is not public)
 * and reach the resident behind one: {@code DeviceArray} installs both when it is initialised.
 */
public final class ResidentHandles {
  private static volatile Function<Resident, DeviceArray<?>> wrap;
  private static volatile java.util.function.BiFunction<DeviceArray<?>, String, Resident> unwrap;

  private ResidentHandles() {}

  /** Called once, by {@code DeviceArray}'s static initialiser. */
  public static void install(Function<Resident, DeviceArray<?>> wrapper,
      java.util.function.BiFunction<DeviceArray<?>, String, Resident> unwrapper) {
    wrap = wrapper;
    unwrap = unwrapper;
  }

  /** A new handle owning {@code r}, of the array type its element type stands for. */
  @SuppressWarnings("unchecked")
  public static <T> DeviceArray<T> wrap(Resident r) {
    initialise();
    return (DeviceArray<T>) wrap.apply(r);
  }

  /** The resident behind {@code array}; {@link IllegalStateException} naming {@code op} once it is closed. */
  public static Resident resident(DeviceArray<?> array, String op) {
    initialise();
    return unwrap.apply(array, op);
  }

  private static void initialise() {
    if (wrap == null) {
      try {
        Class.forName(DeviceArray.class.getName(), true, DeviceArray.class.getClassLoader());
      } catch (ClassNotFoundException e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
