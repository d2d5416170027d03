package dev.pincette.translate;

import java.lang.constant.MethodTypeDesc;
import java.util.List;

/**
 * A kernel method translated and checked: every method it calls inlined, its control flow as basic blocks over typed
 * variables, and its argument table. Immutable; renderers (OpenCL C, or any other target) read it, never the bytecode.
 *
 * @param name the kernel as users know it, e.g. {@code Physics.saxpy}
 * @param hash SHA-256 (hex) of the bytecode of every class the kernel's methods come from and of the kernel's name and
 *     descriptor: what a compiled program may be cached by
 * @param parameters the argument table, in the method's order (parameter 0 is the work-item index)
 * @param result the kind the kernel returns, or null for a {@code void} kernel
 * @param variables every variable, declared once by a renderer
 * @param blocks the code; block 0 is the entry, and block ids are positions in this list
 * @param sites source positions statements refer to
 * @param methods the kernel method and every method inlined into it, each once
 * @param constants the static final fields read while translating, with their values
 */
public record KernelModel(String name, String hash, List<Parameter> parameters, Kind result, List<Value.Var> variables,
    List<Block> blocks, List<SourcePos> sites, List<MethodRef> methods, List<StaticConstant> constants) {
  public KernelModel {
    parameters = List.copyOf(parameters);
    variables = List.copyOf(variables);
    blocks = List.copyOf(blocks);
    sites = List.copyOf(sites);
    methods = List.copyOf(methods);
    constants = List.copyOf(constants);
  }

  /** Whether any value, parameter or operation is a double: such a kernel needs a device with float64. */
  public boolean usesDouble() {
    for (Value.Var v : variables) {
      if (v.kind() == Kind.DOUBLE) return true;
    }
    for (Parameter p : parameters) {
      if (p.type() == ElementType.DOUBLE && (p.role() != Parameter.Role.ARRAY || p.used())) return true;
    }
    return false;
  }

  /** Whether some statement updates an array element atomically. */
  public boolean usesAtomics() {
    for (Parameter p : parameters) {
      if (p.atomic()) return true;
    }
    return false;
  }

  /** A static method of a user class, as the kernel calls it. */
  public record MethodRef(Class<?> owner, String name, MethodTypeDesc type) {
    @Override
    public String toString() {
      return owner.getName() + "." + name + type.descriptorString();
    }
  }

  /** A static final field the kernel reads (as the bytecode names it), with the value read once at translation. */
  public record StaticConstant(Class<?> owner, String name, Value.Const value) {}
}
