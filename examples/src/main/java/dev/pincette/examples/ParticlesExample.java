package dev.pincette.examples;

import dev.pincette.BackendKind;
import dev.pincette.Compute;
import dev.pincette.DeviceArray;
import dev.pincette.spatial.DeviceNeighbors;
import dev.pincette.spatial.Neighbors;
import dev.pincette.spatial.SpatialHashMap;
import java.awt.Color;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.Locale;
import java.util.SplittableRandom;
import java.util.stream.IntStream;
import javax.imageio.ImageIO;

/**
 * A small 2D fluid in the spirit of smoothed-particle hydrodynamics: a block of particles falls into a box and
 * splashes. Every step finds each particle's neighbours with the spatial hash map, computes densities and pressure and
 * viscosity forces from them, moves the particles and updates the map. The physics runs as Java kernels
 * ({@link ParticleKernels}) on resident data: on a GPU a whole step stays on the device (positions, velocities and
 * densities resident, the map updated from the resident positions, its neighbour lists resident, the kernels chained
 * behind each other), on the CPU the same kernels run in parallel on plain arrays. {@code --physics loops} runs the
 * hand-written host loops the kernels replace instead (the same results, bit for bit). It prints the time of each part
 * of a step and can write a PNG snapshot, particles coloured by density.
 *
 * <pre>
 * ./pincette-example ParticlesExample --particles 200000 --steps 50 --backend opencl --png fluid.png
 * java ... dev.pincette.examples.ParticlesExample [--particles N] [--steps S] [--backend auto|cpu|opencl]
 *     [--physics kernels|loops] [--png FILE]
 * </pre>
 */
public final class ParticlesExample {
  /** How a step's physics runs. */
  public enum Physics {
    /** {@link ParticleKernels} through {@code Compute.forEach}, on resident data. */
    KERNELS,
    /** Parallel loops on the host over downloaded neighbour lists, as before the kernels. */
    LOOPS;

    static Physics parse(String name) {
      return switch (name.toLowerCase(Locale.ROOT)) {
        case "kernels" -> KERNELS;
        case "loops" -> LOOPS;
        default -> throw new IllegalArgumentException("--physics is kernels or loops, got " + name);
      };
    }
  }

  private final int n;
  private final float h;
  private final float dt;
  private final float[] pos;
  private final float[] vel;
  private final float[] density;
  /** The mean density of the initial block, measured in the first step: the fluid keeps it. */
  private float restDensity = Float.NaN;

  /** {@code n} particles in a block over the left half of the unit box, about 20 neighbours each. */
  public ParticlesExample(int n) {
    if (n < 2) throw new IllegalArgumentException("particles: need at least 2, got " + n);
    this.n = n;
    this.h = (float) Math.sqrt(20.0 / (Math.PI * n * 2));
    this.dt = ParticleKernels.STEP_PER_RADIUS * h;
    this.pos = new float[2 * n];
    this.vel = new float[2 * n];
    this.density = new float[n];
    SplittableRandom rnd = new SplittableRandom(9);
    for (int i = 0; i < n; i++) {
      pos[2 * i] = (float) (0.02 + 0.48 * rnd.nextDouble());
      pos[2 * i + 1] = (float) (0.02 + 0.96 * rnd.nextDouble());
    }
  }

  public static void main(String[] args) throws IOException {
    int particles = 100_000;
    int steps = 30;
    BackendKind backend = BackendKind.AUTO;
    Physics physics = Physics.KERNELS;
    Path png = null;
    for (int i = 0; i < args.length; i++) {
      String value = i + 1 < args.length ? args[i + 1] : null;
      switch (args[i]) {
        case "--particles" -> particles = Integer.parseInt(required(args[i], value));
        case "--steps" -> steps = Integer.parseInt(required(args[i], value));
        case "--backend" -> backend = BackendKind.parse(required(args[i], value));
        case "--physics" -> physics = Physics.parse(required(args[i], value));
        case "--png" -> png = Path.of(required(args[i], value));
        default -> throw new IllegalArgumentException("unknown option " + args[i]
            + "; use --particles N --steps S --backend auto|cpu|opencl --physics kernels|loops --png FILE");
      }
      i++;
    }
    if (png != null && ModuleLayer.boot().findModule("java.desktop").isEmpty()) {
      System.err.println("particles: --png needs the java.desktop module, which this Java runtime lacks");
      System.exit(2);
    }
    ParticlesExample fluid = new ParticlesExample(particles);
    int steps0 = steps;
    Physics physics0 = physics;
    Compute.on(backend).call(() -> {
      fluid.simulate(steps0, physics0, System.out);
      return null;
    });
    if (png != null) {
      fluid.writePng(png, 800);
      System.out.println("snapshot: " + png);
    }
  }

