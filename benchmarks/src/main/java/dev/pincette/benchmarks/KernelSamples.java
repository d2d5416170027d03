package dev.pincette.benchmarks;

/** Kernels the kernel benchmarks run: a memory-bound one, a neighbour loop, a sum, and a 50-line SPH force kernel. */
public final class KernelSamples {
  private KernelSamples() {}

  /** Neighbours per particle in {@link #density}. */
  public static final int NEIGHBOURS = 32;
  static final float H = 0.05f;

  public static void saxpy(int i, float a, float[] x, float[] y) {
    y[i] = a * x[i] + y[i];
  }

  /** SPH density over a fixed number of neighbours per particle (poly6 kernel): about 12 flops per neighbour. */
  public static void density(int i, float[] positions, int[] neighbours, float[] density) {
    float xi = positions[3 * i];
    float yi = positions[3 * i + 1];
    float zi = positions[3 * i + 2];
    float h2 = H * H;
    float sum = 0;
    for (int k = 0; k < NEIGHBOURS; k++) {
      int j = neighbours[i * NEIGHBOURS + k];
      float dx = xi - positions[3 * j];
      float dy = yi - positions[3 * j + 1];
      float dz = zi - positions[3 * j + 2];
      float r2 = dx * dx + dy * dy + dz * dz;
      if (r2 < h2) {
        float w = h2 - r2;
        sum += w * w * w;
      }
    }
    density[i] = sum;
  }

  public static float energy(int i, float[] v, float[] m) {
    return 0.5f * m[i] * v[i] * v[i];
  }

  /**
   * Pressure and viscosity forces over CSR neighbour lists with a wall force: 50 lines with loops, branches, callees,
   * Math calls and constants, the size the translation target is stated for.
   */
  public static void forces(int i, float[] positions, float[] velocities, int[] starts, int[] neighbours,
      float[] density, float[] forces) {
    float xi = positions[3 * i];
    float yi = positions[3 * i + 1];
    float zi = positions[3 * i + 2];
    float pi = pressure(density[i]);
    float fx = 0;
    float fy = 0;
    float fz = 0;
    for (int k = starts[i]; k < starts[i + 1]; k++) {
      int j = neighbours[k];
      if (j == i) continue;
      float dx = xi - positions[3 * j];
      float dy = yi - positions[3 * j + 1];
      float dz = zi - positions[3 * j + 2];
      float r = (float) Math.sqrt(dx * dx + dy * dy + dz * dz);
      if (r >= H || r == 0) continue;
      float pj = pressure(density[j]);
      float spiky = spikyGradient(r);
      float shared = -(pi + pj) / (2 * density[j]) * spiky / r;
      fx += shared * dx;
      fy += shared * dy;
      fz += shared * dz;
      float lap = viscosityLaplacian(r) / density[j];
      fx += VISCOSITY * (velocities[3 * j] - velocities[3 * i]) * lap;
      fy += VISCOSITY * (velocities[3 * j + 1] - velocities[3 * i + 1]) * lap;
      fz += VISCOSITY * (velocities[3 * j + 2] - velocities[3 * i + 2]) * lap;
    }
    fy -= GRAVITY * density[i];
    fx += wall(xi);
    fy += wall(yi);
    fz += wall(zi);
    forces[3 * i] = fx;
    forces[3 * i + 1] = fy;
    forces[3 * i + 2] = fz;
  }

  static final float REST_DENSITY = 1000f;
  static final float STIFFNESS = 3f;
  static final float VISCOSITY = 0.2f;
  static final float GRAVITY = 9.81f;

  private static float pressure(float density) {
    return Math.max(0, STIFFNESS * (density - REST_DENSITY));
  }

  private static float spikyGradient(float r) {
    float d = H - r;
    return -45f / (float) Math.PI / (H * H * H * H * H * H) * d * d;
  }

  private static float viscosityLaplacian(float r) {
    return 45f / (float) Math.PI / (H * H * H * H * H * H) * (H - r);
  }

  private static float wall(float x) {
    return x < 0 ? -x * 1e4f : x > 1 ? (1 - x) * 1e4f : 0;
  }
}
