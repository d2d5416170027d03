package dev.pincette.translate;

import dev.pincette.translate.Expr.Binary;
import dev.pincette.translate.Expr.Copy;
import dev.pincette.translate.Stmt.Cond;
import dev.pincette.translate.Value.Const;
import dev.pincette.translate.Value.Var;
import java.lang.classfile.Attributes;
import java.lang.classfile.ClassModel;
import java.lang.classfile.CodeElement;
import java.lang.classfile.CodeModel;
import java.lang.classfile.Instruction;
import java.lang.classfile.Label;
import java.lang.classfile.MethodModel;
import java.lang.classfile.Opcode;
import java.lang.classfile.TypeKind;
import java.lang.classfile.instruction.BranchInstruction;
import java.lang.classfile.instruction.LabelTarget;
import java.lang.classfile.instruction.LineNumber;
import java.lang.classfile.instruction.LookupSwitchInstruction;
import java.lang.classfile.instruction.ReturnInstruction;
import java.lang.classfile.instruction.SwitchCase;
import java.lang.classfile.instruction.TableSwitchInstruction;
import java.lang.classfile.instruction.ThrowInstruction;
import java.lang.reflect.AccessFlag;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Reads one method's bytecode into blocks of the kernel being built: once for the kernel method, and once per call
 * site for each method it inlines. Two passes over the basic blocks: the first finds which blocks are reachable and
 * what each local and stack slot holds where control flow merges (which array a reference is, whether a condition is
 * a constant such as {@code $assertionsDisabled}); the second writes statements, every instruction's result into a
 * fresh temporary so that later stores to locals or arrays cannot change an operand already read.
 */
final class MethodReader {
  final KernelBuilder kernel;
  final Class<?> owner;
  final ClassModel classModel;
  private final MethodModel method;
  private final CodeModel code;
  /** {@code Physics.density}. */
  final String display;
  private final String file;
  private final List<CodeElement> elements;
  private final int[] lines;
  private final Map<Label, Integer> labels = new HashMap<>();
  private final int[] blockStarts;
  private final Map<Integer, Integer> blockAt = new HashMap<>();
  private final Frame[] entries;
  private final int[] irBlocks;
  /** Variables of local slots, by {@code slot * 4 + kind}; created on first use. */
  private Var[] locals = new Var[0];
  private final Map<Integer, Var> stackVars = new HashMap<>();
  /** References in the parameter slots; filled by the caller before {@link #read}. */
  private final Item[] initialLocals;
  /** Where a callee's result goes, or null for the kernel method and for void callees. */
  private final Var result;
  /** The block a callee returns to; -1 for the kernel method, which returns from the work item. */
  private final int continuation;

  private final Instructions instructions = new Instructions(this);
  /** False in the first pass: nothing is written, temporaries are placeholders. */
  boolean emitting;
  private int element;
  private int currentBlock;
  private List<Stmt> body;

  MethodReader(KernelBuilder kernel, Class<?> owner, ClassModel classModel, MethodModel method, Item[] initialLocals,
      Var result, int continuation) {
    this.kernel = kernel;
    this.owner = owner;
    this.classModel = classModel;
    this.method = method;
    this.display = simpleName(owner) + "." + method.methodName().stringValue();
    this.file = classModel.findAttribute(Attributes.sourceFile()).map(a -> a.sourceFile().stringValue())
        .orElse(null);
    this.result = result;
    this.continuation = continuation;
    if (method.flags().has(AccessFlag.NATIVE) || method.flags().has(AccessFlag.ABSTRACT)) {
      throw new UnsupportedKernelException(new SourcePos(display, file, -1), "a method without bytecode");
    }
    this.code = method.code().orElseThrow();
    this.elements = code.elementList();
    this.lines = new int[elements.size()];
    int line = -1;
    for (int i = 0; i < elements.size(); i++) {
      if (elements.get(i) instanceof LineNumber ln) line = ln.line();
      if (elements.get(i) instanceof LabelTarget lt) labels.put(lt.label(), i);
      lines[i] = line;
    }
    int firstLine = firstLine();
    if (method.flags().has(AccessFlag.SYNCHRONIZED)) fail(firstLine, "a synchronized method");
    if (!method.flags().has(AccessFlag.STATIC)) fail(firstLine, "an instance method");
    if (!code.exceptionHandlers().isEmpty()) {
      // javac guards a synchronized block with a handler that releases the monitor: name the block, not the handler.
      for (int i = 0; i < elements.size(); i++) {
        if (elements.get(i) instanceof java.lang.classfile.instruction.MonitorInstruction) {
          fail(lines[i], "a synchronized block");
        }
      }
      fail(lineAt(code.exceptionHandlers().getFirst().tryStart()), "try/catch or finally");
    }
    this.blockStarts = findBlocks();
    for (int b = 0; b < blockStarts.length; b++) blockAt.put(blockStarts[b], b);
    this.entries = new Frame[blockStarts.length];
    this.irBlocks = new int[blockStarts.length];
    this.initialLocals = initialLocals;
  }