  private static String required(String option, String value) {
    if (value == null) throw new IllegalArgumentException(option + " needs a value");
    return value;
  }

  /** {@link #simulate(int, Physics, PrintStream)} with the kernels. */
  public double simulate(int steps, PrintStream out) {
    return simulate(steps, Physics.KERNELS, out);
  }

  /**
   * Runs {@code steps} steps, printing one line of timings per step (the neighbour search, the physics, the map's
   * update); returns the mean neighbours per particle.
   */
  public double simulate(int steps, Physics physics, PrintStream out) {
    try (SpatialHashMap map = SpatialHashMap.build(pos, 2, h)) {
      out.printf(Locale.ROOT, "%d particles, smoothing radius %.4f, map on %s, physics: %s%n", n, h, map.backend(),
          physics.name().toLowerCase(Locale.ROOT));
      return physics == Physics.KERNELS ? simulateKernels(map, steps, out) : simulateLoops(map, steps, out);
    }
  }

  private double simulateLoops(SpatialHashMap map, int steps, PrintStream out) {
    double neighbours = 0;
    for (int step = 0; step < steps; step++) {
      long t0 = System.nanoTime();
      Neighbors nb = map.neighborsWithin(h);
      long t1 = System.nanoTime();
      step(nb);
      long t2 = System.nanoTime();
      map.update(pos);
      long t3 = System.nanoTime();
      neighbours = (double) nb.totalPairs() / n;
      print(out, step, neighbours, t0, t1, t2, t3);
    }
    return neighbours;
  }

  /**
   * The kernels on resident data. The physics waits for its last kernel before the clock reads, so that each phase's
   * time is its own; the rest density is measured once, like the loops, from the first step's densities on the host.
   */
  private double simulateKernels(SpatialHashMap map, int steps, PrintStream out) {
    double neighbours = 0;
    float mass = kernelMass();
    try (DeviceArray<float[]> position = Compute.upload(pos);
         DeviceArray<float[]> velocity = Compute.upload(vel);
         DeviceArray<float[]> next = Compute.zeros(float[].class, 2 * n);
         DeviceArray<float[]> rho = Compute.zeros(float[].class, n)) {
      for (int step = 0; step < steps; step++) {
        long t0 = System.nanoTime();
        try (DeviceNeighbors nb = map.neighborsWithinResident(h)) {
          long t1 = System.nanoTime();
          Compute.forEach(n, ParticleKernels::density, h, mass, position, nb.offsets(), nb.indices(), rho);
          if (Float.isNaN(restDensity)) restDensity = meanOf(rho.download());
          Compute.forEach(n, ParticleKernels::forces, h, restDensity, position, velocity, rho, nb.offsets(),
              nb.indices(), next);
          Compute.forEach(2 * n, ParticleKernels::integrate, h, position, velocity, next);
          position.await();
          long t2 = System.nanoTime();
          map.update(position);
          long t3 = System.nanoTime();
          neighbours = (double) nb.totalPairs() / n;
          print(out, step, neighbours, t0, t1, t2, t3);
        }
      }
      position.downloadInto(pos);
      velocity.downloadInto(vel);
      rho.downloadInto(density);
    }
    return neighbours;
  }

  private static void print(PrintStream out, int step, double neighbours, long t0, long t1, long t2, long t3) {
    out.printf(Locale.ROOT, "step %3d: %.1f neighbours/particle, search %.1f ms, physics %.1f ms,"
        + " update %.1f ms%n", step, neighbours, (t1 - t0) / 1e6, (t2 - t1) / 1e6, (t3 - t2) / 1e6);
  }

  /** The mean of {@code values}, summed in order in double (as the loops measure the rest density). */
  private float meanOf(float[] values) {
    double total = 0;
    for (float d : values) total += d;
    return (float) (total / n);
  }

  private float kernelMass() {
    return 1f / n;
  }

  /** The smoothing kernel (unnormalised; constants fold into the stiffness): (1 - r/h)², zero beyond h. */
  private float kernel(float r) {
    float q = 1 - r / h;
    return q > 0 ? q * q : 0;
  }

