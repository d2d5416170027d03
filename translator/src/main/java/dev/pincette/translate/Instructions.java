package dev.pincette.translate;

import dev.pincette.translate.Expr.Copy;
import dev.pincette.translate.Value.Const;
import dev.pincette.translate.Value.Var;
import java.lang.classfile.Instruction;
import java.lang.classfile.MethodModel;
import java.lang.classfile.Opcode;
import java.lang.classfile.TypeKind;
import java.lang.classfile.instruction.ArrayLoadInstruction;
import java.lang.classfile.instruction.ArrayStoreInstruction;
import java.lang.classfile.instruction.ConstantInstruction;
import java.lang.classfile.instruction.ConvertInstruction;
import java.lang.classfile.instruction.DiscontinuedInstruction;
import java.lang.classfile.instruction.FieldInstruction;
import java.lang.classfile.instruction.IncrementInstruction;
import java.lang.classfile.instruction.InvokeDynamicInstruction;
import java.lang.classfile.instruction.InvokeInstruction;
import java.lang.classfile.instruction.LoadInstruction;
import java.lang.classfile.instruction.MonitorInstruction;
import java.lang.classfile.instruction.NewMultiArrayInstruction;
import java.lang.classfile.instruction.NewObjectInstruction;
import java.lang.classfile.instruction.NewPrimitiveArrayInstruction;
import java.lang.classfile.instruction.NewReferenceArrayInstruction;
import java.lang.classfile.instruction.NopInstruction;
import java.lang.classfile.instruction.OperatorInstruction;
import java.lang.classfile.instruction.StackInstruction;
import java.lang.classfile.instruction.StoreInstruction;
import java.lang.classfile.instruction.TypeCheckInstruction;
import java.lang.constant.MethodTypeDesc;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/** The instructions that do not end a block, read into statements of a {@link MethodReader}. */
final class Instructions {
  private final MethodReader reader;

  Instructions(MethodReader reader) {
    this.reader = reader;
  }

  static Kind kind(TypeKind type) {
    return switch (type) {
      case INT, BYTE, SHORT, CHAR, BOOLEAN -> Kind.INT;
      case LONG -> Kind.LONG;
      case FLOAT -> Kind.FLOAT;
      case DOUBLE -> Kind.DOUBLE;
      default -> throw new IllegalArgumentException(type.toString());
    };
  }

  /** The kind of a primitive field descriptor, or null for references and void. */
  static Kind primitiveKind(String descriptor) {
    return switch (descriptor) {
      case "I", "B", "S", "C", "Z" -> Kind.INT;
      case "J" -> Kind.LONG;
      case "F" -> Kind.FLOAT;
      case "D" -> Kind.DOUBLE;
      default -> null;
    };
  }

  void step(Instruction ins, Frame frame) {
    switch (ins) {
      case LoadInstruction load -> load(load, frame);
      case StoreInstruction store -> store(store, frame);
      case IncrementInstruction inc -> {
        Var local = reader.local(inc.slot(), Kind.INT);
        reader.assign(local, reader.binary(Op.ADD_I, local, Const.ofInt(inc.constant())));
      }
      case ConstantInstruction c -> frame.push(new Item.Prim(constant(c.constantValue())));
      case OperatorInstruction o -> operator(o, frame);
      case ConvertInstruction c -> {
        Value v = frame.popPrim(kind(c.fromType()));
        Op op = Op.valueOf(c.opcode().name());
        Var t = reader.temporary(op.result);
        reader.assign(t, new Expr.Unary(op, v));
        frame.push(new Item.Prim(t));
      }
      case ArrayLoadInstruction a -> arrayLoad(a, frame);
      case ArrayStoreInstruction a -> arrayStore(a, frame);
      case StackInstruction s -> stack(s.opcode(), frame);
      case InvokeInstruction inv -> invoke(inv, frame);
      case FieldInstruction f -> field(f, frame);
      case NewObjectInstruction n -> {
        String name = n.className().asInternalName();
        Class<?> type = reader.resolve(name);
        reader.fail(Throwable.class.isAssignableFrom(type) ? "throwing " + type.getName()
            : "allocation of " + type.getName());
      }
      case NewPrimitiveArrayInstruction n -> reader.fail("allocation of "
          + n.typeKind().name().toLowerCase(Locale.ROOT) + "[]");
      case NewReferenceArrayInstruction n -> reader.fail("allocation of "
          + ClassFiles.javaName(n.componentType().asInternalName()) + "[]");
      case NewMultiArrayInstruction n -> reader.fail("allocation of "
          + ClassFiles.javaName(n.arrayType().asInternalName()));
      case TypeCheckInstruction t -> reader.fail((t.opcode() == Opcode.INSTANCEOF ? "instanceof " : "a cast to ")
          + ClassFiles.javaName(t.type().asInternalName()));
      case MonitorInstruction m -> reader.fail("a synchronized block");
      case InvokeDynamicInstruction indy -> reader.fail(indyName(indy));
      case DiscontinuedInstruction d -> reader.fail("the instruction " + d.opcode());
      case NopInstruction n -> { }
      default -> reader.fail("the instruction " + ins.opcode());
    }
  }

