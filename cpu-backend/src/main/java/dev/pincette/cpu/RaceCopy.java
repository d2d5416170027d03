package dev.pincette.cpu;

import static java.lang.constant.ConstantDescs.CD_Object;
import static java.lang.constant.ConstantDescs.CD_double;
import static java.lang.constant.ConstantDescs.CD_int;
import static java.lang.constant.ConstantDescs.CD_void;

import dev.pincette.spi.KernelMethod;
import dev.pincette.translate.KernelModel;
import java.io.IOException;
import java.io.InputStream;
import java.lang.classfile.Attributes;
import java.lang.classfile.ClassFile;
import java.lang.classfile.ClassHierarchyResolver;
import java.lang.classfile.ClassModel;
import java.lang.classfile.CodeBuilder;
import java.lang.classfile.CodeElement;
import java.lang.classfile.Label;
import java.lang.classfile.MethodModel;
import java.lang.classfile.Opcode;
import java.lang.classfile.TypeKind;
import java.lang.classfile.instruction.ArrayLoadInstruction;
import java.lang.classfile.instruction.ArrayStoreInstruction;
import java.lang.classfile.instruction.FieldInstruction;
import java.lang.classfile.instruction.InvokeInstruction;
import java.lang.classfile.instruction.OperatorInstruction;
import java.lang.constant.ClassDesc;
import java.lang.constant.ConstantDesc;
import java.lang.constant.ConstantDescs;
import java.lang.constant.MethodTypeDesc;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.AccessFlag;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A kernel's methods copied into a hidden class, every array access, integer division and atomic update replaced by a
 * call into {@link RaceRecorder}, calls between them pointed at the copies ({@code m0} is the kernel), and the static
 * final constants the translator read put in place. Line numbers are kept, so {@link #where} can name the line of
 * the access being made.
 */
record RaceCopy(CpuKernels.Loop loop, Class<?> type, String[] methods, String[] files, String refusal) {
  private static final ClassDesc RECORDER = ClassDesc.of(RaceRecorder.class.getName());
  private static final ClassDesc SELF = ClassDesc.of(RaceCopy.class.getPackageName() + ".RaceCheckedKernel");
  private static final StackWalker WALKER = StackWalker.getInstance(Set.of(StackWalker.Option.SHOW_HIDDEN_FRAMES,
      StackWalker.Option.RETAIN_CLASS_REFERENCE));

  /** This copy, of a kernel the translator refused for {@code refusal} (copied from its bytecode instead). */
  RaceCopy refused(String refusal) {
    return new RaceCopy(loop, type, methods, files, refusal);
  }

  /** The method and line of the copy running now: {@code Physics.density (Physics.java:42)}. */
  String where() {
    return WALKER.walk(frames -> frames.filter(f -> f.getDeclaringClass() == type && f.getMethodName().startsWith("m"))
        .findFirst().map(f -> {
          int k = Integer.parseInt(f.getMethodName().substring(1));
          return methods[k] + " (" + files[k] + (f.getLineNumber() >= 0 ? ":" + f.getLineNumber() : "") + ")";
        }).orElse(methods[0]));
  }

  /** The copy of a kernel the translator took: its methods and the constants it read. */
  static RaceCopy define(KernelMethod kernel, KernelModel model) {
    Map<String, ConstantDesc> constants = new HashMap<>();
    for (KernelModel.StaticConstant c : model.constants()) {
      constants.put(c.owner().getName().replace('.', '/') + "." + c.name(), switch (c.value().kind()) {
        case INT -> c.value().intValue();
        case LONG -> c.value().longValue();
        case FLOAT -> c.value().floatValue();
        case DOUBLE -> c.value().doubleValue();
      });
    }
    return define(kernel, model.methods(), constants);
  }

  /**
   * The copy of {@code refs} (the kernel first), with the static finals in {@code constants} (by
   * {@code owner/internal/Name.field}) in place of their reads.
   */
  static RaceCopy define(KernelMethod kernel, List<KernelModel.MethodRef> refs, Map<String, ConstantDesc> constants) {
    Map<String, Integer> index = new HashMap<>();
    for (int k = 0; k < refs.size(); k++) index.put(key(refs.get(k)), k);
    String[] methods = new String[refs.size()];
    String[] files = new String[refs.size()];
    MethodModel[] sources = new MethodModel[refs.size()];
    // Each class parsed once, however many of its methods the kernel calls.
    Map<Class<?>, ClassModel> parsed = new HashMap<>();
    for (int k = 0; k < refs.size(); k++) {
      KernelModel.MethodRef ref = refs.get(k);
      ClassModel classModel = parsed.computeIfAbsent(ref.owner(), type -> ClassFile.of().parse(bytes(type)));
      files[k] = classModel.findAttribute(Attributes.sourceFile()).map(a -> a.sourceFile().stringValue())
          .orElse("Unknown Source");
      methods[k] = ref.owner().getName().substring(ref.owner().getName().lastIndexOf('.') + 1) + "." + ref.name();
      for (MethodModel m : classModel.methods()) {
        if (m.methodName().equalsString(ref.name()) && m.methodTypeSymbol().equals(ref.type())) sources[k] = m;
      }
    }
    ClassFile files0 = ClassFile.of(ClassFile.ClassHierarchyResolverOption.of(ClassHierarchyResolver
        .defaultResolver().orElse(ClassHierarchyResolver.ofClassLoading(kernel.owner().getClassLoader()))));
    byte[] bytes = files0.build(SELF, cb -> {
      cb.withFlags(AccessFlag.FINAL, AccessFlag.SYNTHETIC);
      cb.withInterfaceSymbols(ClassDesc.of(CpuKernels.Loop.class.getName()));
      cb.withMethodBody(ConstantDescs.INIT_NAME, ConstantDescs.MTD_void, ClassFile.ACC_PUBLIC,
          c -> c.aload(0).invokespecial(CD_Object, ConstantDescs.INIT_NAME, ConstantDescs.MTD_void).return_());
      for (int k = 0; k < refs.size(); k++) {
        MethodModel source = sources[k];
        cb.withMethod("m" + k, refs.get(k).type(), ClassFile.ACC_STATIC | ClassFile.ACC_PRIVATE, mb -> mb
            .transformCode(source.code().orElseThrow(), (c, e) -> instrument(c, e, index, constants)));
      }
      MethodTypeDesc range = MethodTypeDesc.of(CD_void, CD_int, CD_int, CD_Object.arrayType());
      cb.withMethodBody("run", range, ClassFile.ACC_PUBLIC, c -> loop(c, refs.getFirst().type(), false));
      cb.withMethodBody("sum", range.changeReturnType(CD_double), ClassFile.ACC_PUBLIC,
          c -> loop(c, refs.getFirst().type(), true));
    });
    try {
      MethodHandles.Lookup lookup = MethodHandles.lookup().defineHiddenClass(bytes, true);
      CpuKernels.Loop loop = (CpuKernels.Loop) lookup.findConstructor(lookup.lookupClass(),
          MethodType.methodType(void.class)).invoke();
      return new RaceCopy(loop, lookup.lookupClass(), methods, files, null);
    } catch (Throwable e) {
      throw new IllegalStateException("cannot define the race-checking copy of " + kernel.displayName(), e);
    }
  }

  private static String key(KernelModel.MethodRef ref) {
    return ref.owner().getName().replace('.', '/') + "." + ref.name() + ref.type().descriptorString();
  }

  private static byte[] bytes(Class<?> type) {
    try (InputStream in = type.getResourceAsStream("/" + type.getName().replace('.', '/') + ".class")) {
      if (in == null) throw new IllegalArgumentException("the class file of " + type.getName() + " cannot be read");
      return in.readAllBytes();
    } catch (IOException e) {
      throw new IllegalArgumentException("the class file of " + type.getName() + " cannot be read", e);
    }
  }

  private static void instrument(CodeBuilder c, CodeElement e, Map<String, Integer> index,
      Map<String, ConstantDesc> constants) {
    switch (e) {
      case ArrayLoadInstruction a when !recorded(a.typeKind()) -> c.with(e);
      case ArrayStoreInstruction a when !recorded(a.typeKind()) -> c.with(e);
      case ArrayLoadInstruction a -> {
        ClassDesc element = element(a.typeKind());
        c.invokestatic(RECORDER, "load" + letter(a.typeKind()),
            MethodTypeDesc.of(element, element.arrayType(), CD_int));
      }
      case ArrayStoreInstruction a -> {
        ClassDesc element = element(a.typeKind());
        c.invokestatic(RECORDER, "store" + letter(a.typeKind()),
            MethodTypeDesc.of(CD_void, element.arrayType(), CD_int, element));
      }
      case OperatorInstruction o when o.opcode() == Opcode.IDIV || o.opcode() == Opcode.IREM
          || o.opcode() == Opcode.LDIV || o.opcode() == Opcode.LREM -> {
        boolean wide = o.opcode() == Opcode.LDIV || o.opcode() == Opcode.LREM;
        ClassDesc t = wide ? ConstantDescs.CD_long : CD_int;
        c.invokestatic(RECORDER, (wide ? "l" : "i") + (o.opcode().name().endsWith("DIV") ? "div" : "rem"),
            MethodTypeDesc.of(t, t, t));
      }
      case InvokeInstruction i when i.opcode() == Opcode.INVOKESTATIC -> {
        String owner = i.owner().asInternalName();
        String name = i.name().stringValue();
        Integer copy = index.get(owner + "." + name + i.typeSymbol().descriptorString());
        if (copy != null) {
          c.invokestatic(SELF, "m" + copy, i.typeSymbol());
        } else if (owner.equals("dev/pincette/Atomics") || owner.equals("java/lang/Math")
            && (name.equals("floorDiv") || name.equals("floorMod")) && i.typeSymbol().parameterCount() == 2
            && i.typeSymbol().parameterType(0).equals(i.typeSymbol().parameterType(1))) {
          c.invokestatic(RECORDER, name, i.typeSymbol());
        } else {
          c.with(e);
        }
      }
      case FieldInstruction f when f.opcode() == Opcode.GETSTATIC -> {
        String key = f.owner().asInternalName() + "." + f.name().stringValue();
        if (f.name().equalsString("$assertionsDisabled")) c.iconst_1();
        else if (constants.containsKey(key)) c.ldc(constants.get(key));
        else c.with(e);
      }
      default -> c.with(e);
    }
  }

  /** Whether accesses to arrays of {@code kind} are recorded: those of the element types kernels take on a device. */
  private static boolean recorded(TypeKind kind) {
    return kind == TypeKind.BYTE || kind == TypeKind.INT || kind == TypeKind.LONG || kind == TypeKind.FLOAT
        || kind == TypeKind.DOUBLE;
  }

  private static ClassDesc element(TypeKind kind) {
    return switch (kind) {
      case BYTE -> ConstantDescs.CD_byte;
      case INT -> CD_int;
      case LONG -> ConstantDescs.CD_long;
      case FLOAT -> ConstantDescs.CD_float;
      case DOUBLE -> CD_double;
      default -> throw new IllegalArgumentException("array of " + kind);
    };
  }

  private static String letter(TypeKind kind) {
    return switch (kind) {
      case BYTE -> "B";
      case INT -> "I";
      case LONG -> "J";
      case FLOAT -> "F";
      case DOUBLE -> "D";
      default -> throw new IllegalArgumentException("array of " + kind);
    };
  }

  /**
   * {@code for (i = from; i < to; i++) { RaceRecorder.begin(i); m0(i, arguments...); }}, the arguments unboxed and
   * cast once; a sum adds each result, widened to float as the kernel's interface does, into a double.
   */
  private static void loop(CodeBuilder c, MethodTypeDesc kernel, boolean sum) {
    String returns = kernel.returnType().descriptorString();
    if (sum && returns.equals("V")) {
      ClassDesc unsupported = ClassDesc.of("java.lang.UnsupportedOperationException");
      c.new_(unsupported).dup().invokespecial(unsupported, ConstantDescs.INIT_NAME, ConstantDescs.MTD_void).athrow();
      return;
    }
    int slot = 4;
    int[] slots = new int[kernel.parameterCount()];
    for (int p = 1; p < kernel.parameterCount(); p++) {
      ClassDesc type = kernel.parameterType(p);
      c.aload(3).ldc(p - 1).aaload();
      slots[p] = slot;
      TypeKind kind = TypeKind.from(type);
      if (type.isPrimitive()) {
        ClassDesc box = box(type);
        c.checkcast(box).invokevirtual(box, type.displayName() + "Value", MethodTypeDesc.of(type));
      } else {
        c.checkcast(type);
      }
      c.storeLocal(kind, slot);
      slot += kind.slotSize();
    }
    int item = slot;
    int total = slot + 1;
    if (sum) c.dconst_0().dstore(total);
    c.iload(1).istore(item);
    Label head = c.newBoundLabel();
    Label end = c.newLabel();
    c.iload(item).iload(2).if_icmpge(end);
    c.iload(item).invokestatic(RECORDER, "begin", MethodTypeDesc.of(CD_void, CD_int));
    if (sum) c.dload(total);
    c.iload(item);
    for (int p = 1; p < kernel.parameterCount(); p++) c.loadLocal(TypeKind.from(kernel.parameterType(p)), slots[p]);
    c.invokestatic(SELF, "m0", kernel);
    if (sum) {
      // The kernel's own return type (a method reference may return any type widening to float), as its
      // FloatKernel's float: int, short, byte and char through i2f, long through l2f.
      switch (returns) {
        case "I", "S", "B", "C" -> c.i2f();
        case "J" -> c.l2f();
        default -> { }
      }
      c.f2d().dadd().dstore(total);
    } else if (!returns.equals("V")) {
      // A method reference to a method that returns a value, run by forEach: the value is dropped.
      if (returns.equals("J") || returns.equals("D")) c.pop2();
      else c.pop();
    }
    c.iinc(item, 1).goto_(head);
    c.labelBinding(end);
    if (sum) c.dload(total).dreturn();
    else c.return_();
  }

  private static ClassDesc box(ClassDesc primitive) {
    return switch (primitive.descriptorString()) {
      case "I" -> ClassDesc.of("java.lang.Integer");
      case "J" -> ClassDesc.of("java.lang.Long");
      case "F" -> ClassDesc.of("java.lang.Float");
      case "D" -> ClassDesc.of("java.lang.Double");
      default -> throw new IllegalArgumentException(primitive.descriptorString());
    };
  }
}
