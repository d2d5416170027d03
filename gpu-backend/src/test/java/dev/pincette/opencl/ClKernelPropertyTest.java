package dev.pincette.opencl;

import static java.lang.constant.ConstantDescs.CD_double;
import static java.lang.constant.ConstantDescs.CD_float;
import static java.lang.constant.ConstantDescs.CD_int;
import static java.lang.constant.ConstantDescs.CD_long;
import static java.lang.constant.ConstantDescs.CD_void;

import dev.pincette.BackendKind;
import dev.pincette.Compute;
import dev.pincette.Kernel8;
import java.lang.classfile.ClassFile;
import java.lang.classfile.CodeBuilder;
import java.lang.classfile.Label;
import java.lang.classfile.Opcode;
import java.lang.classfile.TypeKind;
import java.lang.constant.ClassDesc;
import java.lang.constant.MethodTypeDesc;
import java.lang.invoke.LambdaMetafactory;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.reflect.AccessFlag;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicInteger;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.BeforeContainer;
import org.junit.jupiter.api.Assertions;

/**
 * Random arithmetic expressions over int, long, float and double (operators, conversions, comparisons, exact Math
 * calls, loops, and the stack shuffles {@code swap}, {@code dup}, {@code dup2}, {@code dup_x1}, {@code pop} and
 * {@code pop2} with their values crossing blocks) compiled straight to bytecode with {@code java.lang.classfile}, as a kernel method of a generated class with
 * one result per expression: the JVM and the OpenCL device must agree bit for bit. Each try is one batch of
 * expressions in one kernel, so one device build; bytecode written here also tests shapes javac does not emit.
 */
class ClKernelPropertyTest {
  private static final int ITEMS = 256;
  private static final int PER_KIND = 12;
  private static final AtomicInteger CLASSES = new AtomicInteger();

  @BeforeContainer
  static void requireDevice() {
    ClTestDevice.require(new ClBackend(null, null, false, true));
  }

  /** An expression of one kind, written as bytecode, shown as Java. */
  private sealed interface Expr {
    TypeKind kind();

    void emit(CodeBuilder c);
  }

  private record Input(TypeKind kind) implements Expr {
    public void emit(CodeBuilder c) {
      c.aload(1 + index(kind)).iload(0).arrayLoad(kind);
    }

    @Override
    public String toString() {
      return "in" + kind.name().charAt(0) + "[i]";
    }
  }

  private record Literal(TypeKind kind, Number value) implements Expr {
    public void emit(CodeBuilder c) {
      c.loadConstant((java.lang.constant.ConstantDesc) value);
    }

    @Override
    public String toString() {
      return value + (kind == TypeKind.LONG ? "L" : kind == TypeKind.FLOAT ? "f" : "");
    }
  }

  private record Binary(Opcode op, TypeKind kind, Expr left, Expr right) implements Expr {
    public void emit(CodeBuilder c) {
      left.emit(c);
      right.emit(c);
      String name = op.name().substring(1);
      if ((kind == TypeKind.INT || kind == TypeKind.LONG) && (name.equals("DIV") || name.equals("REM"))) {
        // A zero divisor becomes 1: division by zero is tested elsewhere, here every value must come out.
        Label nonZero = c.newLabel();
        if (kind == TypeKind.INT) {
          c.dup().ifne(nonZero).pop().iconst_1();
        } else {
          c.dup2().lconst_0().lcmp().ifne(nonZero).pop2().lconst_1();
        }
        c.labelBinding(nonZero);
      }
      c.with(java.lang.classfile.instruction.OperatorInstruction.of(op));
    }

    @Override
    public String toString() {
      return "(" + left + " " + op.name().substring(1) + " " + right + ")";
    }
  }

  private record Convert(TypeKind kind, Opcode op, Expr operand) implements Expr {
    public void emit(CodeBuilder c) {
      operand.emit(c);
      c.with(java.lang.classfile.instruction.ConvertInstruction.of(op));
    }

    @Override
    public String toString() {
      return op.name().toLowerCase() + "(" + operand + ")";
    }
  }

  /** {@code left cmp right ? ifTrue : ifFalse}; floating comparisons by FCMPL or FCMPG, as javac picks them. */
  private record Select(Expr left, Opcode compare, Opcode branch, Expr ifTrue, Expr ifFalse) implements Expr {
    public TypeKind kind() {
      return ifTrue.kind();
    }

