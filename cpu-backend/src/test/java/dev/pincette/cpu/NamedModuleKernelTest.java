package dev.pincette.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pincette.Compute;
import dev.pincette.kernels.MatmulOp;
import dev.pincette.translate.KernelTranslator;
import java.lang.module.Configuration;
import java.lang.module.ModuleFinder;
import java.lang.reflect.InvocationTargetException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.spi.ToolProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A kernel in a named module whose package is neither exported nor opened: Pincette resolves it (through the lambda's
 * serialized form), runs it on the CPU, and reads its bytecode for the translator and the race checker. The module
 * is compiled here and loaded in a layer of its own, beside Pincette's own modules.
 */
class NamedModuleKernelTest {
  private static Path location(Class<?> type) throws Exception {
    return Path.of(type.getProtectionDomain().getCodeSource().getLocation().toURI());
  }

  @Test
  void aKernelInAClosedPackageOfANamedModuleRunsAndIsTranslated(@TempDir Path dir) throws Exception {
    Path src = dir.resolve("src");
    Files.createDirectories(src.resolve("demo/impl"));
    Files.createDirectories(src.resolve("demo/api"));
    Files.writeString(src.resolve("module-info.java"),
        "module demo.kernels { requires dev.pincette.api; exports demo.api; }");
    Files.writeString(src.resolve("demo/impl/Physics.java"), """
        package demo.impl;
        final class Physics {
          private static final float HALF = 0.5f;
          private static final float SCALE = (float) Math.sqrt(4.0);
          static void saxpy(int i, float a, float[] x, float[] y) { y[i] = a * x[i] + y[i] * HALF * 2; }
          static void scaled(int i, float[] y) { y[i] *= SCALE; }
        }
        """);
    Files.writeString(src.resolve("demo/impl/Run.java"), """
        package demo.impl;
        import dev.pincette.BackendKind;
        import dev.pincette.Compute;
        public final class Run {
          public static float[] plain() {
            float[] x = {1, 2, 3};
            float[] y = {1, 1, 1};
            Compute.on(BackendKind.CPU).forEach(3, Physics::saxpy, 2f, x, y);
            return y;
          }
          public static float[] lambda() {
            float[] y = {1, 2, 3};
            Compute.on(BackendKind.CPU).forEach(3, (i, a, out) -> out[i] *= a, 3f, y);
            return y;
          }
          public static float[] checked() {
            float[] x = {1, 2, 3};
            float[] y = {0, 0, 0};
            Compute.checkingRaces().forEach(3, Physics::saxpy, 2f, x, y);
            return y;
          }
          public static float[] checkedScaled() {
            float[] y = {1, 2, 3};
            Compute.checkingRaces().forEach(3, Physics::scaled, y);
            return y;
          }
        }
        """);
    Files.writeString(src.resolve("demo/api/Entry.java"), """
        package demo.api;
        public final class Entry {
          public static float[] plain() { return demo.impl.Run.plain(); }
          public static float[] lambda() { return demo.impl.Run.lambda(); }
          public static float[] checked() { return demo.impl.Run.checked(); }
          public static float[] checkedScaled() { return demo.impl.Run.checkedScaled(); }
        }
        """);
    List<Path> modules = List.of(location(Compute.class), location(MatmulOp.class), location(KernelTranslator.class),
        location(CpuBackend.class));
    String modulePath = String.join(java.io.File.pathSeparator, modules.stream().map(Path::toString).toList());
    Path classes = dir.resolve("classes");
    List<String> args = new ArrayList<>(List.of("-d", classes.toString(), "--module-path", modulePath, "-g"));
    try (var files = Files.walk(src)) {
      files.filter(p -> p.toString().endsWith(".java")).forEach(p -> args.add(p.toString()));
    }
    ToolProvider javac = ToolProvider.findFirst("javac").orElseThrow();
    assertEquals(0, javac.run(System.out, System.err, args.toArray(String[]::new)), "javac");

    List<Path> all = new ArrayList<>(modules);
    all.add(classes);
    Configuration configuration = ModuleLayer.boot().configuration()
        .resolve(ModuleFinder.of(all.toArray(Path[]::new)), ModuleFinder.of(), Set.of("demo.kernels",
            "dev.pincette.cpu"));
    ModuleLayer layer = ModuleLayer.boot().defineModulesWithOneLoader(configuration,
        ClassLoader.getPlatformClassLoader());
    Module demo = layer.findModule("demo.kernels").orElseThrow();
    assertTrue(demo.isNamed());
    assertTrue(!demo.isOpen("demo.impl") && !demo.isExported("demo.impl"));
    Class<?> entry = layer.findLoader("demo.kernels").loadClass("demo.api.Entry");
    assertArrayEquals(new float[] {3, 5, 7}, call(entry, "plain"));
    assertArrayEquals(new float[] {3, 6, 9}, call(entry, "lambda"));
    // Race checking translates the kernel (its bytecode read as a resource, which needs no opens) and runs an
    // instrumented copy of it.
    assertArrayEquals(new float[] {2, 4, 6}, call(entry, "checked"));
    // A static final computed at run time must be read by reflection: in a closed package only public ones can be.
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> call(entry, "checkedScaled"));
    assertTrue(e.getMessage().contains("Physics.scaled (Physics.java:6): reading demo.impl.Physics.SCALE, which "
        + "Pincette may not read (make it a compile-time constant, or open demo.impl to dev.pincette.translate), is not "
        + "supported in a kernel"), e.getMessage());
  }

  private static float[] call(Class<?> entry, String method) throws Exception {
    try {
      return (float[]) entry.getMethod(method).invoke(null);
    } catch (InvocationTargetException e) {
      throw e.getCause() instanceof Exception x ? x : e;
    }
  }
}