  static String simpleName(Class<?> type) {
    String name = type.getName();
    return name.substring(name.lastIndexOf('.') + 1);
  }

  /** The method's first line, for errors about the method as a whole. */
  SourcePos startPosition() {
    return new SourcePos(display, file, firstLine());
  }

  UnsupportedKernelException failureAtStart(String construct) {
    return new UnsupportedKernelException(startPosition(), construct);
  }

  /** The line of the first instruction at or after {@code label}. */
  private int lineAt(Label label) {
    for (int i = labels.get(label); i < elements.size(); i++) {
      if (elements.get(i) instanceof Instruction) return lines[i];
    }
    return -1;
  }

  private int firstLine() {
    for (int line : lines) {
      if (line >= 0) return line;
    }
    return -1;
  }

  /** The variable of local slot {@code slot} holding a {@code kind}. */
  Var local(int slot, Kind kind) {
    int key = slot * 4 + kind.ordinal();
    if (key >= locals.length) locals = Arrays.copyOf(locals, Math.max(key + 1, 2 * locals.length));
    Var v = locals[key];
    if (v == null) locals[key] = v = kernel.variable(kind);
    return v;
  }

  /** The variable that carries stack position {@code depth} of kind {@code kind} across blocks. */
  private Var stackVar(int depth, Kind kind) {
    return stackVars.computeIfAbsent(depth * 4 + kind.ordinal(), k -> kernel.variable(kind));
  }

  /** The block the method starts with; valid once constructed. */
  int entryBlock() {
    return irBlocks[0];
  }

  /** Writes the method's statements. The caller has ended its block with a jump to {@link #entryBlock}. */
  void read() {
    emitting = true;
    for (int b = 0; b < blockStarts.length; b++) {
      if (entries[b] == null) continue;
      Frame frame = entries[b].copy();
      for (int d = 0; d < frame.stack.size(); d++) {
        if (frame.stack.get(d) instanceof Item.Prim p) frame.stack.set(d, new Item.Prim(stackVar(d, p.kind())));
      }
      open(irBlocks[b]);
      walk(b, frame);
    }
  }

  /**
   * The first pass; then a block id for every reachable block, so that a caller can jump to the entry before the
   * method's statements are written by {@link #read}.
   */
  MethodReader allocateBlocks() {
    analyze();
    for (int b = 0; b < irBlocks.length; b++) irBlocks[b] = entries[b] == null ? -1 : kernel.newBlock();
    return this;
  }

  private int[] findBlocks() {
    TreeSet<Integer> starts = new TreeSet<>();
    starts.add(0);
    for (int i = 0; i < elements.size(); i++) {
      switch (elements.get(i)) {
        case BranchInstruction b -> {
          starts.add(labels.get(b.target()));
          starts.add(i + 1);
        }
        case TableSwitchInstruction s -> {
          starts.add(labels.get(s.defaultTarget()));
          for (SwitchCase c : s.cases()) starts.add(labels.get(c.target()));
          starts.add(i + 1);
        }
        case LookupSwitchInstruction s -> {
          starts.add(labels.get(s.defaultTarget()));
          for (SwitchCase c : s.cases()) starts.add(labels.get(c.target()));
          starts.add(i + 1);
        }
        case ReturnInstruction r -> starts.add(i + 1);
        case ThrowInstruction t -> starts.add(i + 1);
        default -> { }
      }
    }
    starts.removeIf(s -> s >= elements.size());
    return starts.stream().mapToInt(Integer::intValue).toArray();
  }

