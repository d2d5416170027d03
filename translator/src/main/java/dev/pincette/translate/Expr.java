package dev.pincette.translate;

import java.util.List;

/** The right-hand side of an {@link Stmt.Assign}: one operation over {@link Value}s. */
public sealed interface Expr {
  Kind kind();

  record Copy(Value value) implements Expr {
    public Kind kind() {
      return value.kind();
    }
  }

  record Unary(Op op, Value operand) implements Expr {
    public Kind kind() {
      return op.result;
    }
  }

  record Binary(Op op, Value left, Value right) implements Expr {
    public Kind kind() {
      return op.result;
    }
  }

  /** Element {@code index} of array parameter {@code array}; an index outside the array is an error of the kernel. */
  record Load(int array, ElementType type, Value index) implements Expr {
    public Kind kind() {
      return type.kind;
    }
  }

  /** The length of array parameter {@code array}. */
  record Length(int array) implements Expr {
    public Kind kind() {
      return Kind.INT;
    }
  }

  record Call(Intrinsic function, List<Value> arguments) implements Expr {
    public Call {
      arguments = List.copyOf(arguments);
    }

    public Kind kind() {
      return function.result;
    }
  }

  /** An atomic read-modify-write of element {@code index} of array parameter {@code array}; yields the old value. */
  record Atomic(Intrinsic function, int array, ElementType type, Value index, Value operand) implements Expr {
    public Kind kind() {
      return function.result;
    }
  }
}
