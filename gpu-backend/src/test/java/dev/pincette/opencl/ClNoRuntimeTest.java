package dev.pincette.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pincette.kernels.MatmulOp;
import dev.pincette.spi.Backend;
import java.io.File;
import java.io.IOException;
import java.net.JarURLConnection;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.lwjgl.opencl.CL;
import org.lwjgl.system.Platform;

/**
 * Without a usable OpenCL runtime the backend is unavailable with a one-line reason and nothing is thrown. Each case
 * runs in a fresh JVM, since the OpenCL library is loaded once per JVM.
 */
class ClNoRuntimeTest {
  @TempDir
  Path emptyVendors;

  /** Prints what the provider made of the OpenCL runtime it found. */
  public static final class Probe {
    public static void main(String[] args) {
      Backend backend = new ClBackendProvider().create();
      System.out.println("available=" + backend.isAvailable());
      System.out.println("reason=" + backend.unavailableReason());
      System.out.println("devices=" + backend.devices());
    }
  }

  private static String probe(Map<String, String> env, String... jvmFlags) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "--enable-native-access=ALL-UNNAMED", "--sun-misc-unsafe-memory-access=allow"));
    command.addAll(List.of(jvmFlags));
    command.addAll(List.of("-cp", probeClassPath(), Probe.class.getName()));
    ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
    builder.environment().putAll(env);
    Process process = builder.start();
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, process.waitFor(), out);
    assertFalse(out.contains("Exception") || out.contains("\tat "), out);
    return out;
  }

  /**
   * Where the probe's classes come from: this test, the backend, the API, LWJGL and the jar of LWJGL's natives for
   * this platform. Not {@code java.class.path}, which lacks the test classes under the JUnit console launcher.
   */
  private static String probeClassPath() throws IOException {
    Set<String> entries = new LinkedHashSet<>();
    for (Class<?> c : List.of(Probe.class, ClBackendProvider.class, Backend.class, MatmulOp.class, CL.class,
        Platform.class)) {
      entries.add(location(c.getProtectionDomain().getCodeSource().getLocation()).toString());
    }
    // The resource LWJGL extracts its JNI library from, e.g. linux/x64/org/lwjgl/liblwjgl.so.
    String natives = Platform.get().getName().toLowerCase(Locale.ROOT) + "/"
        + Platform.getArchitecture().name().toLowerCase(Locale.ROOT) + "/org/lwjgl/" + System.mapLibraryName("lwjgl");
    URL library = Platform.class.getClassLoader().getResource(natives);
    if (library != null && library.openConnection() instanceof JarURLConnection jar) {
      entries.add(location(jar.getJarFileURL()).toString());
    }
    return String.join(File.pathSeparator, entries);
  }

  private static Path location(URL url) {
    try {
      return Path.of(url.toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException(url.toString(), e);
    }
  }

  @Test
  void aMissingLibraryMakesTheBackendUnavailable() throws Exception {
    String out = probe(Map.of(), "-Dorg.lwjgl.opencl.libname=/nonexistent/libOpenCL.so.1");
    assertTrue(out.contains("available=false"), out);
    assertTrue(out.contains("reason=no OpenCL runtime"), out);
  }

  @Test
  void aRuntimeWithoutDriversMakesTheBackendUnavailable() throws Exception {
    ClTestDevice.require(new ClBackend(null, null, false, true));
    Files.createDirectories(emptyVendors);
    String out = probe(Map.of("OCL_ICD_VENDORS", emptyVendors.toString()));
    assertTrue(out.contains("available=false"), out);
    assertTrue(out.contains("reason=the OpenCL runtime reports no devices"), out);
  }
}
