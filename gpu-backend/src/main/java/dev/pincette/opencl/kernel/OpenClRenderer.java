package dev.pincette.opencl.kernel;

import dev.pincette.translate.Block;
import dev.pincette.translate.ElementType;
import dev.pincette.translate.Expr;
import dev.pincette.translate.Intrinsic;
import dev.pincette.translate.KernelModel;
import dev.pincette.translate.Kind;
import dev.pincette.translate.Op;
import dev.pincette.translate.Parameter;
import dev.pincette.translate.Stmt;
import dev.pincette.translate.Value;
import java.util.ArrayList;
import java.util.List;

/**
 * Writes a {@link KernelModel} as an OpenCL C kernel: one work item per index, each block a label, each statement one
 * line, every operation spelled by {@link OpenClSpelling}. The kernel's arguments are the work-item count, an error
 * record, each used array with its length, each scalar, and for a sum a buffer of terms; {@link Rendered#arguments}
 * lists them in order.
 *
 * <p>With bounds checks, every array access and integer division is guarded: the first work item that fails writes
 * the error record (kind, site, parameter, index, work item) and every failing work item returns without writing, so
 * no store ever lands outside a buffer.
 */
public final class OpenClRenderer {
  /** Error kinds in the record's first int. */
  public static final int OUT_OF_BOUNDS = 1;
  public static final int DIVISION_BY_ZERO = 2;
  /** Ints in the error record: kind, site, parameter, index, work item. */
  public static final int ERROR_INTS = 5;

  private final KernelModel model;
  private final DeviceTraits device;
  private final boolean boundsChecks;
  /** Whether the kernel's results are stored as terms of a sum; a forEach of a method returning a value drops them. */
  private final boolean terms;
  private final StringBuilder out = new StringBuilder();

  private OpenClRenderer(KernelModel model, DeviceTraits device, boolean boundsChecks, boolean terms) {
    this.model = model;
    this.device = device;
    this.boundsChecks = boundsChecks;
    this.terms = terms;
  }

  /** What the device offers that the spelling depends on. */
  public record DeviceTraits(boolean fp64, boolean correctlyRoundedDivideSqrt) {}

  /** A kernel argument, in the order the rendered kernel takes them. */
  public sealed interface Argument {
    /** The number of work items ({@code int}). */
    record Count() implements Argument {}

    /** The error record ({@code __global int*} of {@link #ERROR_INTS}). */
    record Errors() implements Argument {}

    /** One float per work item, the terms of a sum ({@code __global float*}). */
    record Terms() implements Argument {}

    /** The buffer of array parameter {@code parameter}. */
    record Array(int parameter) implements Argument {}

    /** The length of array parameter {@code parameter} ({@code int}). */
    record Length(int parameter) implements Argument {}

    /** Scalar parameter {@code parameter}, of its type. */
    record Scalar(int parameter) implements Argument {}
  }

  /**
   * @param source the program
   * @param entry the kernel's name in it
   * @param options build options the semantics need
   * @param arguments the kernel's arguments in order
   */
  public record Rendered(String source, String entry, String options, List<Argument> arguments) {
    public Rendered {
      arguments = List.copyOf(arguments);
    }
  }

  /**
   * Renders {@code model} for a device with {@code traits}; {@code boundsChecks} false only for measurements. A kernel
   * that returns a value stores it as a term of a sum; called by {@code forEach} ({@code sum} false), a method that
   * returns one (a method reference may drop its result) has no terms buffer and drops it.
   */
  public static Rendered render(KernelModel model, DeviceTraits traits, boolean boundsChecks, boolean sum) {
    return new OpenClRenderer(model, traits, boundsChecks, sum && model.result() != null).render();
  }

  /** Whether the device's float division and square root round correctly through double instead. */
  private boolean divideThroughDouble() {
    return !device.correctlyRoundedDivideSqrt() && device.fp64();
  }

