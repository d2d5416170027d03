package dev.pincette.cpu;

import dev.pincette.BackendKind;
import dev.pincette.Compute;
import dev.pincette.testing.SpatialProperties;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** {@link SpatialProperties} on the CPU: every query equals brute force on every generated cloud. */
class SpatialPropertiesCpuTest {
  static List<SpatialProperties.Cloud> clouds() {
    return SpatialProperties.clouds();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("clouds")
  void everyQueryEqualsBruteForce(SpatialProperties.Cloud cloud) {
    SpatialProperties.check(cloud, build -> Compute.on(BackendKind.CPU).call(build::get), "cpu");
  }
}