  private static String indyName(InvokeDynamicInstruction indy) {
    String bootstrap = indy.bootstrapMethod().owner().descriptorString();
    if (bootstrap.contains("StringConcatFactory")) return "string concatenation";
    if (bootstrap.contains("LambdaMetafactory")) return "a lambda or method reference";
    return "invokedynamic";
  }

  private void load(LoadInstruction load, Frame frame) {
    if (load.typeKind() == TypeKind.REFERENCE) {
      Item item = frame.locals[load.slot()];
      if (item instanceof Item.Conflict c) reader.fail("a variable that refers to " + c.description());
      if (item == null) reader.fail("a reference that is not a parameter");
      frame.push(item);
      return;
    }
    Kind kind = kind(load.typeKind());
    Var t = reader.temporary(kind);
    reader.assign(t, new Copy(reader.local(load.slot(), kind)));
    frame.push(new Item.Prim(t));
  }

  private void store(StoreInstruction store, Frame frame) {
    if (store.typeKind() == TypeKind.REFERENCE) {
      Item item = frame.pop();
      if (item instanceof Item.Conflict c) reader.fail("a variable that refers to " + c.description());
      frame.locals[store.slot()] = item;
      return;
    }
    Kind kind = kind(store.typeKind());
    Value v = frame.popPrim(kind);
    reader.assign(reader.local(store.slot(), kind), new Copy(v));
    frame.locals[store.slot()] = null;
    if (kind.wide()) frame.locals[store.slot() + 1] = null;
  }

  private Value constant(java.lang.constant.ConstantDesc value) {
    return switch (value) {
      case Integer i -> Const.ofInt(i);
      case Long l -> Const.ofLong(l);
      case Float f -> Const.ofFloat(f);
      case Double d -> Const.ofDouble(d);
      case null -> throw reader.failure("null");
      case String s -> throw reader.failure("a String");
      default -> throw reader.failure("the constant " + value);
    };
  }

  private void operator(OperatorInstruction o, Frame frame) {
    Opcode opcode = o.opcode();
    if (opcode == Opcode.ARRAYLENGTH) {
      Item.ArrayRef array = array(frame.pop());
      reader.kernel.use(array.param(), KernelBuilder.LENGTH);
      Var t = reader.temporary(Kind.INT);
      reader.assign(t, new Expr.Length(array.param()));
      frame.push(new Item.Prim(t));
      return;
    }
    Op op = operatorOp(opcode);
    Value right = op.operands.size() == 2 ? frame.popPrim(op.operands.get(1)) : null;
    Value left = frame.popPrim(op.operands.getFirst());
    Var t = reader.temporary(op.result);
    reader.assign(t, right == null ? new Expr.Unary(op, left) : reader.binary(op, left, right));
    frame.push(new Item.Prim(t));
  }

  private static Op operatorOp(Opcode opcode) {
    String name = opcode.name();
    return switch (name) {
      case "LCMP" -> Op.CMP_L;
      case "FCMPL" -> Op.CMPL_F;
      case "FCMPG" -> Op.CMPG_F;
      case "DCMPL" -> Op.CMPL_D;
      case "DCMPG" -> Op.CMPG_D;
      default -> {
        // IADD -> ADD_I, LUSHR -> USHR_L, ...
        char type = name.charAt(0);
        yield Op.valueOf(name.substring(1) + "_" + (type == 'I' ? 'I' : type == 'L' ? 'L' : type == 'F' ? 'F' : 'D'));
      }
    };
  }

  private Item.ArrayRef array(Item item) {
    return switch (item) {
      case Item.ArrayRef a -> a;
      case Item.Conflict c -> throw reader.failure("an array that may be " + c.description());
      default -> throw reader.failure("an array that is not a parameter");
    };
  }