  private int blockEnd(int b) {
    return b + 1 < blockStarts.length ? blockStarts[b + 1] : elements.size();
  }

  // ---- pass 1: reachability and what references are where ----

  /** Blocks to walk, lowest first: paths merge in source order, and messages name them in that order. */
  private final java.util.PriorityQueue<Integer> worklist = new java.util.PriorityQueue<>();

  private void analyze() {
    emitting = false;
    int slots = Math.max(((java.lang.classfile.attribute.CodeAttribute) code).maxLocals(), initialLocals.length);
    entries[0] = new Frame(Arrays.copyOf(initialLocals, slots), new ArrayList<>());
    worklist.add(0);
    while (!worklist.isEmpty()) {
      int b = worklist.poll();
      walk(b, entries[b].copy());
    }
  }

  /** Control reaches block {@code b} with {@code frame}: merges it into the block's entry (first pass only). */
  private void flowTo(int b, Frame frame) {
    Frame entry = entries[b];
    if (entry == null) {
      Frame copy = frame.copy();
      for (int d = 0; d < copy.stack.size(); d++) {
        // Entry values are the block's stack variables, never the constants one predecessor pushed.
        if (copy.stack.get(d) instanceof Item.Prim p) copy.stack.set(d, new Item.Prim(new Var(-1, p.kind())));
      }
      entries[b] = copy;
      worklist.add(b);
    } else if (entry.merge(frame)) {
      worklist.add(b);
    }
  }

  // ---- walking a block, in either pass ----

  private void walk(int b, Frame frame) {
    int end = blockEnd(b);
    for (element = blockStarts[b]; element < end; element++) {
      if (!(elements.get(element) instanceof Instruction ins)) continue;
      if (ins instanceof BranchInstruction || ins instanceof TableSwitchInstruction
          || ins instanceof LookupSwitchInstruction || ins instanceof ReturnInstruction
          || ins instanceof ThrowInstruction) {
        terminate(ins, frame);
        return;
      }
      instructions.step(ins, frame);
    }
    element = end - 1;
    int next = blockAt.get(end);
    leave(frame, next);
    terminate(new Stmt.Jump(irBlocks[next], site()));
  }

  private void terminate(Instruction ins, Frame frame) {
    switch (ins) {
      case BranchInstruction br -> branch(br, frame);
      case TableSwitchInstruction ts -> {
        List<Integer> keys = new ArrayList<>();
        List<Label> targets = new ArrayList<>();
        for (SwitchCase c : ts.cases()) {
          keys.add(c.caseValue());
          targets.add(c.target());
        }
        switchOn(frame, keys, targets, ts.defaultTarget());
      }
      case LookupSwitchInstruction ls -> {
        List<Integer> keys = new ArrayList<>();
        List<Label> targets = new ArrayList<>();
        for (SwitchCase c : ls.cases()) {
          keys.add(c.caseValue());
          targets.add(c.target());
        }
        switchOn(frame, keys, targets, ls.defaultTarget());
      }
      case ReturnInstruction r -> ret(r, frame);
      case ThrowInstruction t -> fail("throwing an exception");
      default -> throw new IllegalStateException(ins.toString());
    }
  }

  private void branch(BranchInstruction br, Frame frame) {
    int target = blockAt.get(labels.get(br.target()));
    Opcode op = br.opcode();
    if (op == Opcode.GOTO || op == Opcode.GOTO_W) {
      leave(frame, target);
      terminate(new Stmt.Jump(irBlocks[target], site()));
      return;
    }
    int next = blockAt.get(element + 1);
    Value left;
    Value right;
    Cond cond;
    switch (op) {
      case IFEQ, IFNE, IFLT, IFGE, IFGT, IFLE -> {
        left = frame.popPrim(Kind.INT);
        right = Const.ofInt(0);
        cond = Cond.valueOf(op.name().substring(2));
      }
      case IF_ICMPEQ, IF_ICMPNE, IF_ICMPLT, IF_ICMPGE, IF_ICMPGT, IF_ICMPLE -> {
        right = frame.popPrim(Kind.INT);
        left = frame.popPrim(Kind.INT);
        cond = Cond.valueOf(op.name().substring(7));
      }
      case IFNULL, IFNONNULL -> throw failure("a null check");
      default -> throw failure("comparing references");
    }
    if (left instanceof Const a && right instanceof Const c) {
      int taken = holds(cond, a.intValue(), c.intValue()) ? target : next;
      leave(frame, taken);
      terminate(new Stmt.Jump(irBlocks[taken], site()));
      return;
    }
    left = beforeLeave(left);
    right = beforeLeave(right);
    leave(frame, target, next);
    terminate(new Stmt.Branch(cond, left, right, irBlocks[target], irBlocks[next], site()));
  }

