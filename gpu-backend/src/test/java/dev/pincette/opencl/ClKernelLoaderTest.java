package dev.pincette.opencl;

import static java.lang.constant.ConstantDescs.CD_float;
import static java.lang.constant.ConstantDescs.CD_int;
import static java.lang.constant.ConstantDescs.CD_void;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import dev.pincette.BackendKind;
import dev.pincette.Compute;
import dev.pincette.Kernel1;
import dev.pincette.Kernel2;
import dev.pincette.internal.Dispatcher;
import java.lang.classfile.ClassFile;
import java.lang.classfile.attribute.MethodParameterInfo;
import java.lang.classfile.attribute.MethodParametersAttribute;
import java.lang.constant.ClassDesc;
import java.lang.constant.MethodTypeDesc;
import java.lang.invoke.LambdaMetafactory;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.MethodType;
import java.lang.ref.WeakReference;
import java.lang.reflect.AccessFlag;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Kernels of classes defined by throwaway class loaders: one class file loaded twice, with a computed constant that
 * differs, gives two programs (the program is the rendered source's, not the bytecode's); and once a loader is
 * unreachable, nothing Pincette keeps for its kernels (translations, CPU loops, race-checking copies, programs) keeps
 * it loaded.
 */
class ClKernelLoaderTest {
  private static final String NAME = "dev.pincette.opencl.generated.Constant";
  private static final String PROPERTY = "pincette.test.loaderConstant";
  private static final byte[] BYTES = constantClass();

  @BeforeAll
  static void requireDevice() {
    ClTestDevice.require(new ClBackend(null, null, false, true));
    Dispatcher.get().health().reset();
  }

  /**
   * {@code public final class Constant { public static final int K = Integer.getInteger(PROPERTY); static void
   * kernel(int i, int[] out) { out[i] = K; } }} with a {@code lookup()} for making its lambda.
   */
  private static byte[] constantClass() {
    ClassDesc self = ClassDesc.of(NAME);
    ClassDesc integer = ClassDesc.of("java.lang.Integer");
    ClassDesc lookupType = ClassDesc.of("java.lang.invoke.MethodHandles$Lookup");
    return ClassFile.of().build(self, cb -> {
      cb.withFlags(AccessFlag.PUBLIC, AccessFlag.FINAL);
      cb.withField("K", CD_int, ClassFile.ACC_PUBLIC | ClassFile.ACC_STATIC | ClassFile.ACC_FINAL);
      cb.withMethodBody("<clinit>", MethodTypeDesc.of(CD_void), ClassFile.ACC_STATIC, c -> c.ldc(PROPERTY)
          .invokestatic(integer, "getInteger", MethodTypeDesc.of(integer, ClassDesc.of("java.lang.String")))
          .invokevirtual(integer, "intValue", MethodTypeDesc.of(CD_int)).putstatic(self, "K", CD_int).return_());
      cb.withMethodBody("kernel", MethodTypeDesc.of(CD_void, CD_int, CD_int.arrayType()),
          ClassFile.ACC_PUBLIC | ClassFile.ACC_STATIC,
          c -> c.aload(1).iload(0).getstatic(self, "K", CD_int).iastore().return_());
      cb.withMethodBody("lookup", MethodTypeDesc.of(lookupType), ClassFile.ACC_PUBLIC | ClassFile.ACC_STATIC,
          c -> c.invokestatic(ClassDesc.of("java.lang.invoke.MethodHandles"), "lookup", MethodTypeDesc.of(lookupType))
              .areturn());
    });
  }

  /** The class in a loader of its own, which also serves its bytes (the translator reads them). */
  private static ClassLoader loader() {
    return new OneClassLoader(ClKernelLoaderTest.class.getClassLoader(), NAME, BYTES);
  }

  /** The serializable lambda of {@code kernel}, as javac makes one, with {@code K} read as {@code k}. */
  @SuppressWarnings("unchecked")
  private static Kernel1<int[]> kernel(ClassLoader loader, int k) throws Throwable {
    System.setProperty(PROPERTY, Integer.toString(k));
    Class<?> type = Class.forName(NAME, true, loader);
    MethodHandles.Lookup lookup = (MethodHandles.Lookup) type.getMethod("lookup").invoke(null);
    MethodType kernelType = MethodType.methodType(void.class, int.class, int[].class);
    return (Kernel1<int[]>) LambdaMetafactory.altMetafactory(lookup, "run", MethodType.methodType(Kernel1.class),
        MethodType.methodType(void.class, int.class, Object.class), lookup.findStatic(type, "kernel", kernelType),
        kernelType, LambdaMetafactory.FLAG_SERIALIZABLE).getTarget().invoke();
  }