  /** One step of the hand-written loops ({@code --physics loops}): what {@link ParticleKernels} computes. */
  private void step(Neighbors nb) {
    int[] offsets = nb.offsets();
    int[] indices = nb.indices();
    float mass = kernelMass();
    IntStream.range(0, n).parallel().forEach(i -> {
      float rho = mass;
      for (int p = offsets[i]; p < offsets[i + 1]; p++) rho += mass * kernel(distance(i, indices[p]));
      density[i] = rho;
    });
    if (Float.isNaN(restDensity)) restDensity = meanOf(density);
    float[] next = vel.clone();
    IntStream.range(0, n).parallel().forEach(i -> {
      // Pressure only pushes: a pull where the fluid is thin would clump it (the tensile instability).
      float pi = Math.max(0, ParticleKernels.STIFFNESS * (density[i] / restDensity - 1));
      float fx = 0, fy = ParticleKernels.GRAVITY;
      for (int p = offsets[i]; p < offsets[i + 1]; p++) {
        int j = indices[p];
        float dx = pos[2 * i] - pos[2 * j], dy = pos[2 * i + 1] - pos[2 * j + 1];
        float r = Math.max((float) Math.sqrt(dx * dx + dy * dy), 1e-6f);
        float pj = Math.max(0, ParticleKernels.STIFFNESS * (density[j] / restDensity - 1));
        float push = 0.5f * (pi + pj) * (1 - r / h) / (r * h);
        float damp = ParticleKernels.VISCOSITY * (1 - r / h);
        fx += push * dx - damp * (vel[2 * i] - vel[2 * j]);
        fy += push * dy - damp * (vel[2 * i + 1] - vel[2 * j + 1]);
      }
      next[2 * i] += dt * fx;
      next[2 * i + 1] += dt * fy;
    });
    System.arraycopy(next, 0, vel, 0, vel.length);
    for (int i = 0; i < n; i++) {
      for (int d = 0; d < 2; d++) {
        int k = 2 * i + d;
        pos[k] += dt * vel[k];
        if (pos[k] < 0) {
          pos[k] = -pos[k] * 0.5f;
          vel[k] = -0.5f * vel[k];
        } else if (pos[k] > 1) {
          pos[k] = 1 - (pos[k] - 1) * 0.5f;
          vel[k] = -0.5f * vel[k];
        }
      }
    }
  }

  private float distance(int i, int j) {
    float dx = pos[2 * i] - pos[2 * j], dy = pos[2 * i + 1] - pos[2 * j + 1];
    return (float) Math.sqrt(dx * dx + dy * dy);
  }

  /** The particles' positions, interleaved x, y (a copy). */
  public float[] positions() {
    return pos.clone();
  }

  /** The particles' velocities, interleaved x, y (a copy). */
  public float[] velocities() {
    return vel.clone();
  }

  /**
   * Writes a {@code size}×{@code size} PNG: each particle a dot, blue at rest density to red when compressed. Needs
   * the {@code java.desktop} module (a jlink'd runtime without it fails here with {@link IOException}, and only here).
   */
  public void writePng(Path file, int size) throws IOException {
    if (ModuleLayer.boot().findModule("java.desktop").isEmpty()) {
      throw new IOException("--png needs the java.desktop module, which this Java runtime lacks");
    }
    float[] shade = new float[n];
    for (int i = 0; i < n; i++) {
      shade[i] = Float.isNaN(restDensity) ? 0 : Math.clamp(density[i] / restDensity - 0.5f, 0f, 1f);
    }
    Png.write(file, size, pos, shade);
  }

  /** The image code, apart so that the example itself runs on runtimes without AWT. */
  private static final class Png {
    static void write(Path file, int size, float[] xy, float[] shade) throws IOException {
      BufferedImage image = new BufferedImage(size, size, BufferedImage.TYPE_INT_RGB);
      for (int i = 0; i < shade.length; i++) {
        int x = Math.clamp((int) (xy[2 * i] * (size - 1)), 0, size - 1);
        int y = Math.clamp((int) ((1 - xy[2 * i + 1]) * (size - 1)), 0, size - 1);
        image.setRGB(x, y, Color.HSBtoRGB(0.66f * (1 - shade[i]), 0.9f, 1f));
      }
      if (!ImageIO.write(image, "png", file.toFile())) throw new IOException("no PNG writer in this JVM");
    }
  }
}