    public void emit(CodeBuilder c) {
      Label otherwise = c.newLabel();
      Label end = c.newLabel();
      left.emit(c);
      c.loadConstant(zero(left.kind()));
      if (compare != null) c.with(java.lang.classfile.instruction.OperatorInstruction.of(compare));
      c.branch(branch, otherwise);
      ifTrue.emit(c);
      c.goto_(end);
      c.labelBinding(otherwise);
      ifFalse.emit(c);
      c.labelBinding(end);
    }

    @Override
    public String toString() {
      return "(" + left + " " + branch + (compare == null ? "" : "/" + compare) + " 0 ? " + ifTrue + " : " + ifFalse
          + ")";
    }
  }

  private record MathCall(String name, TypeKind kind, List<Expr> arguments) implements Expr {
    public void emit(CodeBuilder c) {
      arguments.forEach(a -> a.emit(c));
      ClassDesc[] types = new ClassDesc[arguments.size()];
      for (int k = 0; k < types.length; k++) types[k] = desc(arguments.get(k).kind());
      c.invokestatic(ClassDesc.of("java.lang.Math"), name, MethodTypeDesc.of(desc(kind), types));
    }

    @Override
    public String toString() {
      return "Math." + name + arguments;
    }
  }

  /** Ends the block here: what is on the stack crosses into the next block, as at a merge point. */
  private static void boundary(CodeBuilder c) {
    Label next = c.newLabel();
    c.goto_(next);
    c.labelBinding(next);
  }

  private static boolean wide(TypeKind kind) {
    return kind == TypeKind.LONG || kind == TypeKind.DOUBLE;
  }

  /**
   * {@code x cmp 0 ? y + ifTrue : y - ifFalse}, with x and y pushed in that order, a block boundary, then a
   * {@code swap}: the branch tests x while y, shuffled to x's depth, stays on the stack (x an int, y an int or float).
   */
  private record SwapBranch(Expr x, Opcode branch, Expr y, Expr ifTrue, Expr ifFalse) implements Expr {
    public TypeKind kind() {
      return y.kind();
    }

    public void emit(CodeBuilder c) {
      Label otherwise = c.newLabel();
      Label end = c.newLabel();
      x.emit(c);
      y.emit(c);
      boundary(c);
      c.swap();
      c.branch(branch, otherwise);
      ifTrue.emit(c);
      c.with(java.lang.classfile.instruction.OperatorInstruction.of(Opcode.valueOf(letter(kind()) + "ADD")));
      c.goto_(end);
      c.labelBinding(otherwise);
      ifFalse.emit(c);
      c.with(java.lang.classfile.instruction.OperatorInstruction.of(Opcode.valueOf(letter(kind()) + "SUB")));
      c.labelBinding(end);
    }

    @Override
    public String toString() {
      return "(swap " + x + " " + branch + " 0 ? " + y + " + " + ifTrue + " : " + y + " - " + ifFalse + ")";
    }
  }

  /** {@code op(x, x)} through {@code dup} (or {@code dup2}), the copies crossing a block boundary. */
  private record Dup(Opcode op, Expr x) implements Expr {
    public TypeKind kind() {
      return x.kind();
    }

    public void emit(CodeBuilder c) {
      x.emit(c);
      if (wide(x.kind())) c.dup2();
      else c.dup();
      boundary(c);
      c.with(java.lang.classfile.instruction.OperatorInstruction.of(op));
    }

    @Override
    public String toString() {
      return "dup(" + x + " " + op + ")";
    }
  }

  /** {@code op(b, op(a, b))} through {@code dup_x1} ({@code [a, b] -> [b, a, b]}), one word each. */
  private record DupX1(Opcode op, Expr a, Expr b) implements Expr {
    public TypeKind kind() {
      return a.kind();
    }

    public void emit(CodeBuilder c) {
      a.emit(c);
      b.emit(c);
      c.dup_x1();
      boundary(c);
      c.with(java.lang.classfile.instruction.OperatorInstruction.of(op));
      c.with(java.lang.classfile.instruction.OperatorInstruction.of(op));
    }

    @Override
    public String toString() {
      return "dup_x1(" + b + " " + op + " (" + a + " " + op + " " + b + "))";
    }
  }

  /** {@code kept}, with {@code dropped} computed after it and popped ({@code pop} or {@code pop2}). */
  private record Popped(Expr kept, Expr dropped) implements Expr {
    public TypeKind kind() {
      return kept.kind();
    }

