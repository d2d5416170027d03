package dev.pincette.translate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pincette.translate.Parameter.Role;
import java.io.IOException;
import java.lang.constant.MethodTypeDesc;
import java.lang.reflect.Method;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The translator on tables of tiny kernels: argument tables, what it accepts, and every construct it refuses. */
class KernelTranslatorTest {
  static final float SCALE = (float) Math.sqrt(2.0);
  static float notFinal = 1;
  static final float[] TABLE = {1, 2};

  static KernelModel translate(String name) {
    return KernelTranslator.shared().translate(Kernels.class, name, descriptor(name));
  }

  static MethodTypeDesc descriptor(String name) {
    for (Method m : Kernels.class.getDeclaredMethods()) {
      if (m.getName().equals(name)) {
        return MethodTypeDesc.ofDescriptor(java.lang.invoke.MethodType.methodType(m.getReturnType(),
            m.getParameterTypes()).toMethodDescriptorString());
      }
    }
    throw new IllegalArgumentException(name);
  }

  /** Kernels of every shape the tests need; the markers in comments locate the lines error messages must name. */
  @SuppressWarnings("unused")
  static final class Kernels {
    static void saxpy(int i, float a, float[] x, float[] y) {
      y[i] = a * x[i] + y[i];
    }

    static void boxed(int i, Float a, Long b, float[] y) {
      y[i] = a + b;
    }

    static void throughCallee(int i, float[] x, float[] y, int[] counts) {
      copy(x, y, i);
      counts[0] = x.length;
    }

    private static void copy(float[] from, float[] to, int i) {
      to[i] = twice(from[i]);
    }

    private static float twice(float v) {
      return v + v;
    }

    static float energy(int i, float[] v, double[] unused) {
      return v[i] * v[i];
    }

    static void scaled(int i, float[] y) {
      y[i] = y[i] * SCALE;
    }

    static void asserting(int i, float[] y) {
      assert y.length > 0;
      y[i] = 1;
    }

    static void floatSqrt(int i, float[] y) {
      y[i] = (float) Math.sqrt(y[i]) + (float) Math.floor(y[i]);
    }

    static void doubleSqrt(int i, float[] y) {
      y[i] = (float) (Math.sqrt(y[i]) * 2);
    }

    static void loops(int i, int[] y) {
      int s = 0;
      for (int k = 0; k < 10; k++) {
        if (k == 3) continue;
        if (k == 8) break;
        s += k;
      }
      switch (i % 4) {
        case 0 -> s++;
        case 1 -> s--;
        case 3 -> s *= 3;
        default -> s = 0;
      }
      y[i] = i > 2 ? s : -s;
    }

    static void alias(int i, float[] x, float[] y) {
      float[] t = x;
      for (float v : t) y[i] += v;
    }

    static void allocates(int i, float[] y) {
      float[] tmp = new float[4]; // UNSUPPORTED:allocation of float[]
      y[i] = tmp[0];
    }

    static void allocatesObject(int i, float[] y) {
      StringBuilder s = new StringBuilder(); // UNSUPPORTED:allocation of java.lang.StringBuilder
      y[i] = s.length();
    }

    static void throwsException(int i, float[] y) {
      if (i < 0) throw new IllegalStateException(); // UNSUPPORTED:throwing java.lang.IllegalStateException
      y[i] = 1;
    }

    static void instanceField(int i, Holder h) {
      h.value = i; // UNSUPPORTED:the parameter h of type dev.pincette.translate.KernelTranslatorTest$Holder
    }

    static void virtualCall(int i, Float a, float[] y) {
      y[i] = a.hashCode(); // UNSUPPORTED:a call to the instance method java.lang.Float.hashCode()
    }

    static void stringConstant(int i, float[] y) {
      y[i] = "abc".length(); // UNSUPPORTED:a String
    }

    static void synchronizedBlock(int i, float[] y) {
      synchronized (y) { // UNSUPPORTED:a synchronized block
        y[i] = 1;
      }
    }

    static void nonFinalStatic(int i, float[] y) {
      y[i] = notFinal; // UNSUPPORTED:reading the static field dev.pincette.translate.KernelTranslatorTest.notFinal, which is not final,
    }

    static void staticArray(int i, float[] y) {
      y[i] = TABLE[0]; // UNSUPPORTED:reading the static field dev.pincette.translate.KernelTranslatorTest.TABLE of type float[]
    }