  private Rendered render() {
    String entry = "java_" + model.name().replaceAll("[^A-Za-z0-9_]", "_");
    boolean doubles = model.usesDouble() || divideThroughDouble();
    out.append("// ").append(model.name()).append(", translated by Pincette from bytecode ").append(model.hash())
        .append('\n');
    out.append("#pragma OPENCL FP_CONTRACT OFF\n");
    if (doubles) out.append("#pragma OPENCL EXTENSION cl_khr_fp64 : enable\n");
    out.append(OpenClSpelling.HELPERS);
    if (doubles) out.append(OpenClSpelling.DOUBLE_HELPERS);
    List<Argument> arguments = new ArrayList<>();
    List<String> declarations = new ArrayList<>();
    arguments.add(new Argument.Count());
    declarations.add("const int pincette_n");
    arguments.add(new Argument.Errors());
    // restrict: no array argument is the error record, so a failure path does not make loads of arrays reload.
    declarations.add("__global int* restrict pincette_err");
    if (terms) {
      arguments.add(new Argument.Terms());
      declarations.add("__global float* pincette_terms");
    }
    for (Parameter p : model.parameters()) {
      switch (p.role()) {
        case INDEX -> { }
        case SCALAR -> {
          arguments.add(new Argument.Scalar(p.index()));
          declarations.add("const " + OpenClSpelling.type(p.type().kind) + " " + name(p.variable()));
        }
        case ARRAY -> {
          if (!p.used()) continue;
          arguments.add(new Argument.Array(p.index()));
          // Arrays the kernel only reads are const: a device may read them through its read-only cache.
          String qualifier = p.atomic() ? "volatile " : p.written() ? "" : "const ";
          declarations.add("__global " + qualifier + element(p.type()) + "* " + array(p.index()));
          arguments.add(new Argument.Length(p.index()));
          declarations.add("const int " + array(p.index()) + "_len");
        }
      }
    }
    out.append("\n__kernel void ").append(entry).append("(").append(String.join(", ", declarations)).append(") {\n");
    out.append("  const int pincette_item = (int) get_global_id(0);\n");
    out.append("  if (pincette_item >= pincette_n) return;\n");
    Parameter index = model.parameters().getFirst();
    for (Value.Var v : model.variables()) {
      if (v.equals(index.variable())) {
        out.append("  const int ").append(name(v)).append(" = pincette_item;\n");
      } else if (!isScalarParameter(v)) {
        out.append("  ").append(OpenClSpelling.type(v.kind())).append(' ').append(name(v)).append(" = 0;\n");
      }
    }
    List<Block> blocks = model.blocks();
    for (int b = 0; b < blocks.size(); b++) {
      out.append("b").append(b).append(": ;\n");
      List<Stmt.Assign> run = new ArrayList<>();
      for (Stmt s : blocks.get(b).statements()) {
        if (s instanceof Stmt.Assign a && !(a.value() instanceof Expr.Atomic)) {
          run.add(a);
          continue;
        }
        assignments(run);
        run.clear();
        statement(s, b + 1 < blocks.size() ? b + 1 : -1);
      }
      assignments(run);
    }
    out.append("}\n");
    String options = device.correctlyRoundedDivideSqrt() ? "-cl-fp32-correctly-rounded-divide-sqrt" : "";
    return new Rendered(out.toString(), entry, options, arguments);
  }

  private boolean isScalarParameter(Value.Var v) {
    for (Parameter p : model.parameters()) {
      if (p.role() == Parameter.Role.SCALAR && v.equals(p.variable())) return true;
    }
    return false;
  }

  private static String name(Value.Var v) {
    return "v" + v.id();
  }

  private static String array(int parameter) {
    return "p" + parameter;
  }

  private static String element(ElementType type) {
    return switch (type) {
      case BYTE -> "char";
      case INT -> "int";
      case LONG -> "long";
      case FLOAT -> "float";
      case DOUBLE -> "double";
    };
  }

  private static String value(Value v) {
    return switch (v) {
      case Value.Var var -> name(var);
      case Value.Const c -> OpenClSpelling.constant(c);
    };
  }

