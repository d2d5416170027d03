package dev.pincette.cpu;

import dev.pincette.spi.KernelMethod;
import dev.pincette.translate.KernelModel.MethodRef;
import java.io.IOException;
import java.io.InputStream;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.CodeElement;
import java.lang.classfile.MethodModel;
import java.lang.classfile.Opcode;
import java.lang.classfile.instruction.FieldInstruction;
import java.lang.classfile.instruction.InvokeInstruction;
import java.lang.constant.ConstantDesc;
import java.lang.constant.MethodTypeDesc;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The methods and constants of a kernel the translator refuses (one only the CPU runs), for its race-checking copy:
 * the kernel method and every static method of a non-JDK class it calls, transitively, each once (recursion
 * included), and the primitive static finals they read, read here by reflection so that the copy, a hidden class of
 * Pincette's, need not reach the user's private fields. Everything else the methods do (objects, instance calls) runs
 * as written, unrecorded.
 */
final class RaceCalls {
  /** The methods, the kernel first, and the constants by {@code owner/internal/Name.field}. */
  record Found(List<MethodRef> methods, Map<String, ConstantDesc> constants) {}

  private RaceCalls() {}

  static Found of(KernelMethod kernel) {
    Map<String, MethodRef> methods = new LinkedHashMap<>();
    Map<String, ConstantDesc> constants = new HashMap<>();
    Map<Class<?>, ClassModel> models = new HashMap<>();
    Deque<MethodRef> work = new ArrayDeque<>();
    MethodRef first = new MethodRef(kernel.owner(), kernel.name(), kernel.type());
    methods.put(key(first), first);
    work.add(first);
    while (!work.isEmpty()) {
      MethodRef ref = work.poll();
      MethodModel method = method(models, ref.owner(), ref.name(), ref.type());
      if (method == null || method.code().isEmpty()) {
        throw new IllegalArgumentException("the bytecode of " + ref + " cannot be read");
      }
      for (CodeElement e : method.code().get()) {
        if (e instanceof InvokeInstruction i && i.opcode() == Opcode.INVOKESTATIC) {
          Class<?> owner = load(ref.owner(), i.owner().asInternalName());
          if (owner == null || isJdk(owner) || owner.getName().equals("dev.pincette.Atomics")) continue;
          MethodRef callee = declared(models, owner, i.name().stringValue(), i.typeSymbol());
          if (callee != null && methods.putIfAbsent(key(callee), callee) == null) work.add(callee);
        } else if (e instanceof FieldInstruction f && f.opcode() == Opcode.GETSTATIC) {
          Class<?> owner = load(ref.owner(), f.owner().asInternalName());
          ConstantDesc value = owner == null ? null : constant(owner, f.name().stringValue());
          if (value != null) constants.put(f.owner().asInternalName() + "." + f.name().stringValue(), value);
        }
      }
    }
    return new Found(new ArrayList<>(methods.values()), constants);
  }

  private static String key(MethodRef ref) {
    return ref.owner().getName() + "." + ref.name() + ref.type().descriptorString();
  }

  /** The static method as its class or a superclass declares it (a static method may be inherited), or null. */
  private static MethodRef declared(Map<Class<?>, ClassModel> models, Class<?> type, String name,
      MethodTypeDesc desc) {
    for (Class<?> c = type; c != null && !isJdk(c); c = c.getSuperclass()) {
      if (method(models, c, name, desc) != null) return new MethodRef(c, name, desc);
    }
    return null;
  }

  private static MethodModel method(Map<Class<?>, ClassModel> models, Class<?> type, String name,
      MethodTypeDesc desc) {
    ClassModel model = models.computeIfAbsent(type, RaceCalls::parse);
    for (MethodModel m : model.methods()) {
      if (m.methodName().equalsString(name) && m.methodTypeSymbol().equals(desc)) return m;
    }
    return null;
  }

  private static ClassModel parse(Class<?> type) {
    try (InputStream in = type.getResourceAsStream("/" + type.getName().replace('.', '/') + ".class")) {
      if (in == null) throw new IllegalArgumentException("the class file of " + type.getName() + " cannot be read");
      return ClassFile.of().parse(in.readAllBytes());
    } catch (IOException e) {
      throw new IllegalArgumentException("the class file of " + type.getName() + " cannot be read", e);
    }
  }

  private static Class<?> load(Class<?> from, String internalName) {
    try {
      return Class.forName(internalName.replace('/', '.'), false, from.getClassLoader());
    } catch (ClassNotFoundException | LinkageError e) {
      return null;
    }
  }

  private static boolean isJdk(Class<?> type) {
    ClassLoader loader = type.getClassLoader();
    return loader == null || loader == ClassLoader.getPlatformClassLoader();
  }

  /** The value of a primitive static final field, or null for any other field or one that cannot be read. */
  private static ConstantDesc constant(Class<?> owner, String name) {
    for (Class<?> c = owner; c != null; c = c.getSuperclass()) {
      try {
        Field f = c.getDeclaredField(name);
        int modifiers = f.getModifiers();
        if (!Modifier.isStatic(modifiers) || !Modifier.isFinal(modifiers) || !f.getType().isPrimitive()) return null;
        if (!f.canAccess(null) && !f.trySetAccessible()) return null;
        return switch (f.get(null)) {
          case Integer v -> v;
          case Long v -> v;
          case Float v -> v;
          case Double v -> v;
          case Short v -> (int) v;
          case Byte v -> (int) v;
          case Character v -> (int) v;
          case Boolean v -> v ? 1 : 0;
          default -> null;
        };
      } catch (NoSuchFieldException e) {
        // Declared higher up.
      } catch (IllegalAccessException | RuntimeException | ExceptionInInitializerError e) {
        return null;
      }
    }
    return null;
  }
}