  private static boolean holds(Cond cond, int a, int b) {
    return switch (cond) {
      case EQ -> a == b;
      case NE -> a != b;
      case LT -> a < b;
      case GE -> a >= b;
      case GT -> a > b;
      case LE -> a <= b;
    };
  }

  private void switchOn(Frame frame, List<Integer> keys, List<Label> targets, Label fallback) {
    Value key = beforeLeave(frame.popPrim(Kind.INT));
    int[] blocks = new int[targets.size() + 1];
    for (int k = 0; k < targets.size(); k++) blocks[k] = blockAt.get(labels.get(targets.get(k)));
    blocks[targets.size()] = blockAt.get(labels.get(fallback));
    leave(frame, blocks);
    List<Integer> irTargets = new ArrayList<>();
    for (int k = 0; k < targets.size(); k++) irTargets.add(irBlocks[blocks[k]]);
    terminate(new Stmt.Switch(key, keys, irTargets, irBlocks[blocks[targets.size()]], site()));
  }

  private void ret(ReturnInstruction r, Frame frame) {
    Value value = null;
    if (r.typeKind() == TypeKind.REFERENCE) throw failure("returning a reference");
    if (r.typeKind() != TypeKind.VOID) value = frame.popPrim(Instructions.kind(r.typeKind()));
    if (continuation < 0) {
      terminate(new Stmt.Return(value, site()));
      return;
    }
    if (result != null) assign(result, new Copy(value));
    terminate(new Stmt.Jump(continuation, site()));
  }

  /**
   * A terminator's operand, read before {@link #leave} copies the stack into the stack variables: an operand that is
   * one of them (a value shuffled by {@code swap} or {@code dup_x1} to another depth) may be overwritten by those
   * copies, so its value is taken into a temporary first, as Java reads it before the jump.
   */
  private Value beforeLeave(Value operand) {
    if (!emitting || !(operand instanceof Var v) || !stackVars.containsValue(v)) return operand;
    Var t = kernel.temporary(v.kind());
    assign(t, new Copy(v));
    return t;
  }

  /**
   * Control leaves the block for {@code targets} with {@code frame}'s stack: merged into their entries in the first
   * pass, copied into the stack variables in the second (through temporaries when a stack variable moves to another
   * depth, so that no copy overwrites a value another copy still reads).
   */
  private void leave(Frame frame, int... targets) {
    if (!emitting) {
      for (int t : targets) flowTo(t, frame);
      return;
    }
    List<Item> stack = frame.stack;
    boolean shuffled = false;
    for (int d = 0; d < stack.size(); d++) {
      if (stack.get(d) instanceof Item.Prim p && p.value() instanceof Var v && stackVars.containsValue(v)
          && v != stackVar(d, p.kind())) {
        shuffled = true;
      }
    }
    List<Value> values = new ArrayList<>();
    for (Item item : stack) {
      Value v = item instanceof Item.Prim p ? p.value() : null;
      if (shuffled && v instanceof Var) {
        Var t = kernel.temporary(v.kind());
        assign(t, new Copy(v));
        v = t;
      }
      values.add(v);
    }
    for (int d = 0; d < values.size(); d++) {
      Value v = values.get(d);
      if (v != null && v != stackVar(d, v.kind())) assign(stackVar(d, v.kind()), new Copy(v));
    }
  }

  // ---- writing statements ----

  void open(int block) {
    currentBlock = block;
    body = new ArrayList<>();
  }

  void assign(Var target, Expr value) {
    if (emitting) body.add(new Stmt.Assign(target, value, site()));
  }

  void store(Stmt.Store store) {
    if (emitting) body.add(store);
  }