    public void emit(CodeBuilder c) {
      kept.emit(c);
      dropped.emit(c);
      boundary(c);
      if (wide(dropped.kind())) c.pop2();
      else c.pop();
    }

    @Override
    public String toString() {
      return "(" + kept + ", pop " + dropped + ")";
    }
  }

  /**
   * {@code acc = init; for (j = 0; j < (count & 7); j++) acc = (acc op body) + j; acc}, with whatever the enclosing
   * expression left on the stack crossing the loop's blocks.
   */
  private record Loop(TypeKind kind, Expr count, Expr init, Opcode op, Expr body) implements Expr {
    public void emit(CodeBuilder c) {
      int n = c.allocateLocal(TypeKind.INT);
      int j = c.allocateLocal(TypeKind.INT);
      int acc = c.allocateLocal(kind);
      count.emit(c);
      c.loadConstant(7).iand().istore(n);
      init.emit(c);
      c.storeLocal(kind, acc);
      c.iconst_0().istore(j);
      Label head = c.newBoundLabel();
      Label end = c.newLabel();
      c.iload(j).iload(n).if_icmpge(end);
      c.loadLocal(kind, acc);
      body.emit(c);
      c.with(java.lang.classfile.instruction.OperatorInstruction.of(op));
      c.iload(j);
      if (kind != TypeKind.INT) c.with(java.lang.classfile.instruction.ConvertInstruction.of(TypeKind.INT, kind));
      c.with(java.lang.classfile.instruction.OperatorInstruction.of(Opcode.valueOf(letter(kind) + "ADD")));
      c.storeLocal(kind, acc);
      c.iinc(j, 1).goto_(head);
      c.labelBinding(end);
      c.loadLocal(kind, acc);
    }

    @Override
    public String toString() {
      return "loop(" + count + " & 7: acc = " + init + "; acc = acc " + op + " " + body + " + j)";
    }
  }

  private static Opcode arithmetic(Random rnd, TypeKind kind) {
    String[] ops = kind == TypeKind.INT || kind == TypeKind.LONG ? new String[] {"ADD", "SUB", "MUL", "XOR"}
        : new String[] {"ADD", "SUB", "MUL"};
    return Opcode.valueOf(letter(kind) + ops[rnd.nextInt(ops.length)]);
  }

  private static final TypeKind[] KINDS = {TypeKind.INT, TypeKind.LONG, TypeKind.FLOAT, TypeKind.DOUBLE};

  private static int index(TypeKind kind) {
    return switch (kind) {
      case INT -> 0;
      case LONG -> 1;
      case FLOAT -> 2;
      default -> 3;
    };
  }

  private static ClassDesc desc(TypeKind kind) {
    return switch (kind) {
      case INT -> CD_int;
      case LONG -> CD_long;
      case FLOAT -> CD_float;
      default -> CD_double;
    };
  }

  private static java.lang.constant.ConstantDesc zero(TypeKind kind) {
    return switch (kind) {
      case INT -> 0;
      case LONG -> 0L;
      case FLOAT -> 0f;
      default -> 0d;
    };
  }

  private static char letter(TypeKind kind) {
    return switch (kind) {
      case INT -> 'I';
      case LONG -> 'L';
      case FLOAT -> 'F';
      default -> 'D';
    };
  }

