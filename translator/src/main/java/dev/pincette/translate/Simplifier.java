package dev.pincette.translate;

import dev.pincette.translate.Expr.Call;
import dev.pincette.translate.Expr.Unary;
import dev.pincette.translate.Stmt.Assign;
import dev.pincette.translate.Value.Var;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;

/** Rewrites of the model that keep its meaning bit for bit. */
final class Simplifier {
  /** {@code Math.f} of a double that is exact when computed in float instead, for a float argument and result. */
  private static final Map<Intrinsic, Intrinsic> IN_FLOAT = Map.of(Intrinsic.SQRT, Intrinsic.SQRT_F,
      Intrinsic.FLOOR, Intrinsic.FLOOR_F, Intrinsic.CEIL, Intrinsic.CEIL_F, Intrinsic.RINT, Intrinsic.RINT_F);

  private Simplifier() {}

  /**
   * Folds {@code (float) Math.sqrt((double) x)} (also floor, ceil and rint) of a float {@code x} into the float
   * function, which gives the same bits: the double square root of a float, rounded to float, is the correctly
   * rounded float square root (53 >= 2·24 + 2 bits), and floor, ceil and rint of a float are floats. Kernels written
   * that way then need no float64 on the device (and run at float speed on GPUs with slow float64).
   */
  static void foldFloatRounding(KernelBuilder kernel) {
    List<List<Stmt>> blocks = kernel.blocks();
    int[] uses = uses(blocks, kernel.variables.size());
    BitSet temporaries = kernel.temporaries;
    for (List<Stmt> body : blocks) {
      for (int i = 0; i < body.size(); i++) {
        if (!(body.get(i) instanceof Assign narrow && narrow.value() instanceof Unary d2f
            && d2f.op() == Op.D2F && d2f.operand() instanceof Var wide && single(wide, uses, temporaries))) {
          continue;
        }
        int callAt = definition(body, wide, i);
        if (callAt < 0 || !(((Assign) body.get(callAt)).value() instanceof Call call)
            || !IN_FLOAT.containsKey(call.function()) || !(call.arguments().getFirst() instanceof Var widened)
            || !single(widened, uses, temporaries)) {
          continue;
        }
        int widenAt = definition(body, widened, callAt);
        if (widenAt < 0 || !(((Assign) body.get(widenAt)).value() instanceof Unary f2d) || f2d.op() != Op.F2D) {
          continue;
        }
        // The float result is a temporary assigned here only and read after: defining it earlier changes nothing.
        body.set(widenAt, new Assign(narrow.target(), new Call(IN_FLOAT.get(call.function()),
            List.of(f2d.operand())), body.get(widenAt).site()));
        body.remove(i);
        body.remove(callAt);
        i -= 2;
      }
    }
  }

  private static boolean single(Var v, int[] uses, BitSet temporaries) {
    return v.id() >= 0 && temporaries.get(v.id()) && uses[v.id()] == 1;
  }

  /** The position before {@code before} in {@code body} where {@code v} is assigned, or -1. */
  private static int definition(List<Stmt> body, Var v, int before) {
    for (int k = before - 1; k >= 0; k--) {
      if (body.get(k) instanceof Assign a && a.target().equals(v)) return k;
    }
    return -1;
  }

  private static int[] uses(List<List<Stmt>> blocks, int variables) {
    int[] uses = new int[variables];
    for (List<Stmt> body : blocks) {
      for (Stmt s : body) forEachRead(s, v -> uses[v.id()]++);
    }
    return uses;
  }

  /** Calls {@code action} for every variable {@code s} reads. */
  static void forEachRead(Stmt s, java.util.function.Consumer<Var> action) {
    java.util.function.Consumer<Value> read = v -> {
      if (v instanceof Var var) action.accept(var);
    };
    switch (s) {
      case Assign a -> {
        switch (a.value()) {
          case Expr.Copy c -> read.accept(c.value());
          case Unary u -> read.accept(u.operand());
          case Expr.Binary b -> {
            read.accept(b.left());
            read.accept(b.right());
          }
          case Expr.Load l -> read.accept(l.index());
          case Expr.Length l -> { }
          case Call c -> c.arguments().forEach(read);
          case Expr.Atomic at -> {
            read.accept(at.index());
            read.accept(at.operand());
          }
        }
      }
      case Stmt.Store st -> {
        read.accept(st.index());
        read.accept(st.value());
      }
      case Stmt.Branch b -> {
        read.accept(b.left());
        read.accept(b.right());
      }
      case Stmt.Switch sw -> read.accept(sw.key());
      case Stmt.Return r -> {
        if (r.value() != null) read.accept(r.value());
      }
      case Stmt.Jump j -> { }
    }
  }

  /** The variables the code still reads or writes, and the parameters', in id order. */
  static List<Var> usedVariables(KernelBuilder kernel, Var[] parameters) {
    BitSet used = new BitSet();
    for (Var p : parameters) {
      if (p != null) used.set(p.id());
    }
    for (List<Stmt> body : kernel.blocks()) {
      for (Stmt s : body) {
        forEachRead(s, v -> used.set(v.id()));
        if (s instanceof Assign a) used.set(a.target().id());
      }
    }
    List<Var> out = new ArrayList<>();
    for (Var v : kernel.variables) {
      if (used.get(v.id())) out.add(v);
    }
    return out;
  }
}