  private Item.ArrayRef checkedArray(Item item, TypeKind elements) {
    Item.ArrayRef array = array(item);
    boolean matches = switch (elements) {
      case BYTE -> array.type() == ElementType.BYTE;
      case INT -> array.type() == ElementType.INT;
      case LONG -> array.type() == ElementType.LONG;
      case FLOAT -> array.type() == ElementType.FLOAT;
      case DOUBLE -> array.type() == ElementType.DOUBLE;
      default -> false;
    };
    if (!matches) reader.fail("an array of " + elements.name().toLowerCase(Locale.ROOT) + " elements");
    return array;
  }

  private void arrayLoad(ArrayLoadInstruction a, Frame frame) {
    Value index = frame.popPrim(Kind.INT);
    Item.ArrayRef array = checkedArray(frame.pop(), a.typeKind());
    reader.kernel.use(array.param(), KernelBuilder.READ);
    Var t = reader.temporary(array.type().kind);
    reader.assign(t, new Expr.Load(array.param(), array.type(), index));
    frame.push(new Item.Prim(t));
  }

  private void arrayStore(ArrayStoreInstruction a, Frame frame) {
    if (a.typeKind() == TypeKind.REFERENCE) reader.fail("storing a reference into an array");
    Value value = frame.popPrim(kind(a.typeKind()));
    Value index = frame.popPrim(Kind.INT);
    Item.ArrayRef array = checkedArray(frame.pop(), a.typeKind());
    reader.kernel.use(array.param(), KernelBuilder.WRITTEN);
    reader.store(new Stmt.Store(array.param(), array.type(), index, value, reader.site()));
  }

  /** The JVM's stack shuffles, by words: long and double take two. */
  private void stack(Opcode op, Frame frame) {
    switch (op) {
      case POP -> popWords(frame, 1);
      case POP2 -> popWords(frame, 2);
      case DUP -> dup(frame, 1, 0);
      case DUP_X1 -> dup(frame, 1, 1);
      case DUP_X2 -> dup(frame, 1, 2);
      case DUP2 -> dup(frame, 2, 0);
      case DUP2_X1 -> dup(frame, 2, 1);
      case DUP2_X2 -> dup(frame, 2, 2);
      case SWAP -> {
        Item a = frame.pop();
        Item b = frame.pop();
        frame.push(a);
        frame.push(b);
      }
      default -> throw new IllegalStateException(op.toString());
    }
  }

  private static List<Item> popWords(Frame frame, int words) {
    List<Item> items = new ArrayList<>();
    int taken = 0;
    while (taken < words) {
      Item item = frame.pop();
      items.add(item);
      taken += item.words();
    }
    Collections.reverse(items);
    return items;
  }

  /** Copies the top {@code words} and inserts the copy below the {@code skip} words beneath them. */
  private static void dup(Frame frame, int words, int skip) {
    List<Item> top = popWords(frame, words);
    List<Item> under = popWords(frame, skip);
    top.forEach(frame::push);
    under.forEach(frame::push);
    top.forEach(frame::push);
  }

  private void invoke(InvokeInstruction inv, Frame frame) {
    String owner = inv.owner().asInternalName();
    String name = inv.name().stringValue();
    MethodTypeDesc type = inv.typeSymbol();
    switch (inv.opcode()) {
      case INVOKESTATIC -> {
        JdkMethods.Mapping mapping = JdkMethods.lookup(owner, name, type.descriptorString());
        if (mapping != null) {
          intrinsic(mapping, type, frame);
          return;
        }
        Class<?> declaring = reader.resolve(owner);
        if (ClassFiles.isJdk(declaring) || owner.equals(JdkMethods.ATOMICS)) {
          reader.fail("a call to " + ClassFiles.signature(owner, name, type));
        }
        MethodModel callee = find(declaring, name, type);
        if (callee == null) {
          reader.fail("a call to " + ClassFiles.signature(owner, name, type) + ", which cannot be found,");
        }
        List<Item> arguments = arguments(type, frame, owner, name);
        reader.inline(declaringClass, callee, arguments, frame);
      }
      case INVOKEVIRTUAL -> unbox(owner, name, type, frame);
      case INVOKEINTERFACE ->
          reader.fail("a call to the interface method " + ClassFiles.signature(owner, name, type));
      default -> reader.fail(name.equals("<init>") ? "a constructor call of " + ClassFiles.javaName(owner)
          : "a call to the instance method " + ClassFiles.signature(owner, name, type));
    }
  }