  /** A random expression of {@code kind}, at most {@code depth} deep. */
  private static Expr expression(Random rnd, TypeKind kind, int depth) {
    int choice = depth == 0 ? rnd.nextInt(2) : rnd.nextInt(12);
    switch (choice) {
      case 9: {
        if (kind == TypeKind.INT || kind == TypeKind.FLOAT) {
          Opcode[] branches = {Opcode.IFEQ, Opcode.IFNE, Opcode.IFLT, Opcode.IFGE, Opcode.IFGT, Opcode.IFLE};
          return new SwapBranch(expression(rnd, TypeKind.INT, depth - 1), branches[rnd.nextInt(6)],
              expression(rnd, kind, depth - 1), expression(rnd, kind, depth - 1), expression(rnd, kind, depth - 1));
        }
        return new Dup(arithmetic(rnd, kind), expression(rnd, kind, depth - 1));
      }
      case 10: {
        if ((kind == TypeKind.INT || kind == TypeKind.FLOAT) && rnd.nextBoolean()) {
          return new DupX1(arithmetic(rnd, kind), expression(rnd, kind, depth - 1), expression(rnd, kind, depth - 1));
        }
        return new Popped(expression(rnd, kind, depth - 1), expression(rnd, KINDS[rnd.nextInt(4)], depth - 1));
      }
      case 11:
        return new Loop(kind, expression(rnd, TypeKind.INT, depth - 1), expression(rnd, kind, depth - 1),
            arithmetic(rnd, kind), expression(rnd, kind, depth - 1));
      case 0:
        return new Input(kind);
      case 1:
        return new Literal(kind, literal(rnd, kind));
      case 2, 3, 4: {
        boolean integral = kind == TypeKind.INT || kind == TypeKind.LONG;
        String[] ops = integral ? new String[] {"ADD", "SUB", "MUL", "DIV", "REM", "AND", "OR", "XOR", "SHL", "SHR",
            "USHR"} : new String[] {"ADD", "SUB", "MUL", "DIV", "REM"};
        String op = ops[rnd.nextInt(ops.length)];
        boolean shift = op.endsWith("SH" + "L") || op.endsWith("SHR");
        Expr right = expression(rnd, shift ? TypeKind.INT : kind, depth - 1);
        return new Binary(Opcode.valueOf(letter(kind) + op), kind, expression(rnd, kind, depth - 1), right);
      }
      case 5: {
        if (rnd.nextInt(4) == 0) return new Binary(Opcode.valueOf(letter(kind) + "SUB"), kind,
            new Literal(kind, literal(rnd, kind)), expression(rnd, kind, depth - 1));
        TypeKind from = KINDS[rnd.nextInt(4)];
        if (from == kind) {
          if (kind != TypeKind.INT) return expression(rnd, kind, depth - 1);
          Opcode narrow = new Opcode[] {Opcode.I2B, Opcode.I2S, Opcode.I2C}[rnd.nextInt(3)];
          return new Convert(kind, narrow, expression(rnd, kind, depth - 1));
        }
        return new Convert(kind, Opcode.valueOf(letter(from) + "2" + letter(kind)), expression(rnd, from, depth - 1));
      }
      case 6: {
        TypeKind tested = KINDS[rnd.nextInt(4)];
        Opcode compare = switch (tested) {
          case INT -> null;
          case LONG -> Opcode.LCMP;
          case FLOAT -> rnd.nextBoolean() ? Opcode.FCMPL : Opcode.FCMPG;
          default -> rnd.nextBoolean() ? Opcode.DCMPL : Opcode.DCMPG;
        };
        Opcode[] branches = compare == null
            ? new Opcode[] {Opcode.IF_ICMPEQ, Opcode.IF_ICMPNE, Opcode.IF_ICMPLT, Opcode.IF_ICMPGE, Opcode.IF_ICMPGT,
                Opcode.IF_ICMPLE}
            : new Opcode[] {Opcode.IFEQ, Opcode.IFNE, Opcode.IFLT, Opcode.IFGE, Opcode.IFGT, Opcode.IFLE};
        return new Select(expression(rnd, tested, depth - 1), compare, branches[rnd.nextInt(6)],
            expression(rnd, kind, depth - 1), expression(rnd, kind, depth - 1));
      }
      default: {
        List<String> names = new ArrayList<>(List.of("abs", "min", "max"));
        // Not copySign: the sign of a NaN from arithmetic is the platform's (x86 makes it negative), and Java lets
        // Math.copySign read it either way.
        if (kind == TypeKind.FLOAT || kind == TypeKind.DOUBLE) names.addAll(List.of("fma", "signum"));
        if (kind == TypeKind.DOUBLE) names.addAll(List.of("sqrt", "floor", "ceil", "rint"));
        String name = names.get(rnd.nextInt(names.size()));
        int arity = switch (name) {
          case "min", "max" -> 2;
          case "fma" -> 3;
          default -> 1;
        };
        List<Expr> args = new ArrayList<>();
        for (int k = 0; k < arity; k++) args.add(expression(rnd, kind, depth - 1));
        return new MathCall(name, kind, args);
      }
    }
  }

  private static Number literal(Random rnd, TypeKind kind) {
    return switch (kind) {
      case INT -> EDGE_INTS[rnd.nextInt(EDGE_INTS.length)];
      case LONG -> EDGE_LONGS[rnd.nextInt(EDGE_LONGS.length)];
      case FLOAT -> EDGE_FLOATS[rnd.nextInt(EDGE_FLOATS.length)];
      default -> EDGE_DOUBLES[rnd.nextInt(EDGE_DOUBLES.length)];
    };
  }

