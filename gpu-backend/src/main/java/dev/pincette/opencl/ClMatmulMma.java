package dev.pincette.opencl;

import dev.pincette.Precision;
import dev.pincette.kernels.MatmulOp;
import dev.pincette.spi.BackendException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Products in a relaxed {@link Precision} on NVIDIA tensor cores ({@code matmul_mma.cl}, inline PTX {@code mma.sync},
 * {@code ldmatrix} and {@code cp.async}): two packing passes round the operands to TF32 or BF16 and lay them out
 * k-contiguous, then one kernel multiplies them with float32 accumulation.
 *
 * <p>The path is taken on devices whose vendor is NVIDIA only, and for each precision only once a probe has built
 * every block shape and checked a product of each against the float64 reference within the precision's bound: a
 * driver or device that refuses the PTX (an older GPU, a driver without inline assembly) leaves the precision to the
 * float32 kernel, which meets its bound. Tests build the same kernels with the PTX replaced by portable code
 * ({@code emulate}), so every index is checked on any OpenCL device.
 */
final class ClMatmulMma {
  static final String SOURCE = "matmul_mma.cl";
  private static final System.Logger LOG = System.getLogger("dev.pincette");

  /**
   * A block shape: a BM×BN block of C per work-group, WM×WN per warp, k-tiles through STAGES shared-memory stages of
   * (BM+BN)×64 bytes.
   */
  record Shape(int bm, int bn, int wm, int wn, int stages) {
    int threads() {
      return bm / wm * (bn / wn) * 32;
    }

    long localBytes() {
      return (long) stages * (bm + bn) * 64;
    }

    long groups(int count, int m, int n) {
      return count * ((m + bm - 1L) / bm) * ((n + bn - 1L) / bn);
    }

    String options(Precision precision, boolean emulate) {
      return String.format(Locale.ROOT, "-DBM=%d -DBN=%d -DWM=%d -DWN=%d -DSTAGES=%d -DWAIT_GROUPS=%d -DPREC=%d"
          + " -DEMULATE=%d", bm, bn, wm, wn, stages, stages - 2, precision == Precision.TF32 ? 1 : 2, emulate ? 1 : 0);
    }

    @Override
    public String toString() {
      return bm + "x" + bn + "/" + wm + "x" + wn + "/" + stages;
    }
  }

  /**
   * Largest first. A stage of a 128×128 block is 16 KB, and NVIDIA's OpenCL gives a work-group 48 KB of local memory:
   * three stages, or two of a 128×256 block.
   */
  static final List<Shape> SHAPES = List.of(new Shape(128, 256, 64, 64, 2), new Shape(128, 128, 64, 64, 3),
      new Shape(64, 64, 32, 32, 4));

  /**
   * The shapes of the emulated path: small blocks, several warps each, so that a portable compiler (PoCL takes some
   * 40 s over one of the large blocks' unrolled emulation) builds them in seconds while every index still varies.
   */
  static final List<Shape> EMULATED_SHAPES = List.of(new Shape(64, 64, 32, 32, 2), new Shape(32, 64, 32, 16, 3));

  private static final Pattern SPEC = Pattern.compile("(\\d{1,4})x(\\d{1,4})/(\\d{1,4})x(\\d{1,4})/(\\d{1,2})");

  /** A shape written as {@link Shape#toString()} ({@code BMxBN/WMxWN/STAGES}), checked against the kernel's needs. */
  static Shape parse(String spec) {
    Matcher match = SPEC.matcher(spec);
    if (!match.matches()) {
      throw new IllegalArgumentException("tensor-core block shape: expected BMxBN/WMxWN/STAGES, e.g. 128x128/64x64/3,"
          + " got '" + spec + "'");
    }
    int[] v = new int[5];
    for (int i = 0; i < 5; i++) v[i] = Integer.parseInt(match.group(i + 1));
    Shape s = new Shape(v[0], v[1], v[2], v[3], v[4]);
    boolean exact = v[2] > 0 && v[3] > 0 && v[0] % v[2] == 0 && v[1] % v[3] == 0 && v[2] % 16 == 0
        && v[3] % 16 == 0 && v[4] >= 2 && (v[0] + v[1]) * 4L % s.threads() == 0 && v[0] % (s.threads() / 4) == 0;
    if (!exact) {
      throw new IllegalArgumentException("tensor-core block shape '" + spec + "': WM and WN must be multiples of 16"
          + " dividing BM and BN, at least 2 stages, the (BM+BN)·4 chunks of a stage a multiple of the threads, and"
          + " BM a multiple of a quarter of them");
    }
    return s;
  }

