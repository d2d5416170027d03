package dev.pincette.opencl;

import dev.pincette.BackendKind;
import dev.pincette.Compute;
import dev.pincette.testing.SpatialProperties;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * {@link SpatialProperties} on OpenCL: maps built on the device answer every query like brute force, whether the
 * device groups the points on a dense grid or through its hash table, with every level on the device throughout.
 */
class SpatialPropertiesClTest {
  @BeforeAll
  static void requireDevice() {
    ClTestDevice.require(new ClBackend(null, null, false, true));
  }

  static List<SpatialProperties.Cloud> clouds() {
    return SpatialProperties.clouds();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("clouds")
  void everyQueryEqualsBruteForce(SpatialProperties.Cloud cloud) {
    SpatialProperties.check(cloud, build -> Compute.on(BackendKind.OPENCL).call(build::get), "opencl");
  }

  /** The same with the dense grid off: every cloud is grouped through the hash table. */
  @ParameterizedTest(name = "{0}")
  @MethodSource("clouds")
  void everyQueryEqualsBruteForceOnTheHashTable(SpatialProperties.Cloud cloud) {
    ClSpatialScanTest.withProperties("false", "true", () -> everyQueryEqualsBruteForce(cloud));
  }
}