  /**
   * {@code static void kernel(int, float[], float[])} storing {@code second[i] = first[i + 1]}, without a
   * LocalVariableTable, and with a MethodParameters attribute naming the parameters {@code names} unless null.
   */
  private static Kernel2<float[], float[]> shifted(String name, String[] names) throws Throwable {
    ClassDesc self = ClassDesc.of(name);
    ClassDesc lookupType = ClassDesc.of("java.lang.invoke.MethodHandles$Lookup");
    MethodTypeDesc type = MethodTypeDesc.of(CD_void, CD_int, CD_float.arrayType(), CD_float.arrayType());
    byte[] bytes = ClassFile.of().build(self, cb -> {
      cb.withFlags(AccessFlag.PUBLIC, AccessFlag.FINAL);
      cb.withMethod("kernel", type, ClassFile.ACC_PUBLIC | ClassFile.ACC_STATIC, mb -> {
        if (names != null) {
          mb.with(MethodParametersAttribute.of(java.util.Arrays.stream(names)
              .map(n -> MethodParameterInfo.ofParameter(java.util.Optional.of(n), 0)).toList()));
        }
        mb.withCode(c -> c.aload(2).iload(0).aload(1).iload(0).iconst_1().iadd().faload().fastore().return_());
      });
      cb.withMethodBody("lookup", MethodTypeDesc.of(lookupType), ClassFile.ACC_PUBLIC | ClassFile.ACC_STATIC,
          c -> c.invokestatic(ClassDesc.of("java.lang.invoke.MethodHandles"), "lookup", MethodTypeDesc.of(lookupType))
              .areturn());
    });
    ClassLoader loader = new OneClassLoader(ClKernelLoaderTest.class.getClassLoader(), name, bytes);
    Class<?> generated = loader.loadClass(name);
    MethodHandles.Lookup lookup = (MethodHandles.Lookup) generated.getMethod("lookup").invoke(null);
    MethodType kernelType = MethodType.methodType(void.class, int.class, float[].class, float[].class);
    @SuppressWarnings("unchecked")
    Kernel2<float[], float[]> kernel = (Kernel2<float[], float[]>) LambdaMetafactory.altMetafactory(lookup, "run",
        MethodType.methodType(Kernel2.class), MethodType.methodType(void.class, int.class, Object.class, Object.class),
        lookup.findStatic(generated, "kernel", kernelType), kernelType, LambdaMetafactory.FLAG_SERIALIZABLE)
        .getTarget().invoke();
    return kernel;
  }

  @Test
  void parametersAreNamedAlikeOnEveryBackendWithOrWithoutDebugInformation() throws Throwable {
    for (String[] names : new String[][] {null, {"i", "source", "target"}}) {
      Kernel2<float[], float[]> kernel = shifted("dev.pincette.opencl.generated.Shifted" + (names == null ? "" : "Named"),
          names);
      String array = names == null ? "arg1" : "source";
      for (BackendKind kind : new BackendKind[] {BackendKind.CPU, BackendKind.OPENCL}) {
        ArrayIndexOutOfBoundsException e = org.junit.jupiter.api.Assertions.assertThrows(
            ArrayIndexOutOfBoundsException.class, () -> Compute.on(kind).forEach(4, kernel, new float[4], new float[4]));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().endsWith("Index 4 out of bounds for length 4 of "
            + array + ", in work item 3"), kind + ": " + e.getMessage());
      }
      IllegalArgumentException wrong = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
          () -> Compute.forEach(4, (Kernel2) kernel, new float[4], new int[4]));
      org.junit.jupiter.api.Assertions.assertTrue(wrong.getMessage().contains("argument 2 ("
          + (names == null ? "arg2" : "target") + ")"), wrong.getMessage());
    }
  }

  @Test
  void oneClassFileWithTwoConstantsGivesTwoPrograms() throws Throwable {
    Kernel1<int[]> first = kernel(loader(), 7);
    Kernel1<int[]> second = kernel(loader(), 11);
    assertNotEquals(first.getClass(), second.getClass());
    int[] out = new int[3];
    Compute.on(BackendKind.OPENCL).forEach(3, first, out);
    assertEquals("opencl", Compute.lastCall().backend());
    assertArrayEquals(new int[] {7, 7, 7}, out);
    Compute.on(BackendKind.OPENCL).forEach(3, second, out);
    assertEquals("opencl", Compute.lastCall().backend());
    assertArrayEquals(new int[] {11, 11, 11}, out, "the second class's own constant, not the first's program");
  }

  @Test
  void aLoaderWhoseKernelsRanIsUnloaded() throws Throwable {
    WeakReference<ClassLoader> loader = runEverywhereAndForget();
    for (int k = 0; k < 20 && loader.get() != null; k++) {
      System.gc();
      Thread.sleep(50);
    }
    assertNull(loader.get(), "something Pincette keeps for the kernel holds its class loader");
  }

  private static WeakReference<ClassLoader> runEverywhereAndForget() throws Throwable {
    ClassLoader loader = loader();
    Kernel1<int[]> kernel = kernel(loader, 3);
    int[] out = new int[100];
    Compute.on(BackendKind.OPENCL).forEach(out.length, kernel, out);
    Compute.on(BackendKind.CPU).forEach(out.length, kernel, out);
    Compute.forEach(out.length, kernel, out);
    Compute.checkingRaces().forEach(out.length, kernel, out);
    assertEquals(3, out[99]);
    return new WeakReference<>(loader);
  }
}