    static void writesStatic(int i, float[] y) {
      notFinal = y[i]; // UNSUPPORTED:writing the static field dev.pincette.translate.KernelTranslatorTest.notFinal
    }

    static void jdkCall(int i, float[] y) {
      java.util.Arrays.fill(y, 1f); // UNSUPPORTED:a call to java.util.Arrays.fill(float[], float)
    }

    static void random(int i, double[] y) {
      y[i] = Math.random(); // UNSUPPORTED:a call to java.lang.Math.random()
    }

    static void recursive(int i, int[] y) {
      y[i] = factorial(i);
    }

    private static int factorial(int n) {
      return n <= 1 ? 1 : n * factorial(n - 1); // UNSUPPORTED:recursion (KernelTranslatorTest$Kernels.factorial calls itself)
    }

    static void eitherArray(int i, float[] x, float[] y) {
      float[] t = i > 0 ? x : y; // UNSUPPORTED:a variable that refers to x or y
      t[i] = 1;
    }

    static void stringConcat(int i, float[] y) {
      String s = "v" + i; // UNSUPPORTED:string concatenation
      y[i] = s.length();
    }

    static void lambda(int i, float[] y) {
      Runnable r = () -> { }; // UNSUPPORTED:a lambda or method reference
      y[i] = 1;
    }

    static void nullCheck(int i, float[] y) {
      if (y != null) y[i] = 1; // UNSUPPORTED:a null check
    }

    static void tryCatch(int i, float[] y) {
      try {
        y[i] = 1; // UNSUPPORTED:try/catch or finally
      } catch (RuntimeException e) {
        y[0] = 0;
      }
    }

    static void shortArray(int i, short[] y) {
      y[i] = 1; // UNSUPPORTED:the parameter y of type short[]
    }

    static void returnsArray(int i, float[] y) {
      pick(y)[i] = 1; // UNSUPPORTED:returning float[] from KernelTranslatorTest$Kernels.pick
    }

    private static float[] pick(float[] y) {
      return y;
    }

    static synchronized void synchronizedMethod(int i, float[] y) {
      y[i] = 1; // UNSUPPORTED:a synchronized method
    }

    static void arrayOfArrays(int i, float[][] y) {
      y[i][0] = 1; // UNSUPPORTED:the parameter y of type float[][]
    }
  }

  static final class Holder {
    int value;
  }

  @Test
  void saxpyHasItsArgumentTable() {
    KernelModel m = translate("saxpy");
    assertEquals("KernelTranslatorTest$Kernels.saxpy", m.name());
    assertEquals(List.of("i", "a", "x", "y"), m.parameters().stream().map(Parameter::name).toList());
    assertEquals(List.of(Role.INDEX, Role.SCALAR, Role.ARRAY, Role.ARRAY),
        m.parameters().stream().map(Parameter::role).toList());
    Parameter x = m.parameters().get(2);
    Parameter y = m.parameters().get(3);
    assertTrue(x.read() && !x.written());
    assertTrue(y.read() && y.written());
    assertEquals(ElementType.FLOAT, y.type());
    assertEquals(null, m.result());
    assertFalse(m.usesDouble());
    assertEquals(64, m.hash().length());
  }

  @Test
  void boxedScalarsAreScalars() {
    KernelModel m = translate("boxed");
    assertEquals(Role.SCALAR, m.parameters().get(1).role());
    assertEquals(ElementType.FLOAT, m.parameters().get(1).type());
    assertEquals(ElementType.LONG, m.parameters().get(2).type());
  }

  @Test
  void readAndWriteSetsFollowCallees() {
    KernelModel m = translate("throughCallee");
    Parameter x = m.parameters().get(1);
    Parameter y = m.parameters().get(2);
    Parameter counts = m.parameters().get(3);
    assertTrue(x.read() && !x.written() && x.lengthRead());
    assertTrue(!y.read() && y.written());
    assertTrue(!counts.read() && counts.written());
    assertEquals(List.of("throughCallee", "copy", "twice"), m.methods().stream().map(KernelModel.MethodRef::name)
        .toList());
  }

  @Test
  void aFloatKernelReturnsItsKindAndUnusedArraysAreUnused() {
    KernelModel m = translate("energy");
    assertEquals(Kind.FLOAT, m.result());
    assertFalse(m.parameters().get(2).used());
    assertFalse(m.usesDouble(), "an unused double[] needs no float64");
  }