  /** Set by {@link #find}: the class that declares the method found (a static method may be inherited). */
  private Class<?> declaringClass;

  private MethodModel find(Class<?> type, String name, MethodTypeDesc desc) {
    for (Class<?> c = type; c != null; c = c.getSuperclass()) {
      if (ClassFiles.isJdk(c)) return null;
      MethodModel m = ClassFiles.method(reader.kernel.classModel(c, reader.position()), name, desc);
      if (m != null) {
        declaringClass = c;
        return m;
      }
    }
    return null;
  }

  /** Pops a call's arguments, checking that each is something a kernel can pass. */
  private List<Item> arguments(MethodTypeDesc type, Frame frame, String owner, String name) {
    List<Item> args = new ArrayList<>();
    for (int k = type.parameterCount() - 1; k >= 0; k--) {
      String d = type.parameterType(k).descriptorString();
      Item item = frame.pop();
      boolean ok = switch (item) {
        case Item.Prim p -> primitiveKind(d) == p.kind();
        case Item.ArrayRef a -> d.equals("[" + descriptor(a.type()));
        case Item.BoxRef b -> ElementType.ofBox(d) == b.type();
        case Item.Conflict c -> throw reader.failure("passing an array that may be " + c.description());
      };
      if (!ok) {
        reader.fail("passing " + describe(item) + " as a " + ClassFiles.descriptorName(d) + " to "
            + ClassFiles.signature(owner, name, type));
      }
      args.add(item);
    }
    Collections.reverse(args);
    return args;
  }

  private static String describe(Item item) {
    return switch (item) {
      case Item.ArrayRef a -> a.name();
      case Item.BoxRef b -> b.name();
      default -> "a value";
    };
  }

  static String descriptor(ElementType type) {
    return switch (type) {
      case BYTE -> "B";
      case INT -> "I";
      case LONG -> "J";
      case FLOAT -> "F";
      case DOUBLE -> "D";
    };
  }

  private void intrinsic(JdkMethods.Mapping mapping, MethodTypeDesc type, Frame frame) {
    if (mapping.op() != null) {
      Op op = mapping.op();
      Value right = frame.popPrim(op.operands.get(1));
      Value left = frame.popPrim(op.operands.get(0));
      Var t = reader.temporary(op.result);
      reader.assign(t, reader.binary(op, left, right));
      frame.push(new Item.Prim(t));
      return;
    }
    Intrinsic f = mapping.intrinsic();
    if (f.atomic()) {
      Value operand = frame.popPrim(f.operands.getFirst());
      Value index = frame.popPrim(Kind.INT);
      Item.ArrayRef array = array(frame.pop());
      for (int use : new int[] {KernelBuilder.READ, KernelBuilder.WRITTEN, KernelBuilder.ATOMIC}) {
        reader.kernel.use(array.param(), use);
      }
      Var t = reader.temporary(f.result);
      reader.assign(t, new Expr.Atomic(f, array.param(), array.type(), index, operand));
      frame.push(new Item.Prim(t));
      return;
    }
    Value[] args = new Value[f.operands.size()];
    for (int k = args.length - 1; k >= 0; k--) args[k] = frame.popPrim(f.operands.get(k));
    Var t = reader.temporary(f.result);
    reader.assign(t, new Expr.Call(f, List.of(args)));
    frame.push(new Item.Prim(t));
  }

  /** {@code Float.floatValue()} and its kin on a boxed scalar parameter; any other instance call is unsupported. */
  private void unbox(String owner, String name, MethodTypeDesc type, Frame frame) {
    ElementType box = ElementType.ofBox("L" + owner + ";");
    Kind wanted = primitiveKind(type.returnType().descriptorString());
    boolean unboxing = box != null && type.parameterCount() == 0 && wanted != null
        && name.equals(type.returnType().displayName() + "Value");
    if (!unboxing || !(frame.stack.getLast() instanceof Item.BoxRef ref)) {
      reader.fail("a call to the instance method " + ClassFiles.signature(owner, name, type));
      return;
    }
    frame.pop();
    Value value = ref.value();
    if (ref.type().kind != wanted) {
      Var t = reader.temporary(wanted);
      reader.assign(t, new Expr.Unary(Op.valueOf(letter(ref.type().kind) + "2" + letter(wanted)), value));
      value = t;
    }
    // byteValue() and shortValue() are (byte) and (short) of the int value: narrowed as i2b and i2s narrow.
    String returns = type.returnType().descriptorString();
    if (returns.equals("B") || returns.equals("S")) {
      Var t = reader.temporary(Kind.INT);
      reader.assign(t, new Expr.Unary(returns.equals("B") ? Op.I2B : Op.I2S, value));
      value = t;
    }
    frame.push(new Item.Prim(value));
  }