  /** Ends the current block with {@code terminator}. */
  void terminate(Stmt terminator) {
    if (!emitting) return;
    body.add(terminator);
    kernel.close(currentBlock, body, position());
    body = null;
  }

  /** A variable for an instruction's result; a placeholder in the first pass. */
  Var temporary(Kind kind) {
    return emitting ? kernel.temporary(kind) : new Var(-1, kind);
  }

  Binary binary(Op op, Value left, Value right) {
    return new Binary(op, left, right);
  }

  /** The site of the last line asked for: consecutive statements mostly share a line. */
  private int siteLine = Integer.MIN_VALUE;
  private int siteId;

  int site() {
    int line = element < lines.length ? lines[element] : -1;
    if (line != siteLine) {
      siteId = kernel.site(new SourcePos(display, file, line));
      siteLine = line;
    }
    return siteId;
  }

  SourcePos position() {
    return new SourcePos(display, file, element < lines.length ? lines[element] : -1);
  }

  UnsupportedKernelException failure(String construct) {
    return new UnsupportedKernelException(position(), construct);
  }

  void fail(String construct) {
    throw failure(construct);
  }

  private void fail(int line, String construct) {
    throw new UnsupportedKernelException(new SourcePos(display, file, line), construct);
  }

  /**
   * Inlines a call of the static method {@code callee} of {@code type} with {@code arguments} (first pass: only checks
   * that its result is a primitive): the current block jumps to the callee's entry, and the rest of this block
   * continues in a new block the callee returns to.
   */
  void inline(Class<?> type, MethodModel callee, List<Item> arguments, Frame frame) {
    String returns = callee.methodTypeSymbol().returnType().descriptorString();
    Kind returnKind = returns.equals("V") ? null : Instructions.primitiveKind(returns);
    if (!returns.equals("V") && returnKind == null) {
      fail("returning " + ClassFiles.descriptorName(returns) + " from " + simpleName(type) + "."
          + callee.methodName().stringValue());
    }
    if (!emitting) {
      if (returnKind != null) frame.push(new Item.Prim(new Var(-1, returnKind)));
      return;
    }
    String key = type.getName() + "." + callee.methodName().stringValue()
        + callee.methodTypeSymbol().descriptorString();
    if (kernel.callStack.contains(key)) {
      fail("recursion (" + simpleName(type) + "." + callee.methodName().stringValue() + " calls itself)");
    }
    Item[] calleeLocals = new Item[callee.findAttribute(Attributes.code()).map(c -> c.maxLocals()).orElse(0) + 1];
    List<Value> primitives = new ArrayList<>();
    List<Integer> slots = new ArrayList<>();
    int slot = 0;
    for (int k = 0; k < arguments.size(); k++) {
      Item a = arguments.get(k);
      if (a instanceof Item.Prim p) {
        primitives.add(p.value());
        slots.add(slot);
      } else {
        calleeLocals[slot] = a;
      }
      slot += a.words();
    }
    Var resultVar = returnKind == null ? null : kernel.variable(returnKind);
    int after = kernel.newBlock();
    MethodReader reader = new MethodReader(kernel, type, kernel.classModel(type, position()), callee, calleeLocals,
        resultVar, after).allocateBlocks();
    for (int k = 0; k < primitives.size(); k++) {
      Value v = primitives.get(k);
      assign(reader.local(slots.get(k), v.kind()), new Copy(v));
    }
    terminate(new Stmt.Jump(reader.entryBlock(), site()));
    kernel.methods.putIfAbsent(key, new KernelModel.MethodRef(type, callee.methodName().stringValue(),
        callee.methodTypeSymbol()));
    kernel.callStack.addLast(key);
    try {
      reader.read();
    } finally {
      kernel.callStack.removeLast();
    }
    open(after);
    if (resultVar != null) frame.push(new Item.Prim(resultVar));
  }

  /** The class named {@code internalName} as this method's class sees it. */
  Class<?> resolve(String internalName) {
    try {
      return Class.forName(internalName.replace('/', '.'), false, owner.getClassLoader());
    } catch (ClassNotFoundException | LinkageError e) {
      throw failure("a reference to " + ClassFiles.javaName(internalName) + ", which cannot be loaded,");
    }
  }
}