  /** Writes {@code s}; {@code next} is the block that follows in the source, which needs no goto. */
  private void statement(Stmt s, int next) {
    switch (s) {
      case Stmt.Assign a -> assign(a);
      case Stmt.Store st -> {
        String index = value(st.index());
        checkBounds(st.array(), index, st.site());
        String v = value(st.value());
        if (st.type() == ElementType.BYTE) v = "as_char((uchar) " + v + ")";
        line(array(st.array()) + "[" + index + "] = " + v + ";");
      }
      case Stmt.Jump j -> {
        if (j.target() != next) line("goto b" + j.target() + ";");
      }
      case Stmt.Branch br -> {
        line("if (" + value(br.left()) + " " + condition(br.cond()) + " " + value(br.right()) + ") goto b"
            + br.ifTrue() + ";");
        if (br.ifFalse() != next) line("goto b" + br.ifFalse() + ";");
      }
      case Stmt.Switch sw -> {
        StringBuilder cases = new StringBuilder("switch (" + value(sw.key()) + ") {");
        for (int k = 0; k < sw.keys().size(); k++) {
          cases.append(" case ").append(OpenClSpelling.constant(Value.Const.ofInt(sw.keys().get(k))))
              .append(": goto b").append(sw.targets().get(k)).append(';');
        }
        line(cases.append(" default: goto b").append(sw.fallback()).append("; }").toString());
      }
      case Stmt.Return r -> {
        if (terms && r.value() != null) line("pincette_terms[pincette_item] = " + toFloat(r.value()) + ";");
        line("return;");
      }
    }
  }

  /** A kernel's result as the float its interface returns (an int or long widens, rounding to nearest). */
  private static String toFloat(Value v) {
    return v.kind() == Kind.FLOAT ? value(v) : "convert_float_rte(" + value(v) + ")";
  }

  private static String condition(Stmt.Cond cond) {
    return switch (cond) {
      case EQ -> "==";
      case NE -> "!=";
      case LT -> "<";
      case GE -> ">=";
      case GT -> ">";
      case LE -> "<=";
    };
  }

  /**
   * A run of assignments with no store or atomic between them: the checks (bounds, divisors) first, in program order,
   * each after the assignments it depends on, then the rest in program order. The first failing check is still the
   * one of the first failing statement, and what the run skips when one fails has no effect but local values; with
   * no branch left between them, neighbouring loads ({@code pos[2 * j]}, {@code pos[2 * j + 1]}) may become one.
   */
  private void assignments(List<Stmt.Assign> run) {
    boolean[] done = new boolean[run.size()];
    for (int k = 0; k < run.size(); k++) {
      Value checked = checked(run.get(k));
      if (checked == null) continue;
      for (int i = 0; i < k; i++) {
        if (!done[i] && run.get(i).target().equals(checked)) emitWithDependencies(run, i, done);
      }
      check(run.get(k));
    }
    for (int i = 0; i < run.size(); i++) {
      if (!done[i]) line(name(run.get(i).target()) + " = " + expression(run.get(i)) + ";");
    }
  }

  /**
   * Writes assignment {@code i} of {@code run} (its check, if any, already written) after the earlier ones it must
   * follow: those writing what it reads or writes, or reading what it writes.
   */
  private void emitWithDependencies(List<Stmt.Assign> run, int i, boolean[] done) {
    Stmt.Assign a = run.get(i);
    List<Value.Var> reads = reads(a.value());
    for (int h = 0; h < i; h++) {
      Stmt.Assign earlier = run.get(h);
      if (!done[h] && (reads.contains(earlier.target()) || earlier.target().equals(a.target())
          || reads(earlier.value()).contains(a.target()))) {
        emitWithDependencies(run, h, done);
      }
    }
    done[i] = true;
    line(name(a.target()) + " = " + expression(a) + ";");
  }

