package dev.pincette.examples.fuzz;

import java.util.Arrays;
import java.util.function.Function;

/**
 * One public method under fuzzing: where it is declared, its parameters, and how to make a case of it. A target
 * written for a static {@code Compute} method is also run on {@code ComputeOn} and {@code AsyncCompute} wherever they
 * declare the same method (see {@link ApiFuzzer#expand}), so a new op needs one target for all three.
 *
 * @param owner the class that declares the method
 * @param name the method's name
 * @param params its parameter types
 * @param cases makes a case from a generator: the receiver (ignored for static methods), the arguments and what the
 *     call must do
 */
record Target(Class<?> owner, String name, Class<?>[] params, Function<Gen, Case> cases) {
  /** {@code Owner.name(Type, Type)}, as reports and the known-defect list name it. */
  String signature() {
    StringBuilder s = new StringBuilder(owner.getSimpleName()).append('.').append(name).append('(');
    for (int i = 0; i < params.length; i++) s.append(i == 0 ? "" : ",").append(params[i].getSimpleName());
    return s.append(')').toString();
  }

  /** The same method on another class, with the same cases. */
  Target on(Class<?> other) {
    return new Target(other, name, params, cases);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Target t && t.owner == owner && t.name.equals(name) && Arrays.equals(t.params, params);
  }

  @Override
  public int hashCode() {
    return 31 * owner.hashCode() + name.hashCode();
  }

  /**
   * One call: the receiver of an instance method (for a static {@code Compute} method expanded onto {@code ComputeOn}
   * or {@code AsyncCompute}, the fuzzer supplies one), the arguments, and what it must do.
   */
  record Case(Object receiver, Object[] args, Expect expect) {
    static Case of(Expect expect, Object... args) {
      return new Case(null, args, expect);
    }

    static Case on(Object receiver, Expect expect, Object... args) {
      return new Case(receiver, args, expect);
    }

    String describe() {
      StringBuilder s = new StringBuilder();
      if (receiver != null) s.append(Gen.abbreviate(receiver)).append(" · ");
      s.append('(');
      for (int i = 0; i < args.length; i++) s.append(i == 0 ? "" : ", ").append(Gen.abbreviate(args[i]));
      return s.append(')').toString();
    }
  }
}