  private static String letter(Kind kind) {
    return switch (kind) {
      case INT -> "I";
      case LONG -> "L";
      case FLOAT -> "F";
      case DOUBLE -> "D";
    };
  }

  /**
   * Static final primitive fields are read once, here, and become constants ({@code javac} already inlines
   * compile-time constants). {@code $assertionsDisabled} reads as true: {@code assert} statements are not run in
   * kernels translated for a device.
   */
  private void field(FieldInstruction f, Frame frame) {
    String owner = f.owner().asInternalName();
    String name = f.name().stringValue();
    String where = ClassFiles.javaName(owner) + "." + name;
    if (f.opcode() == Opcode.PUTSTATIC) reader.fail("writing the static field " + where);
    if (f.opcode() != Opcode.GETSTATIC) reader.fail("the instance field " + where);
    String descriptor = f.typeSymbol().descriptorString();
    if (primitiveKind(descriptor) == null) {
      reader.fail("reading the static field " + where + " of type " + ClassFiles.descriptorName(descriptor));
    }
    if (name.equals("$assertionsDisabled")) {
      frame.push(new Item.Prim(Const.ofInt(1)));
      return;
    }
    Class<?> type = reader.resolve(owner);
    Field field = staticField(type, name);
    if (field == null || !Modifier.isStatic(field.getModifiers())) reader.fail("the field " + where);
    if (!Modifier.isFinal(field.getModifiers())) {
      reader.fail("reading the static field " + where + ", which is not final,");
    }
    if (initialisingHere(field.getDeclaringClass())) {
      // Its initialiser leads to this translation: the field may not hold its value yet. Translate it later.
      throw new UnsupportedKernelException(reader.position(), "reading " + where + " while "
          + field.getDeclaringClass().getName() + " is being initialised (its static initialiser leads to this "
          + "translation): the kernel translates once the class is initialised", false);
    }
    Object value;
    try {
      if (!field.canAccess(null) && !field.trySetAccessible()) {
        reader.fail("reading " + where + ", which Pincette may not read (make it a compile-time constant, or open "
            + type.getPackageName() + " to dev.pincette.translate),");
      }
      value = field.get(null);
    } catch (IllegalAccessException e) {
      throw reader.failure("reading " + where + " (" + e + ")");
    } catch (ExceptionInInitializerError e) {
      throw reader.failure("reading " + where + ", whose class failed to initialise (" + e.getCause() + "),");
    }
    Const c = switch (value) {
      case Boolean b -> Const.ofInt(b ? 1 : 0);
      case Character ch -> Const.ofInt(ch);
      case Byte b -> Const.ofInt(b);
      case Short s -> Const.ofInt(s);
      case Integer i -> Const.ofInt(i);
      case Long l -> Const.ofLong(l);
      case Float fl -> Const.ofFloat(fl);
      case Double d -> Const.ofDouble(d);
      default -> throw new IllegalStateException(String.valueOf(value));
    };
    reader.kernel.constants.putIfAbsent(type.getName() + "." + name, new KernelModel.StaticConstant(type, name, c));
    frame.push(new Item.Prim(c));
  }

  private static final StackWalker WALKER = StackWalker.getInstance(StackWalker.Option.RETAIN_CLASS_REFERENCE);

  /** Whether the calling thread is running {@code type}'s static initialiser. */
  private static boolean initialisingHere(Class<?> type) {
    return WALKER.walk(frames -> frames.anyMatch(f -> f.getDeclaringClass() == type
        && f.getMethodName().equals("<clinit>")));
  }

  private static Field staticField(Class<?> type, String name) {
    for (Class<?> c = type; c != null; c = c.getSuperclass()) {
      try {
        return c.getDeclaredField(name);
      } catch (NoSuchFieldException e) {
        for (Class<?> i : c.getInterfaces()) {
          Field f = staticField(i, name);
          if (f != null) return f;
        }
      }
    }
    return null;
  }
}