  /** The variables {@code e} reads. */
  private static List<Value.Var> reads(Expr e) {
    List<Value> values = switch (e) {
      case Expr.Copy c -> List.of(c.value());
      case Expr.Unary u -> List.of(u.operand());
      case Expr.Binary b -> List.of(b.left(), b.right());
      case Expr.Load l -> List.of(l.index());
      case Expr.Length l -> List.of();
      case Expr.Call c -> c.arguments();
      case Expr.Atomic at -> List.of(at.index(), at.operand());
    };
    List<Value.Var> vars = new ArrayList<>();
    for (Value v : values) {
      if (v instanceof Value.Var var) vars.add(var);
    }
    return vars;
  }

  /** The value the check of {@code a} reads (an index, a divisor), or null when {@code a} has no check. */
  private Value checked(Stmt.Assign a) {
    return switch (a.value()) {
      case Expr.Load l -> boundsChecks ? l.index() : null;
      case Expr.Binary b -> b.op().dividesIntegers() ? b.right() : null;
      case Expr.Call c -> c.function().dividesIntegers() ? c.arguments().get(1) : null;
      default -> null;
    };
  }

  private void assign(Stmt.Assign a) {
    check(a);
    line(name(a.target()) + " = " + expression(a) + ";");
  }

  /** Writes the checks {@code a} needs before it runs: its index in bounds, its divisor not zero. */
  private void check(Stmt.Assign a) {
    switch (a.value()) {
      case Expr.Binary b -> {
        if (b.op().dividesIntegers()) checkDivisor(b.right(), a.site());
      }
      case Expr.Load l -> checkBounds(l.array(), value(l.index()), a.site());
      case Expr.Call c -> {
        if (c.function().dividesIntegers()) checkDivisor(c.arguments().get(1), a.site());
      }
      case Expr.Atomic at -> checkBounds(at.array(), value(at.index()), a.site());
      default -> { }
    }
  }

  /** {@code a}'s value, without its checks. */
  private String expression(Stmt.Assign a) {
    return switch (a.value()) {
      case Expr.Copy c -> value(c.value());
      case Expr.Unary u -> String.format(OpenClSpelling.OPS.get(u.op()), value(u.operand()));
      case Expr.Binary b -> String.format(spelling(b.op()), value(b.left()), value(b.right()));
      case Expr.Load l -> {
        String load = array(l.array()) + "[" + value(l.index()) + "]";
        yield l.type() == ElementType.BYTE ? "(int) " + load : load;
      }
      case Expr.Length l -> array(l.array()) + "_len";
      case Expr.Call c -> {
        Object[] args = c.arguments().stream().map(OpenClRenderer::value).toArray();
        yield String.format(spelling(c.function()), args);
      }
      case Expr.Atomic at -> String.format(OpenClSpelling.CALLS.get(at.function()), array(at.array()),
          value(at.index()), value(at.operand()));
    };
  }

  private String spelling(Op op) {
    if (divideThroughDouble() && op == Op.DIV_F) return "convert_float_rte((double) %1$s / (double) %2$s)";
    return OpenClSpelling.OPS.get(op);
  }

  private String spelling(Intrinsic f) {
    if (divideThroughDouble() && f == Intrinsic.SQRT_F) return "convert_float_rte(sqrt((double) %1$s))";
    return OpenClSpelling.CALLS.get(f);
  }

  private void checkBounds(int parameter, String index, int site) {
    if (!boundsChecks) return;
    line("if ((uint) " + index + " >= (uint) " + array(parameter) + "_len) { pincette_fail(pincette_err, "
        + OUT_OF_BOUNDS + ", " + site + ", " + parameter + ", " + index + ", pincette_item); return; }");
  }

  private void checkDivisor(Value divisor, int site) {
    if (divisor instanceof Value.Const c && c.bits() != 0) return;
    line("if (" + value(divisor) + " == 0) { pincette_fail(pincette_err, " + DIVISION_BY_ZERO + ", " + site
        + ", -1, 0, pincette_item); return; }");
  }

  private void line(String text) {
    out.append("  ").append(text).append('\n');
  }
}