  /** {@link #SHAPES} and those in {@code extra} (comma-separated), largest blocks first. */
  static List<Shape> candidates(String extra) {
    List<Shape> all = new ArrayList<>(SHAPES);
    if (extra != null && !extra.isBlank()) {
      for (String spec : extra.split(",")) {
        Shape s = parse(spec.strip());
        if (!all.contains(s)) all.add(s);
      }
    }
    all.sort(Comparator.comparingLong((Shape s) -> -(long) s.bm() * s.bn()));
    return all;
  }

  /**
   * Products below this many flops keep the float32 kernel: one launch instead of three, and as fast where the
   * device is far from full.
   */
  static final double MINIMUM_FLOPS = 2.0 * 128 * 128 * 128;

  private final ClDevice device;
  private final boolean emulate;
  private final List<Shape> fitting;
  private volatile double minimumFlops = MINIMUM_FLOPS;
  /** The shapes that passed the probe, per precision; absent until probed. Guarded by {@code this}. */
  private final Map<Precision, List<Shape>> working = new EnumMap<>(Precision.class);

  /**
   * The path on {@code device}: its tensor cores when NVIDIA's, with {@link #SHAPES} and those of {@code extraShapes}
   * (as in {@code pincette.opencl.mmaShapes}; malformed ones are logged and ignored); or, when {@code emulate}, the
   * portable stand-ins on any device, with {@link #EMULATED_SHAPES}.
   */
  ClMatmulMma(ClDevice device, boolean emulate, String extraShapes) {
    this.device = device;
    this.emulate = emulate;
    List<Shape> all;
    try {
      all = emulate ? EMULATED_SHAPES : candidates(extraShapes);
    } catch (IllegalArgumentException e) {
      LOG.log(System.Logger.Level.WARNING, "pincette: pincette.opencl.mmaShapes ignored: " + e.getMessage());
      all = candidates(null);
    }
    List<Shape> fit = new ArrayList<>();
    for (Shape s : all) {
      if (s.threads() <= device.maxWorkGroupSize() && s.localBytes() <= device.localMemory()) fit.add(s);
    }
    this.fitting = List.copyOf(fit);
  }

  /** Whether this device may have the path at all: NVIDIA's, or any device when emulating. */
  private boolean candidateDevice() {
    return emulate || device.vendor().toLowerCase(Locale.ROOT).contains("nvidia");
  }

  /** Sets the size below which products keep the float32 kernel (tests use 0). */
  void minimumFlops(double flops) {
    minimumFlops = flops;
  }

  /** The precisions computed here, probing each the first time. */
  Set<Precision> supported(ClContext context) {
    Set<Precision> out = java.util.EnumSet.noneOf(Precision.class);
    for (Precision p : Precision.values()) {
      if (p != Precision.FP32 && !shapes(context, p).isEmpty()) out.add(p);
    }
    return out;
  }

  /** Whether a product in {@code precision} runs here: a relaxed precision that passed its probe, large enough. */
  boolean takes(ClContext context, Precision precision, int count, int m, int k, int n) {
    return precision != Precision.FP32 && (double) count * MatmulOp.flops(m, k, n) >= minimumFlops
        && !shapes(context, precision).isEmpty();
  }

  /** The shapes that work for {@code precision} on this device (empty when the path is off), probing them once. */
  synchronized List<Shape> shapes(ClContext context, Precision precision) {
    List<Shape> known = working.get(precision);
    if (known != null) return known;
    List<Shape> passed = new ArrayList<>();
    if (precision != Precision.FP32 && candidateDevice()) {
      for (Shape s : fitting) {
        String failure = probe(context, s, precision);
        if (failure == null) {
          passed.add(s);
        } else {
          LOG.log(emulate ? System.Logger.Level.DEBUG : System.Logger.Level.INFO, "pincette: " + precision.id()
              + " tensor-core block " + s + " left out on " + device.name() + ": " + failure);
        }
      }
    }
    known = List.copyOf(passed);
    working.put(precision, known);
    return known;
  }

