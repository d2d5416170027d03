package dev.pincette.translate;

import java.io.IOException;
import java.io.InputStream;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.MethodModel;
import java.lang.constant.MethodTypeDesc;

/**
 * Reads class files. A class's own {@code .class} resource is readable from any module ({@code .class} resources are
 * never encapsulated), so a kernel in a named module needs no {@code opens}.
 */
final class ClassFiles {
  private ClassFiles() {}

  /** The class file of {@code type}, or null when it has none (a class defined at run time from bytes). */
  static byte[] bytes(Class<?> type) {
    String resource = "/" + type.getName().replace('.', '/') + ".class";
    try (InputStream in = type.getResourceAsStream(resource)) {
      return in == null ? null : in.readAllBytes();
    } catch (IOException e) {
      return null;
    }
  }

  static ClassModel parse(byte[] bytes) {
    return ClassFile.of().parse(bytes);
  }

  /** The method {@code name type} declared by {@code model}, or null. */
  static MethodModel method(ClassModel model, String name, MethodTypeDesc type) {
    for (MethodModel m : model.methods()) {
      if (m.methodName().equalsString(name) && m.methodTypeSymbol().equals(type)) return m;
    }
    return null;
  }

  /** Whether {@code type} belongs to the JDK (its calls are intrinsics or unsupported, never inlined). */
  static boolean isJdk(Class<?> type) {
    ClassLoader loader = type.getClassLoader();
    return loader == null || loader == ClassLoader.getPlatformClassLoader();
  }

  /** {@code java/lang/String} as {@code java.lang.String}, {@code [F} as {@code float[]}. */
  static String javaName(String internalOrDescriptor) {
    if (internalOrDescriptor.startsWith("[")) {
      return javaName(descriptorName(internalOrDescriptor.substring(1))) + "[]";
    }
    return internalOrDescriptor.replace('/', '.');
  }

  /** The Java name of a field descriptor: {@code F} as {@code float}, {@code Ljava/lang/Float;} as java.lang.Float. */
  static String descriptorName(String descriptor) {
    return switch (descriptor.charAt(0)) {
      case 'Z' -> "boolean";
      case 'B' -> "byte";
      case 'C' -> "char";
      case 'S' -> "short";
      case 'I' -> "int";
      case 'J' -> "long";
      case 'F' -> "float";
      case 'D' -> "double";
      case 'V' -> "void";
      case '[' -> descriptorName(descriptor.substring(1)) + "[]";
      case 'L' -> descriptor.substring(1, descriptor.length() - 1).replace('/', '.');
      default -> descriptor;
    };
  }

  /** {@code Physics.saxpy(int, float, float[], float[])}. */
  static String signature(String owner, String name, MethodTypeDesc type) {
    StringBuilder s = new StringBuilder(javaName(owner)).append('.').append(name).append('(');
    for (int i = 0; i < type.parameterCount(); i++) {
      if (i > 0) s.append(", ");
      s.append(descriptorName(type.parameterType(i).descriptorString()));
    }
    return s.append(')').toString();
  }
}
