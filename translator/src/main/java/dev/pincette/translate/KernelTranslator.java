package dev.pincette.translate;

import dev.pincette.translate.Expr.Copy;
import dev.pincette.translate.Value.Var;
import java.lang.classfile.Attributes;
import java.lang.classfile.ClassModel;
import java.lang.classfile.CodeModel;
import java.lang.classfile.MethodModel;
import java.lang.classfile.attribute.LocalVariableInfo;
import java.lang.classfile.attribute.MethodParameterInfo;
import java.lang.constant.MethodTypeDesc;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Translates a static method, the kernel, into a {@link KernelModel}: its bytecode and that of every static method it
 * calls, read with {@code java.lang.classfile}, inlined, checked once. Each method is translated once per class and
 * cached, failures included (a failed kernel throws a fresh {@link UnsupportedKernelException} with the same message
 * on every call), except a failure that may pass later ({@link UnsupportedKernelException#lasting()}). Safe for
 * concurrent use, also from class initialisers that translate kernels.
 *
 * <pre>{@code
 * KernelModel model = KernelTranslator.shared().translate(Physics.class, "saxpy",
 *     MethodTypeDesc.ofDescriptor("(IF[F[F)V"));
 * }</pre>
 *
 * A kernel may use: primitive arithmetic and conversions of int, long, float, double and byte; comparisons, branches,
 * loops, {@code switch}; locals; loads, stores and {@code length} of its array parameters; static final primitive
 * constants; calls to static methods of non-JDK classes (inlined; recursion is an error); the {@code Math},
 * {@code StrictMath}, {@code Float}, {@code Double}, {@code Integer} and {@code Long} methods of {@link Intrinsic};
 * and {@code dev.pincette.Atomics}. Parameter 0 is the work-item index ({@code int}); the others are arrays of byte,
 * int, long, float or double, or int, long, float or double values (boxed or not).
 */
public final class KernelTranslator {
  private static final KernelTranslator SHARED = new KernelTranslator();

  /** Results by class, then by {@code name + descriptor}: a {@link KernelModel} or an exception to copy. */
  private final ClassValue<Map<String, Object>> results = new ClassValue<>() {
    @Override
    protected Map<String, Object> computeValue(Class<?> type) {
      return new ConcurrentHashMap<>();
    }
  };
  private final AtomicInteger translations = new AtomicInteger();

  /** The JVM's translator, whose cache every backend shares. */
  public static KernelTranslator shared() {
    return SHARED;
  }

  /**
   * The model of {@code owner.name(type)}, translated on the first request.
   *
   * @throws UnsupportedKernelException naming the method, line and construct a kernel may not contain
   */
  public KernelModel translate(Class<?> owner, String name, MethodTypeDesc type) {
    Map<String, Object> cache = results.get(owner);
    String key = name + type.descriptorString();
    Object result = cache.get(key);
    if (result == null) {
      // Translated outside the map's locks: reading a static final may run a class's initialiser, which may translate
      // kernels itself (this one included), on this thread or while another waits for it. Two threads asking at once
      // may both translate; the first result stays.
      translations.incrementAndGet();
      try {
        result = translateUncached(owner, name, type);
      } catch (UnsupportedKernelException e) {
        if (!e.lasting()) throw e;
        result = e;
      }
      Object first = cache.putIfAbsent(key, result);
      if (first != null) result = first;
    }
    if (result instanceof UnsupportedKernelException e) throw e.copy();
    return (KernelModel) result;
  }

  /** Translations this translator has run (not served from its cache): for tests of the cache. */
  public int translations() {
    return translations.get();
  }

  /** Translates without caching: for benchmarks of the translator itself. */
  public static KernelModel translateUncached(Class<?> owner, String name, MethodTypeDesc type) {
    KernelBuilder kernel = new KernelBuilder(type.parameterCount());
    String display = MethodReader.simpleName(owner) + "." + name;
    SourcePos where = new SourcePos(display, null, -1);
    ClassModel classModel = kernel.classModel(owner, where);
    MethodModel method = ClassFiles.method(classModel, name, type);
    if (method == null) throw new UnsupportedKernelException(where, "a method that cannot be found");
    String[] names = parameterNames(method, type);
    int entry = kernel.newBlock();
    Item[] locals = new Item[slots(type)];
    Var[] variables = new Var[type.parameterCount()];
    List<Parameter.Role> roles = new ArrayList<>();
    List<ElementType> types = new ArrayList<>();
    MethodReader reader = new MethodReader(kernel, owner, classModel, method, locals, null, -1);
    int slot = 0;
    for (int p = 0; p < type.parameterCount(); p++) {
      String d = type.parameterType(p).descriptorString();
      ElementType prim = d.equals("B") ? null : ElementType.ofDescriptor(d);
      ElementType box = ElementType.ofBox(d);
      ElementType array = d.startsWith("[") ? ElementType.ofDescriptor(d.substring(1)) : null;
      if (p == 0 && !d.equals("I")) {
        throw reader.failureAtStart("a first parameter of type " + ClassFiles.descriptorName(d)
            + " (the work-item index must be an int)");
      }
      if (prim != null || box != null) {
        ElementType t = prim != null ? prim : box;
        variables[p] = kernel.variable(t.kind);
        roles.add(p == 0 ? Parameter.Role.INDEX : Parameter.Role.SCALAR);
        types.add(t);
        if (box != null) locals[slot] = new Item.BoxRef(variables[p], box, names[p]);
      } else if (array != null) {
        roles.add(Parameter.Role.ARRAY);
        types.add(array);
        locals[slot] = new Item.ArrayRef(p, array, names[p]);
      } else {
        throw reader.failureAtStart("the parameter " + names[p] + " of type " + ClassFiles.descriptorName(d));
      }
      slot += d.equals("J") || d.equals("D") ? 2 : 1;
    }
    String returns = type.returnType().descriptorString();
    Kind result = returns.equals("V") ? null : Instructions.primitiveKind(returns);
    if (result == null && !returns.equals("V") || returns.equals("Z") || returns.equals("C")) {
      throw reader.failureAtStart("returning " + ClassFiles.descriptorName(returns));
    }
    reader.allocateBlocks();
    int start = kernel.site(reader.startPosition());
    List<Stmt> preamble = new ArrayList<>();
    slot = 0;
    for (int p = 0; p < type.parameterCount(); p++) {
      String d = type.parameterType(p).descriptorString();
      if (variables[p] != null && locals[slot] == null) {
        preamble.add(new Stmt.Assign(reader.local(slot, variables[p].kind()), new Copy(variables[p]), start));
      }
      slot += d.equals("J") || d.equals("D") ? 2 : 1;
    }
    preamble.add(new Stmt.Jump(reader.entryBlock(), start));
    kernel.close(entry, preamble, where);
    String key = owner.getName() + "." + name + type.descriptorString();
    kernel.methods.put(key, new KernelModel.MethodRef(owner, name, type));
    kernel.callStack.addLast(key);
    reader.read();
    Simplifier.foldFloatRounding(kernel);
    List<Parameter> parameters = new ArrayList<>();
    for (int p = 0; p < type.parameterCount(); p++) {
      boolean[] use = kernel.usage[p];
      parameters.add(new Parameter(p, names[p], roles.get(p), types.get(p), variables[p], use[KernelBuilder.READ],
          use[KernelBuilder.WRITTEN], use[KernelBuilder.ATOMIC], use[KernelBuilder.LENGTH]));
    }
    List<Block> blocks = new ArrayList<>();
    List<List<Stmt>> bodies = kernel.blocks();
    for (int b = 0; b < bodies.size(); b++) blocks.add(new Block(b, bodies.get(b)));
    return new KernelModel(display, hash(kernel, key), parameters, result, Simplifier.usedVariables(kernel, variables),
        blocks, kernel.sites, List.copyOf(kernel.methods.values()), List.copyOf(kernel.constants.values()));
  }

  private static int slots(MethodTypeDesc type) {
    int slots = 0;
    for (int p = 0; p < type.parameterCount(); p++) {
      String d = type.parameterType(p).descriptorString();
      slots += d.equals("J") || d.equals("D") ? 2 : 1;
    }
    return slots;
  }

  /**
   * Every parameter's source name, the index first: from the MethodParameters attribute, else the
   * LocalVariableTable, else {@code arg<k>} ({@code k} counting the index as 0). The one rule the facade and every
   * backend name parameters by.
   */
  public static String[] parameterNames(MethodModel method, MethodTypeDesc type) {
    String[] names = new String[type.parameterCount()];
    method.findAttribute(Attributes.methodParameters()).ifPresent(a -> {
      List<MethodParameterInfo> list = a.parameters();
      for (int k = 0; k < Math.min(names.length, list.size()); k++) {
        names[k] = list.get(k).name().map(n -> n.stringValue()).orElse(null);
      }
    });
    List<LocalVariableInfo> table = method.code().flatMap(c -> ((CodeModel) c).findAttribute(
        Attributes.localVariableTable())).map(t -> t.localVariables()).orElse(List.of());
    int slot = 0;
    for (int k = 0; k < names.length; k++) {
      for (LocalVariableInfo v : table) {
        if (names[k] == null && v.slot() == slot && v.startPc() == 0) names[k] = v.name().stringValue();
      }
      if (names[k] == null) names[k] = "arg" + k;
      String d = type.parameterType(k).descriptorString();
      slot += d.equals("J") || d.equals("D") ? 2 : 1;
    }
    return names;
  }

  private static String hash(KernelBuilder kernel, String key) {
    try {
      MessageDigest sha = MessageDigest.getInstance("SHA-256");
      sha.update(key.getBytes(StandardCharsets.UTF_8));
      for (Map.Entry<Class<?>, byte[]> e : kernel.classBytes.entrySet()) {
        sha.update(e.getKey().getName().getBytes(StandardCharsets.UTF_8));
        sha.update(e.getValue());
      }
      return HexFormat.of().formatHex(sha.digest());
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
