package dev.pincette.examples;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pincette.BackendKind;
import dev.pincette.Compute;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ParticlesExampleTest {
  private static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

  @Test
  void theFluidStaysInTheBoxPrintsTimingsAndWritesAPng(@TempDir Path dir) throws Exception {
    ParticlesExample fluid = new ParticlesExample(3000);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    double neighbours = fluid.simulate(5, new PrintStream(bytes, true, StandardCharsets.UTF_8));
    String out = bytes.toString(StandardCharsets.UTF_8);
    assertTrue(out.contains("step   4:") && out.contains("search") && out.contains("physics: kernels"), out);
    assertTrue(neighbours > 5 && neighbours < 60, "neighbours per particle: " + neighbours);
    for (float p : fluid.positions()) assertTrue(p >= 0 && p <= 1, "position " + p);
    org.junit.jupiter.api.Assumptions.assumeTrue(ModuleLayer.boot().findModule("java.desktop").isPresent(),
        "no java.desktop in this runtime: no PNG");
    Path png = dir.resolve("fluid.png");
    fluid.writePng(png, 200);
    byte[] head = java.util.Arrays.copyOf(Files.readAllBytes(png), 4);
    assertArrayEquals(new byte[] {(byte) 0x89, 'P', 'N', 'G'}, head);
  }

  /** The kernels compute what the hand-written loops compute, operation for operation: the same bits, step after step. */
  @Test
  void cpuKernelsGiveTheLoopsResultsBitForBit() {
    ParticlesExample loops = new ParticlesExample(4000);
    ParticlesExample kernels = new ParticlesExample(4000);
    Compute.on(BackendKind.CPU).run(() -> {
      loops.simulate(8, ParticlesExample.Physics.LOOPS, QUIET);
      kernels.simulate(8, ParticlesExample.Physics.KERNELS, QUIET);
    });
    assertArrayEquals(loops.positions(), kernels.positions());
    assertArrayEquals(loops.velocities(), kernels.velocities());
  }

  /**
   * On OpenCL (PoCL here) the same kernels run on resident data, the map on the device: the same bits as on the CPU,
   * since both compute each operation as Java does and the neighbour lists are the same, in the same order.
   */
  @Test
  void openClKernelsGiveTheCpuKernelsResultsBitForBit() {
    if (Compute.devices().stream().noneMatch(d -> d.backend().equals("opencl") && d.available())) {
      // As every OpenCL test: a missing device fails on CI, where these tests must run.
      if ("true".equalsIgnoreCase(System.getenv("CI"))) {
        org.junit.jupiter.api.Assertions.fail("no OpenCL device (CI=true: OpenCL tests must run)");
      }
      org.junit.jupiter.api.Assumptions.abort("no OpenCL device");
    }
    ParticlesExample onCpu = new ParticlesExample(4000);
    ParticlesExample onGpu = new ParticlesExample(4000);
    Compute.on(BackendKind.CPU).run(() -> onCpu.simulate(6, ParticlesExample.Physics.KERNELS, QUIET));
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    dev.pincette.CallRecord last = Compute.on(BackendKind.OPENCL).call(() -> {
      onGpu.simulate(6, ParticlesExample.Physics.KERNELS, new PrintStream(bytes, true, StandardCharsets.UTF_8));
      return Compute.lastCall();
    });
    assertTrue(last.backend().equals("opencl") && !last.fellBack(), "the kernels ran on OpenCL: " + last);
    String out = bytes.toString(StandardCharsets.UTF_8);
    assertTrue(out.contains("map on opencl"), out);
    assertArrayEquals(onCpu.positions(), onGpu.positions());
    assertArrayEquals(onCpu.velocities(), onGpu.velocities());
  }
}
