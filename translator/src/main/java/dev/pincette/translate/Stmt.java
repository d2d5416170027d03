package dev.pincette.translate;

import java.util.List;

/**
 * A statement of a {@link Block}. The last statement of a block is its terminator ({@link Jump}, {@link Branch},
 * {@link Switch} or {@link Return}); the others are {@link Assign}s and {@link Store}s. Every statement names the
 * source position it came from, as an index into {@link KernelModel#sites()}.
 */
public sealed interface Stmt {
  int site();

  /** Whether this statement ends its block. */
  default boolean terminates() {
    return false;
  }

  record Assign(Value.Var target, Expr value, int site) implements Stmt {}

  /** Sets element {@code index} of array parameter {@code array}; an index outside the array is an error. */
  record Store(int array, ElementType type, Value index, Value value, int site) implements Stmt {}

  record Jump(int target, int site) implements Stmt {
    public boolean terminates() {
      return true;
    }
  }

  /** Goes to {@code ifTrue} when {@code left cond right} holds (both INT), else to {@code ifFalse}. */
  record Branch(Cond cond, Value left, Value right, int ifTrue, int ifFalse, int site) implements Stmt {
    public boolean terminates() {
      return true;
    }
  }

  /** Goes to {@code targets[k]} when {@code key == keys[k]}, else to {@code fallback}. */
  record Switch(Value key, List<Integer> keys, List<Integer> targets, int fallback, int site) implements Stmt {
    public Switch {
      keys = List.copyOf(keys);
      targets = List.copyOf(targets);
    }

    public boolean terminates() {
      return true;
    }
  }

  /** Ends the work item; {@code value} is the kernel's result, or null for a {@code void} kernel. */
  record Return(Value value, int site) implements Stmt {
    public boolean terminates() {
      return true;
    }
  }

  /** Integer comparisons of a {@link Branch}. */
  enum Cond {
    EQ, NE, LT, GE, GT, LE
  }
}
