package dev.pincette.translate;

import java.lang.classfile.ClassModel;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What one translation accumulates while {@link MethodReader}s read the kernel method and inline its callees: the
 * variables, the blocks, the source positions, the argument table's flags, the classes read. Used by one thread.
 */
final class KernelBuilder {
  /** Statements a kernel may have once everything is inlined: beyond this, inlining has run away. */
  static final int MAX_STATEMENTS = 200_000;

  final List<Value.Var> variables = new ArrayList<>();
  /** Variables assigned by exactly one statement (instruction results), which the simplifier may move. */
  final BitSet temporaries = new BitSet();
  private final List<List<Stmt>> blocks = new ArrayList<>();
  final List<SourcePos> sites = new ArrayList<>();
  private final Map<SourcePos, Integer> siteIds = new HashMap<>();
  /** Per parameter: read, written, atomic, length read. */
  final boolean[][] usage;
  /** Methods being inlined, innermost last, as {@code owner.name descriptor}: a repeat is recursion. */
  final Deque<String> callStack = new ArrayDeque<>();
  final Map<String, KernelModel.MethodRef> methods = new LinkedHashMap<>();
  final Map<String, KernelModel.StaticConstant> constants = new LinkedHashMap<>();
  /** Classes read, with their bytes, by class. */
  final Map<Class<?>, ClassModel> classes = new LinkedHashMap<>();
  final Map<Class<?>, byte[]> classBytes = new LinkedHashMap<>();
  private int statements;

  static final int READ = 0;
  static final int WRITTEN = 1;
  static final int ATOMIC = 2;
  static final int LENGTH = 3;

  KernelBuilder(int parameters) {
    usage = new boolean[parameters][4];
  }

  Value.Var variable(Kind kind) {
    Value.Var v = new Value.Var(variables.size(), kind);
    variables.add(v);
    return v;
  }

  Value.Var temporary(Kind kind) {
    Value.Var v = variable(kind);
    temporaries.set(v.id());
    return v;
  }

  int newBlock() {
    blocks.add(null);
    return blocks.size() - 1;
  }

  void close(int block, List<Stmt> body, SourcePos where) {
    statements += body.size();
    if (statements > MAX_STATEMENTS) {
      throw new UnsupportedKernelException(where, "a kernel of more than " + MAX_STATEMENTS
          + " statements once its calls are inlined");
    }
    blocks.set(block, body);
  }

  List<List<Stmt>> blocks() {
    return blocks;
  }

  int site(SourcePos pos) {
    return siteIds.computeIfAbsent(pos, p -> {
      sites.add(p);
      return sites.size() - 1;
    });
  }

  void use(int parameter, int what) {
    usage[parameter][what] = true;
  }

  /** The parsed class file of {@code type}, read once per translation. */
  ClassModel classModel(Class<?> type, SourcePos where) {
    ClassModel model = classes.get(type);
    if (model != null) return model;
    byte[] bytes = ClassFiles.bytes(type);
    if (bytes == null) {
      throw new UnsupportedKernelException(where, "a method of " + type.getName()
          + ", whose class file cannot be read,");
    }
    model = ClassFiles.parse(bytes);
    classes.put(type, model);
    classBytes.put(type, bytes);
    return model;
  }
}
