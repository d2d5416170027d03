package dev.pincette;

import dev.pincette.spi.KernelMethod;
import dev.pincette.translate.KernelTranslator;
import java.io.IOException;
import java.io.InputStream;
import java.io.ObjectOutputStream;
import java.io.OutputStream;
import java.lang.classfile.Attributes;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassModel;
import java.lang.classfile.MethodModel;
import java.lang.classfile.attribute.LineNumberInfo;
import java.lang.constant.MethodTypeDesc;
import java.lang.invoke.MethodHandleInfo;
import java.lang.invoke.SerializedLambda;
import java.lang.reflect.Method;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Finds the static method behind a kernel: its serialized form ({@link SerializedLambda}) names it. The form is taken
 * from the lambda's own {@code writeReplace}, called by serialization (which may call it in any module), so the
 * user's package need not be open to Pincette. Resolved once per kernel class.
 */
final class KernelResolver {
  /** The kernel being resolved, for {@link #RESOLVED}'s {@code computeValue}, which only sees its class. */
  private static final ScopedValue<Object> RESOLVING = ScopedValue.newInstance();
  /** A {@link KernelMethod}, or the reason (a String) why the class is no kernel. */
  private static final ClassValue<Object> RESOLVED = new ClassValue<>() {
    @Override
    protected Object computeValue(Class<?> type) {
      try {
        return resolve(RESOLVING.get());
      } catch (IllegalArgumentException e) {
        return e.getMessage();
      }
    }
  };

  private KernelResolver() {}

  /** The method of {@code kernel}, a {@code KernelK} or {@code FloatKernelK}; IAE (prefixed by {@code op}) if none. */
  static KernelMethod of(String op, Object kernel) {
    Object resolved = ScopedValue.where(RESOLVING, kernel).call(() -> RESOLVED.get(kernel.getClass()));
    if (resolved instanceof String why) throw new IllegalArgumentException(op + ": " + why);
    return (KernelMethod) resolved;
  }

  private static KernelMethod resolve(Object kernel) {
    SerializedLambda form = serializedForm(kernel);
    if (form == null) {
      throw new IllegalArgumentException("the kernel must be a method reference or a lambda; "
          + kernel.getClass().getName() + " is neither");
    }
    Class<?> owner;
    try {
      owner = Class.forName(form.getImplClass().replace('/', '.'), false, kernel.getClass().getClassLoader());
    } catch (ClassNotFoundException e) {
      throw new IllegalArgumentException("the kernel's class " + form.getImplClass() + " cannot be loaded", e);
    }
    String name = form.getImplMethodName();
    MethodTypeDesc type = MethodTypeDesc.ofDescriptor(form.getImplMethodSignature());
    ClassModel classModel = classModel(owner);
    MethodModel model = methodModel(classModel, name, type);
    String display = owner.getName().substring(owner.getName().lastIndexOf('.') + 1) + "." + name + " ("
        + sourceFile(classModel) + line(model) + ")";
    boolean lambda = name.startsWith("lambda$");
    if (form.getImplMethodKind() != MethodHandleInfo.REF_invokeStatic && !lambda) {
      throw new IllegalArgumentException("the kernel " + display + " is an instance method; a kernel is a static "
          + "method or a lambda that captures nothing");
    }
    if (form.getCapturedArgCount() > 0) {
      throw new IllegalArgumentException("the kernel " + display + " captures " + form.getCapturedArgCount()
          + (form.getCapturedArgCount() == 1 ? " value" : " values") + " (a variable, a field or this); pass what it "
          + "needs as kernel arguments instead");
    }
    Method method = Arrays.stream(owner.getDeclaredMethods())
        .filter(m -> m.getName().equals(name) && descriptor(m).equals(type.descriptorString())).findFirst()
        .orElseThrow(() -> new IllegalArgumentException("the kernel " + display + " cannot be found"));
    List<Class<?>> types = List.of(method.getParameterTypes());
    if (types.isEmpty() || types.getFirst() != int.class) {
      throw new IllegalArgumentException("the kernel " + display + " must take the work-item index (an int) first");
    }
    boolean returnsTerm = form.getFunctionalInterfaceClass().startsWith("dev/pincette/FloatKernel");
    return new KernelMethod(kernel, owner, name, type, types, parameterNames(model, type), returnsTerm);
  }

  private static String descriptor(Method m) {
    return java.lang.invoke.MethodType.methodType(m.getReturnType(), m.getParameterTypes())
        .toMethodDescriptorString();
  }

  /** The lambda's serialized form, or null when {@code kernel} is not a serializable lambda. */
  private static SerializedLambda serializedForm(Object kernel) {
    final class Found extends IOException {
      private static final long serialVersionUID = 1L;
      final transient SerializedLambda form;

      Found(SerializedLambda form) {
        super(null, null);
        this.form = form;
      }
    }
    try (ObjectOutputStream out = new ObjectOutputStream(OutputStream.nullOutputStream()) {
      {
        enableReplaceObject(true);
      }

      @Override
      protected Object replaceObject(Object obj) throws IOException {
        // Stop as soon as the lambda has replaced itself: its captured values need not be serializable.
        if (obj instanceof SerializedLambda form) throw new Found(form);
        return obj;
      }
    }) {
      out.writeObject(kernel);
      return null;
    } catch (Found found) {
      return found.form;
    } catch (IOException e) {
      return null;
    }
  }

  /** The parsed class file of {@code owner}, read once per resolution, or null when it cannot be read. */
  private static ClassModel classModel(Class<?> owner) {
    try (InputStream in = owner.getResourceAsStream("/" + owner.getName().replace('.', '/') + ".class")) {
      return in == null ? null : ClassFile.of().parse(in.readAllBytes());
    } catch (IOException | IllegalArgumentException e) {
      return null;
    }
  }

  private static MethodModel methodModel(ClassModel model, String name, MethodTypeDesc type) {
    if (model == null) return null;
    for (MethodModel m : model.methods()) {
      if (m.methodName().equalsString(name) && m.methodTypeSymbol().equals(type)) return m;
    }
    return null;
  }

  private static String sourceFile(ClassModel model) {
    if (model == null) return "Unknown Source";
    return model.findAttribute(Attributes.sourceFile()).map(a -> a.sourceFile().stringValue()).orElse("Unknown Source");
  }

  private static String line(MethodModel model) {
    if (model == null) return "";
    return model.code().flatMap(c -> c.findAttribute(Attributes.lineNumberTable()))
        .flatMap(t -> t.lineNumbers().stream().map(LineNumberInfo::lineNumber).min(Integer::compare))
        .map(l -> ":" + l).orElse("");
  }

  /** The translator's names (one rule for every backend and message), or {@code arg<k>} without a class file. */
  private static List<String> parameterNames(MethodModel model, MethodTypeDesc type) {
    if (model != null) return List.of(KernelTranslator.parameterNames(model, type));
    List<String> out = new ArrayList<>();
    for (int k = 0; k < type.parameterCount(); k++) out.add("arg" + k);
    return out;
  }

}
