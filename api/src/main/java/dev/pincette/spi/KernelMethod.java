package dev.pincette.spi;

import java.lang.constant.MethodTypeDesc;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

/**
 * A user's kernel resolved to its static method: what a backend translates (the method and its class) or runs (the
 * functional-interface instance). One per kernel class, made by the facade; backends may keep state for the kernel in
 * it ({@link #state}), which lives as long as the kernel's class.
 */
public final class KernelMethod {
  private final Object instance;
  private final Class<?> owner;
  private final String name;
  private final MethodTypeDesc type;
  private final List<Class<?>> parameterTypes;
  private final List<String> parameterNames;
  private final boolean returnsTerm;
  private final String displayName;
  private final Map<Object, Object> states = new ConcurrentHashMap<>();

  /**
   * @param instance the {@code KernelK} or {@code FloatKernelK} the user passed
   * @param owner the class declaring the method
   * @param parameterTypes every parameter's type, the index first
   * @param parameterNames every parameter's source name, or {@code arg<k>} without debug information
   * @param returnsTerm whether the kernel returns a term to sum (a {@code FloatKernelK})
   */
  public KernelMethod(Object instance, Class<?> owner, String name, MethodTypeDesc type, List<Class<?>> parameterTypes,
      List<String> parameterNames, boolean returnsTerm) {
    this.instance = instance;
    this.owner = owner;
    this.name = name;
    this.type = type;
    this.parameterTypes = List.copyOf(parameterTypes);
    this.parameterNames = List.copyOf(parameterNames);
    this.returnsTerm = returnsTerm;
    String simple = owner.getName().substring(owner.getName().lastIndexOf('.') + 1);
    this.displayName = simple + "." + name;
  }

  /** The {@code KernelK} or {@code FloatKernelK} instance, to call on the CPU. */
  public Object instance() {
    return instance;
  }

  public Class<?> owner() {
    return owner;
  }

  public String name() {
    return name;
  }

  public MethodTypeDesc type() {
    return type;
  }

  /** Every parameter's type, the work-item index ({@code int}) first. */
  public List<Class<?>> parameterTypes() {
    return parameterTypes;
  }

  /** Every parameter's name, the index first. */
  public List<String> parameterNames() {
    return parameterNames;
  }

  /** Whether the kernel returns a float term per work item ({@code Compute.sum}) rather than nothing. */
  public boolean returnsTerm() {
    return returnsTerm;
  }

  /** {@code Physics.saxpy}, as messages name the kernel. */
  public String displayName() {
    return displayName;
  }

  /** The method's type with its name, e.g. {@code Physics.saxpy(IF[F[F)V}: identifies the kernel in the cost model. */
  public String id() {
    return owner.getName() + "." + name + type.descriptorString();
  }

  /**
   * What a backend keeps for this kernel under {@code key} (a translation, a compiled loop), made by {@code create} on
   * first request; safe from many threads, which may each make one when they ask at once (the first made is kept).
   * Nothing is kept when {@code create} throws.
   */
  @SuppressWarnings("unchecked")
  public <T> T state(Object key, Function<KernelMethod, T> create) {
    Object value = states.get(key);
    if (value == null) {
      // Made outside the map's locks: translating may run a class's static initialiser, which may call kernels (this
      // one too), on this thread or on one this thread then waits for.
      value = create.apply(this);
      Object first = states.putIfAbsent(key, value);
      if (first != null) value = first;
    }
    return (T) value;
  }

  @Override
  public String toString() {
    return displayName;
  }
}