  @Test
  void staticFinalsAreReadOnceAsConstants() {
    KernelModel m = translate("scaled");
    assertEquals(1, m.constants().size());
    assertEquals(SCALE, m.constants().getFirst().value().floatValue());
  }

  @Test
  void assertStatementsAreSkipped() {
    assertEquals(1, translate("asserting").blocks().stream().filter(b -> b.terminator() instanceof Stmt.Return)
        .count());
  }

  @Test
  void floatRoundingOfDoubleFunctionsIsFoldedIntoFloat() {
    KernelModel m = translate("floatSqrt");
    assertFalse(m.usesDouble(), m.toString());
    List<Intrinsic> calls = calls(m);
    assertTrue(calls.contains(Intrinsic.SQRT_F) && calls.contains(Intrinsic.FLOOR_F), calls.toString());
    assertTrue(translate("doubleSqrt").usesDouble(), "sqrt(x) * 2 rounds once, in double");
  }

  private static List<Intrinsic> calls(KernelModel m) {
    return m.blocks().stream().flatMap(b -> b.statements().stream())
        .filter(s -> s instanceof Stmt.Assign a && a.value() instanceof Expr.Call)
        .map(s -> ((Expr.Call) ((Stmt.Assign) s).value()).function()).toList();
  }

  @Test
  void controlFlowAndAliasesTranslate() {
    assertTrue(translate("loops").blocks().stream().anyMatch(b -> b.terminator() instanceof Stmt.Switch));
    KernelModel alias = translate("alias");
    assertTrue(alias.parameters().get(1).read() && alias.parameters().get(1).lengthRead());
  }

  @Test
  void eachMethodIsTranslatedOnceAndFailuresAreCachedToo() {
    KernelTranslator translator = new KernelTranslator();
    KernelModel first = translator.translate(Kernels.class, "saxpy", descriptor("saxpy"));
    assertSame(first, translator.translate(Kernels.class, "saxpy", descriptor("saxpy")));
    UnsupportedKernelException a = assertThrows(UnsupportedKernelException.class,
        () -> translator.translate(Kernels.class, "allocates", descriptor("allocates")));
    UnsupportedKernelException b = assertThrows(UnsupportedKernelException.class,
        () -> translator.translate(Kernels.class, "allocates", descriptor("allocates")));
    assertNotSame(a, b);
    assertEquals(a.getMessage(), b.getMessage());
    assertEquals(2, translator.translations());
  }

  static Stream<Arguments> unsupported() throws IOException {
    List<String> source = Files.readAllLines(Path.of("src/test/java/dev/pincette/translate/KernelTranslatorTest.java"));
    Stream.Builder<Arguments> cases = Stream.builder();
    String method = null;
    for (int line = 1; line <= source.size(); line++) {
      String text = source.get(line - 1);
      java.util.regex.Matcher m = java.util.regex.Pattern.compile("static (?:synchronized )?\\w+ (\\w+)\\(")
          .matcher(text);
      if (m.find()) method = m.group(1);
      int marker = text.indexOf("// UNSUPPORTED:");
      if (marker >= 0 && !text.contains("\"// UNSUPPORTED:")) {
        cases.add(Arguments.of(method, line, text.substring(marker + "// UNSUPPORTED:".length())));
      }
    }
    return cases.build();
  }

  @ParameterizedTest(name = "{0}: {2}")
  @MethodSource("unsupported")
  void everyUnsupportedConstructIsNamedWithItsLine(String method, int line, String construct) {
    Method kernel = java.util.Arrays.stream(Kernels.class.getDeclaredMethods())
        .filter(m -> m.getName().equals(method)).findFirst().orElseThrow();
    // The kernel whose callee holds the construct is the public one calling it.
    String entry = kernel.getName().equals("factorial") ? "recursive" : method;
    UnsupportedKernelException e = assertThrows(UnsupportedKernelException.class, () -> translate(entry));
    String owner = entry.equals("recursive") ? "factorial" : method;
    assertEquals("KernelTranslatorTest$Kernels." + owner + " (KernelTranslatorTest.java:" + line + "): " + construct
        + " is not supported in a kernel", e.getMessage());
  }
}