  /**
   * Builds {@code shape}'s kernels and checks one product, covering partial blocks and a k that is no multiple of the
   * k-tile, against the reference: null when right, else why not.
   */
  private String probe(ClContext context, Shape shape, Precision precision) {
    int m = shape.bm() + 5;
    int k = 75;
    int n = shape.bn() + 3;
    SplittableRandom rnd = new SplittableRandom(17);
    float[] a = new float[m * k];
    float[] b = new float[k * n];
    for (int i = 0; i < a.length; i++) a[i] = (float) (rnd.nextDouble() * 2 - 1);
    for (int i = 0; i < b.length; i++) b[i] = (float) (rnd.nextDouble() * 2 - 1);
    float[] c;
    try (ClCall call = context.begin("matmul.probe")) {
      long da = call.upload(a);
      long db = call.upload(b);
      long dc = call.buffer(4L * m * n);
      call.fill(dc, Float.floatToIntBits(Float.NaN), 4L * m * n);
      launch(call, shape, precision, da, db, dc, 1, m, k, n, false);
      c = call.downloadFloats(dc, m * n);
    } catch (BackendException e) {
      return e.getMessage();
    }
    double[] ref = MatmulOp.reference(a, b, m, k, n);
    double[] bound = MatmulOp.errorBound(a, b, m, k, n, precision.inputRoundoff());
    for (int i = 0; i < c.length; i++) {
      if (!(Math.abs(c[i] - ref[i]) <= bound[i])) {
        return String.format(Locale.ROOT, "element (%d,%d) = %s, reference %s", i / n, i % n, c[i], ref[i]);
      }
    }
    return null;
  }

  /**
   * The shape for a product: the largest whose work-groups keep the compute units busy ({@link ClMatmul#fills}) and
   * whose block is no larger than the product, else the smallest.
   */
  Shape choose(ClContext context, Precision precision, int count, int m, int n) {
    List<Shape> shapes = shapes(context, precision);
    if (shapes.isEmpty()) throw new BackendException(precision.id() + " tensor cores are off on " + device.name());
    for (Shape s : shapes) {
      if (s.bm() <= m && s.bn() <= n && ClMatmul.fills(s.groups(count, m, n), device.computeUnits())) return s;
    }
    return shapes.getLast();
  }

  /**
   * Enqueues {@code c = a · b} ({@code count} products back to back, float32 device buffers) in {@code precision}:
   * the two packing passes and the product, in order on the call's queue. Returns the three commands' events when
   * {@code events} (the caller releases them), else null.
   */
  long[] launch(ClCall call, Shape shape, Precision precision, long a, long b, long c, int count, int m, int k, int n,
      boolean events) {
    int elementBytes = precision == Precision.TF32 ? 4 : 2;
    long kTile = 64 / elementBytes;
    int kp = Math.toIntExact((k + kTile - 1) / kTile * kTile);
    long packedA = call.buffer((long) count * m * kp * elementBytes);
    long packedB = call.buffer((long) count * n * kp * elementBytes);
    String options = shape.options(precision, emulate);
    ClKernel rows = call.kernel(SOURCE, options, "pack_rows")
        .i32(0, m).i32(1, k).i32(2, kp).mem(3, a).mem(4, packedA);
    ClKernel cols = call.kernel(SOURCE, options, "pack_cols")
        .i32(0, k).i32(1, n).i32(2, kp).mem(3, b).mem(4, packedB);
    ClKernel product = call.kernel(SOURCE, options, "matmul_mma")
        .i32(0, m).i32(1, n).i32(2, kp).mem(3, packedA).mem(4, packedB).mem(5, c);
    long[] out = events ? new long[3] : null;
    try {
      long first = call.queue.launch(rows, new long[] {kp, m, count}, null, events);
      if (events) out[0] = first;
      long second = call.queue.launch(cols, new long[] {(n + 31L) / 32 * 32, (kp + 31L) / 32 * 8, count},
          new long[] {32, 8, 1}, events);
      if (events) out[1] = second;
      long third = call.queue.launch(product, new long[] {(n + shape.bn() - 1L) / shape.bn() * shape.threads(),
          (m + shape.bm() - 1L) / shape.bm(), count}, new long[] {shape.threads(), 1, 1}, events);
      if (events) out[2] = third;
      return out;
    } catch (RuntimeException e) {
      if (out != null) ClQueue.release(out);
      throw e;
    }
  }
}