  private static final Integer[] EDGE_INTS = {0, 1, -1, 2, 31, 32, 33, 255, Integer.MIN_VALUE, Integer.MAX_VALUE};
  private static final Long[] EDGE_LONGS = {0L, 1L, -1L, 63L, 64L, (long) Integer.MIN_VALUE, Long.MIN_VALUE,
      Long.MAX_VALUE, 1L << 53};
  private static final Float[] EDGE_FLOATS = {0f, -0f, 1f, -1f, 0.5f, Float.NaN, Float.POSITIVE_INFINITY,
      Float.NEGATIVE_INFINITY, Float.MIN_VALUE, Float.MIN_NORMAL, Float.MAX_VALUE, 2147483648f, 3e9f};
  private static final Double[] EDGE_DOUBLES = {0d, -0d, 1d, -1d, 0.5, Double.NaN, Double.POSITIVE_INFINITY,
      Double.NEGATIVE_INFINITY, Double.MIN_VALUE, Double.MIN_NORMAL, Double.MAX_VALUE, 9.3e18, 1e-300};

  @Provide
  Arbitrary<List<Expr>> batches() {
    return Arbitraries.randomValue(rnd -> {
      List<Expr> batch = new ArrayList<>();
      for (TypeKind kind : KINDS) {
        for (int k = 0; k < PER_KIND; k++) batch.add(expression(rnd, kind, 1 + rnd.nextInt(4)));
      }
      return batch;
    });
  }

  @Property(tries = 8, seed = "20261205")
  void randomExpressionsAgreeBitForBitOnTheJvmAndTheDevice(@ForAll("batches") List<Expr> batch) throws Throwable {
    Kernel8<int[], long[], float[], double[], int[], long[], float[], double[]> kernel = compile(batch);
    Random rnd = new Random(batch.toString().hashCode());
    int[] ints = new int[ITEMS];
    long[] longs = new long[ITEMS];
    float[] floats = new float[ITEMS];
    double[] doubles = new double[ITEMS];
    for (int i = 0; i < ITEMS; i++) {
      boolean edge = rnd.nextInt(3) == 0;
      ints[i] = edge ? (int) literal(rnd, TypeKind.INT) : rnd.nextInt();
      longs[i] = edge ? (long) literal(rnd, TypeKind.LONG) : rnd.nextLong();
      floats[i] = edge ? (float) literal(rnd, TypeKind.FLOAT) : (float) (rnd.nextGaussian() * Math.pow(10,
          rnd.nextInt(20) - 10));
      doubles[i] = edge ? (double) literal(rnd, TypeKind.DOUBLE) : rnd.nextGaussian() * Math.pow(10,
          rnd.nextInt(40) - 20);
    }
    Object[][] results = new Object[2][];
    BackendKind[] kinds = {BackendKind.CPU, BackendKind.OPENCL};
    for (int b = 0; b < 2; b++) {
      int[] io = new int[ITEMS * PER_KIND];
      long[] lo = new long[ITEMS * PER_KIND];
      float[] fo = new float[ITEMS * PER_KIND];
      double[] dO = new double[ITEMS * PER_KIND];
      Compute.on(kinds[b]).forEach(ITEMS, kernel, ints, longs, floats, doubles, io, lo, fo, dO);
      Assertions.assertEquals(kinds[b].id(), Compute.lastCall().backend());
      results[b] = new Object[] {io, lo, fo, dO};
    }
    for (int k = 0; k < 4; k++) {
      for (int e = 0; e < ITEMS * PER_KIND; e++) {
        long cpu = bits(results[0][k], e);
        long gpu = bits(results[1][k], e);
        if (cpu != gpu) {
          Expr expr = batch.get(k * PER_KIND + e % PER_KIND);
          Assertions.fail(expr + " at item " + e / PER_KIND + " (inputs " + ints[e / PER_KIND] + ", "
              + longs[e / PER_KIND] + ", " + floats[e / PER_KIND] + ", " + doubles[e / PER_KIND] + "): cpu "
              + value(results[0][k], e) + ", opencl " + value(results[1][k], e));
        }
      }
    }
  }

