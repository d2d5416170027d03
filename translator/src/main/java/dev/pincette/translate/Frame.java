package dev.pincette.translate;

import java.util.ArrayList;
import java.util.List;

/** A method's locals (references only; primitives live in variables) and operand stack at one point. */
final class Frame {
  final Item[] locals;
  final List<Item> stack;

  Frame(Item[] locals, List<Item> stack) {
    this.locals = locals;
    this.stack = stack;
  }

  Frame copy() {
    return new Frame(locals.clone(), new ArrayList<>(stack));
  }

  void push(Item item) {
    stack.add(item);
  }

  Item pop() {
    return stack.removeLast();
  }

  Value popPrim(Kind kind) {
    Item item = pop();
    if (item instanceof Item.Prim p && p.kind() == kind) return p.value();
    throw new IllegalStateException("expected a " + kind + " on the stack, found " + item);
  }

  /**
   * Merges another path's frame into this block entry; true when this entry changed. References that differ become
   * {@link Item.Conflict}s, an error only where one is used.
   */
  boolean merge(Frame other) {
    boolean changed = false;
    for (int i = 0; i < locals.length; i++) {
      Item mine = locals[i];
      Item theirs = i < other.locals.length ? other.locals[i] : null;
      if (mine == null || mine instanceof Item.Conflict || mine.equals(theirs)) continue;
      locals[i] = new Item.Conflict(describe(mine) + " or " + describe(theirs));
      changed = true;
    }
    if (stack.size() != other.stack.size()) {
      throw new IllegalStateException("stack depths differ where control flow merges");
    }
    for (int d = 0; d < stack.size(); d++) {
      Item mine = stack.get(d);
      Item theirs = other.stack.get(d);
      if (mine instanceof Item.Prim || mine instanceof Item.Conflict || mine.equals(theirs)) continue;
      stack.set(d, new Item.Conflict(describe(mine) + " or " + describe(theirs)));
      changed = true;
    }
    return changed;
  }

  private static String describe(Item item) {
    return switch (item) {
      case Item.ArrayRef a -> a.name();
      case Item.BoxRef b -> b.name();
      case Item.Conflict c -> c.description();
      case Item.Prim p -> "a " + p.kind().name().toLowerCase(java.util.Locale.ROOT);
      case null -> "nothing";
    };
  }
}
