package dev.pincette.cpu;

/**
 * Whether the Vector API ({@code jdk.incubator.vector}) is in this JVM. Classes that touch {@code FloatVector} are
 * loaded only when it is, so users who don't pass {@code --add-modules jdk.incubator.vector} get the scalar path
 * instead of a {@code NoClassDefFoundError}.
 */
public final class VectorSupport {
  /** True when the vector path is active. {@code -Dpincette.vector=false} turns it off for comparisons. */
  public static final boolean ENABLED = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()
      && Boolean.parseBoolean(System.getProperty("pincette.vector", "true"));

  private VectorSupport() {}

  /** One line for users: which path runs and how to get the fast one. */
  public static String describe() {
    if (ENABLED) return "Vector API active (" + VectorKernels.describeSpecies() + ")";
    if (ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent()) {
      return "scalar path (disabled by -Dpincette.vector=false)";
    }
    return "scalar path: add the JVM flag --add-modules jdk.incubator.vector for SIMD";
  }
}