  @net.jqwik.api.Example
  void aBranchTestsItsOperandBeforeTheStackIsCopiedForItsTargets() throws Throwable {
    // (in[i] + 1) tested while in[i] * 2, swapped to its depth, stays on the stack: for in[i] = -1 the test is on 0.
    Expr x = new Binary(Opcode.IADD, TypeKind.INT, new Input(TypeKind.INT), new Literal(TypeKind.INT, 1));
    Expr y = new Binary(Opcode.IMUL, TypeKind.INT, new Input(TypeKind.INT), new Literal(TypeKind.INT, 2));
    List<Expr> batch = new ArrayList<>();
    for (TypeKind kind : KINDS) {
      for (int k = 0; k < PER_KIND; k++) {
        batch.add(kind == TypeKind.INT ? new SwapBranch(x, Opcode.IFEQ, y, new Literal(TypeKind.INT, 100),
            new Literal(TypeKind.INT, 1000)) : new Input(kind));
      }
    }
    randomExpressionsAgreeBitForBitOnTheJvmAndTheDevice(batch);
  }

  private static long bits(Object array, int e) {
    return switch (array) {
      case int[] a -> a[e];
      case long[] a -> a[e];
      case float[] a -> Float.floatToIntBits(a[e]);
      case double[] a -> Double.doubleToLongBits(a[e]);
      default -> throw new IllegalArgumentException();
    };
  }

  private static Object value(Object array, int e) {
    return switch (array) {
      case int[] a -> a[e];
      case long[] a -> a[e];
      case float[] a -> a[e];
      case double[] a -> a[e];
      default -> throw new IllegalArgumentException();
    };
  }

  /**
   * A class holding {@code static void kernel(int i, int[] inI, long[] inL, float[] inF, double[] inD, int[] outI,
   * ...)} that stores expression {@code k} of each kind at {@code out[i * PER_KIND + k]}, defined by a loader that
   * also serves its bytes (the translator reads them), and a serializable lambda of it, as javac would make one.
   */
  @SuppressWarnings("unchecked")
  private static Kernel8<int[], long[], float[], double[], int[], long[], float[], double[]> compile(List<Expr> batch)
      throws Throwable {
    String name = "dev.pincette.opencl.generated.Expressions" + CLASSES.incrementAndGet();
    ClassDesc self = ClassDesc.of(name);
    ClassDesc[] params = {CD_int, CD_int.arrayType(), CD_long.arrayType(), CD_float.arrayType(),
        CD_double.arrayType(), CD_int.arrayType(), CD_long.arrayType(), CD_float.arrayType(), CD_double.arrayType()};
    MethodTypeDesc type = MethodTypeDesc.of(CD_void, params);
    byte[] bytes = ClassFile.of().build(self, cb -> {
      cb.withFlags(AccessFlag.PUBLIC, AccessFlag.FINAL);
      cb.withMethodBody("kernel", type, ClassFile.ACC_PUBLIC | ClassFile.ACC_STATIC, c -> {
        for (int k = 0; k < batch.size(); k++) {
          Expr e = batch.get(k);
          c.aload(5 + index(e.kind())).iload(0).loadConstant(PER_KIND).imul().loadConstant(k % PER_KIND).iadd();
          e.emit(c);
          c.arrayStore(e.kind());
        }
        c.return_();
      });
      // The class's own lookup, with the full privileges LambdaMetafactory asks of a lambda's caller.
      ClassDesc lookupType = ClassDesc.of("java.lang.invoke.MethodHandles$Lookup");
      cb.withMethodBody("lookup", MethodTypeDesc.of(lookupType), ClassFile.ACC_PUBLIC | ClassFile.ACC_STATIC,
          c -> c.invokestatic(ClassDesc.of("java.lang.invoke.MethodHandles"), "lookup", MethodTypeDesc.of(lookupType))
              .areturn());
    });
    ClassLoader loader = new OneClassLoader(ClKernelPropertyTest.class.getClassLoader(), name, bytes);
    Class<?> generated = loader.loadClass(name);
    MethodHandles.Lookup lookup = (MethodHandles.Lookup) generated.getMethod("lookup").invoke(null);
    MethodType kernelType = MethodType.methodType(void.class, int.class, int[].class, long[].class, float[].class,
        double[].class, int[].class, long[].class, float[].class, double[].class);
    MethodType erased = MethodType.methodType(void.class, int.class, Object.class, Object.class, Object.class,
        Object.class, Object.class, Object.class, Object.class, Object.class);
    return (Kernel8<int[], long[], float[], double[], int[], long[], float[], double[]>) LambdaMetafactory
        .altMetafactory(lookup, "run", MethodType.methodType(Kernel8.class), erased,
            lookup.findStatic(generated, "kernel", kernelType), kernelType, LambdaMetafactory.FLAG_SERIALIZABLE)
        .getTarget().invoke();
  }
}
