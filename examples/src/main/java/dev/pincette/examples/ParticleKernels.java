package dev.pincette.examples;

/**
 * The physics of {@link ParticlesExample} as Java kernels: one work item per particle (per coordinate for the
 * integration), over the neighbour lists of a spatial map. The same methods run on the GPU, translated, and on the CPU,
 * in parallel; each computes exactly what the example's hand-written loops compute, operation for operation, so that
 * both give the same bits.
 */
public final class ParticleKernels {
  /** Box units per second squared. */
  public static final float GRAVITY = -2f;
  /** Pressure per unit of relative compression, in the kernel's units (tuned so the fluid settles, not bounces). */
  public static final float STIFFNESS = 3f;
  /** Velocity damping between neighbours, per neighbour. */
  public static final float VISCOSITY = 0.3f;
  /** The time step as a fraction of the smoothing radius: a particle moves a fraction of it per step. */
  public static final float STEP_PER_RADIUS = 0.1f;

  private ParticleKernels() {}

  /** The smoothing kernel (unnormalised; constants fold into the stiffness): (1 - r/h)², zero beyond h. */
  static float smoothing(float r, float h) {
    float q = 1 - r / h;
    return q > 0 ? q * q : 0;
  }

  /** Pressure only pushes: a pull where the fluid is thin would clump it (the tensile instability). */
  static float pressure(float density, float restDensity) {
    return Math.max(0, STIFFNESS * (density / restDensity - 1));
  }

  /** Density of particle {@code i}: its own mass and its neighbours' (in {@code indices[offsets[i] .. offsets[i+1])}). */
  public static void density(int i, float h, float mass, float[] pos, int[] offsets, int[] indices, float[] density) {
    float rho = mass;
    for (int p = offsets[i]; p < offsets[i + 1]; p++) {
      int j = indices[p];
      float dx = pos[2 * i] - pos[2 * j];
      float dy = pos[2 * i + 1] - pos[2 * j + 1];
      rho += mass * smoothing((float) Math.sqrt(dx * dx + dy * dy), h);
    }
    density[i] = rho;
  }

  /**
   * The next velocity of particle {@code i}: gravity, pressure pushing it from its neighbours and viscosity pulling it
   * towards their velocity, over one step of {@code STEP_PER_RADIUS · h}.
   */
  public static void forces(int i, float h, float restDensity, float[] pos, float[] vel, float[] density,
      int[] offsets, int[] indices, float[] next) {
    float dt = STEP_PER_RADIUS * h;
    float pi = pressure(density[i], restDensity);
    float fx = 0;
    float fy = GRAVITY;
    for (int p = offsets[i]; p < offsets[i + 1]; p++) {
      int j = indices[p];
      float dx = pos[2 * i] - pos[2 * j];
      float dy = pos[2 * i + 1] - pos[2 * j + 1];
      float r = Math.max((float) Math.sqrt(dx * dx + dy * dy), 1e-6f);
      float pj = pressure(density[j], restDensity);
      float push = 0.5f * (pi + pj) * (1 - r / h) / (r * h);
      float damp = VISCOSITY * (1 - r / h);
      fx += push * dx - damp * (vel[2 * i] - vel[2 * j]);
      fy += push * dy - damp * (vel[2 * i + 1] - vel[2 * j + 1]);
    }
    next[2 * i] = vel[2 * i] + dt * fx;
    next[2 * i + 1] = vel[2 * i + 1] + dt * fy;
  }

  /**
   * Coordinate {@code k} (x or y of particle {@code k / 2}) moves with its next velocity; the walls of the unit box
   * reflect it, halving its speed.
   */
  public static void integrate(int k, float h, float[] pos, float[] vel, float[] next) {
    float dt = STEP_PER_RADIUS * h;
    float v = next[k];
    float x = pos[k] + dt * v;
    if (x < 0) {
      x = -x * 0.5f;
      v = -0.5f * v;
    } else if (x > 1) {
      x = 1 - (x - 1) * 0.5f;
      v = -0.5f * v;
    }
    pos[k] = x;
    vel[k] = v;
  }
}
