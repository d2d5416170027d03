package dev.pincette.translate;

import java.util.List;

/** A basic block: statements run in order, the last one a terminator. Block 0 is the kernel's entry. */
public record Block(int id, List<Stmt> statements) {
  public Block {
    statements = List.copyOf(statements);
  }

  public Stmt terminator() {
    return statements.getLast();
  }
}
