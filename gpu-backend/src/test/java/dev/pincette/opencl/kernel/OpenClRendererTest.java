package dev.pincette.opencl.kernel;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pincette.translate.KernelModel;
import dev.pincette.translate.KernelTranslator;
import java.lang.constant.MethodTypeDesc;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * What the renderer promises for float semantics, whatever the device: no contraction into FMAs, no fast-math
 * options, and float division and square root correctly rounded where the device can round them so.
 */
class OpenClRendererTest {
  static void saxpyDivided(int i, float a, float[] x, float[] y) {
    y[i] = a * x[i] + y[i] / (float) Math.sqrt(x[i]);
  }

  private static final List<String> FAST_MATH = List.of("-cl-fast-relaxed-math", "-cl-mad-enable",
      "-cl-unsafe-math-optimizations", "-cl-finite-math-only", "-cl-no-signed-zeros", "-cl-denorms-are-zero");

  private static OpenClRenderer.Rendered render(boolean fp64, boolean correctlyRounded) {
    KernelModel model = KernelTranslator.shared().translate(OpenClRendererTest.class, "saxpyDivided",
        MethodTypeDesc.ofDescriptor("(IF[F[F)V"));
    return OpenClRenderer.render(model, new OpenClRenderer.DeviceTraits(fp64, correctlyRounded), true, false);
  }

  @Test
  void contractionIsOffAndNoFastMathOptionIsGivenOnAnyDevice() {
    for (boolean fp64 : new boolean[] {true, false}) {
      for (boolean correctlyRounded : new boolean[] {true, false}) {
        OpenClRenderer.Rendered r = render(fp64, correctlyRounded);
        String source = r.source();
        int pragma = source.indexOf("#pragma OPENCL FP_CONTRACT OFF");
        assertTrue(pragma >= 0 && pragma < source.indexOf("__kernel"), source);
        assertFalse(source.contains("mad(") || source.contains("fma("), source);
        for (String fast : FAST_MATH) assertFalse(r.options().contains(fast), r.options());
      }
    }
  }

  @Test
  void everyDeviceCapabilityAndBoundsSettingRendersAProgramOfItsOwn() {
    // Programs are cached by the hash of source and options: renderings that differ keep programs apart.
    KernelModel model = KernelTranslator.shared().translate(OpenClRendererTest.class, "saxpyDivided",
        MethodTypeDesc.ofDescriptor("(IF[F[F)V"));
    java.util.Set<String> programs = new java.util.HashSet<>();
    for (boolean fp64 : new boolean[] {true, false}) {
      for (boolean correctlyRounded : new boolean[] {true, false}) {
        for (boolean checks : new boolean[] {true, false}) {
          OpenClRenderer.Rendered r = OpenClRenderer.render(model, new OpenClRenderer.DeviceTraits(fp64,
              correctlyRounded), checks, false);
          programs.add(r.source() + "\0" + r.options());
        }
      }
    }
    // Where the device rounds float division and sqrt correctly, this float kernel renders the same with or without
    // fp64 (one program, rightly): 6 distinct programs of 8 settings.
    assertEquals(6, programs.size());
  }

  @Test
  void floatDivisionAndSquareRootAreCorrectlyRoundedWhereTheDeviceCan() {
    assertEquals("-cl-fp32-correctly-rounded-divide-sqrt", render(true, true).options());
    assertEquals("-cl-fp32-correctly-rounded-divide-sqrt", render(false, true).options());
    // Without the option, through double, which rounds the same.
    OpenClRenderer.Rendered viaDouble = render(true, false);
    assertEquals("", viaDouble.options());
    assertTrue(viaDouble.source().contains("convert_float_rte((double) "), viaDouble.source());
    assertTrue(viaDouble.source().contains("convert_float_rte(sqrt((double) "), viaDouble.source());
  }

  static void pairDistance(int i, float[] pos, int[] neighbours, float[] out) {
    int j = neighbours[i];
    float dx = pos[2 * i] - pos[2 * j];
    float dy = pos[2 * i + 1] - pos[2 * j + 1];
    out[i] = dx * dx + dy * dy;
  }

  @Test
  void loadsOfABlockFollowAllItsChecksSoNeighbouringLoadsMayMerge() {
    KernelModel model = KernelTranslator.shared().translate(OpenClRendererTest.class, "pairDistance",
        MethodTypeDesc.ofDescriptor("(I[F[I[F)V"));
    String source = OpenClRenderer.render(model, new OpenClRenderer.DeviceTraits(true, true), true, false).source();
    assertTrue(source.contains("__global int* restrict pincette_err"), source);
    List<String> lines = source.lines().map(String::strip).toList();
    // The neighbour's index is loaded right after its check (the other checks need it); the four loads of pos come
    // after the last check of pos, in program order.
    int lastPosCheck = -1;
    List<Integer> posLoads = new java.util.ArrayList<>();
    for (int k = 0; k < lines.size(); k++) {
      if (lines.get(k).matches("if \\(\\(uint\\) v\\d+ >= \\(uint\\) p1_len\\).*")) lastPosCheck = k;
      if (lines.get(k).matches("v\\d+ = p1\\[v\\d+\\];")) posLoads.add(k);
    }
    assertEquals(4, posLoads.size(), source);
    assertTrue(lastPosCheck >= 0 && lastPosCheck < posLoads.getFirst(), source);
    for (int k = 1; k < posLoads.size(); k++) {
      assertTrue(posLoads.get(k) - posLoads.get(k - 1) <= 4, "loads of pos spread out:\n" + source);
    }
    // Without bounds checks nothing moves: the loads stay where the bytecode has them.
    String unchecked = OpenClRenderer.render(model, new OpenClRenderer.DeviceTraits(true, true), false, false)
        .source();
    assertFalse(unchecked.contains("pincette_fail(pincette_err, 1"), unchecked);
  }
}
