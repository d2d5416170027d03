package dev.pincette.opencl;

import dev.pincette.Precision;
import dev.pincette.kernels.Elements;
import dev.pincette.spi.BackendException;
import dev.pincette.spi.BackendRefusedException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.lwjgl.system.MemoryUtil;

/**
 * Matrix products on the device ({@code matmul.cl}): register-tiled blocks, double-buffered local memory, float4
 * loads, fma accumulation. A batch is one launch (the batch index is the third NDRange dimension).
 *
 * <p>Block shapes come from a short list filtered by the device's limits. The first product large enough to matter
 * times each shape once on a synthetic problem and remembers the fastest for the device (in memory and as a note in
 * the program cache folder); smaller products step down to smaller blocks when the large ones would leave compute
 * units idle.
 *
 * <p>Products asked for in a relaxed {@link Precision} go to the tensor cores where {@link ClMatmulMma} has them, and
 * to the float32 kernel everywhere else (which meets every precision's bound).
 */
final class ClMatmul {
  private static final String SOURCE = "matmul.cl";
  private static final String NOTE = "matmul.tile.v2";
  /**
   * {@code pincette.opencl.matmulGroup}: block rows per group of the launch order (0, the default, is row by row), to
   * measure whether grouping blocks to share B's panels in L2 pays ({@code ClBench --only sgemm}).
   */
  static final int GROUP_ROWS = Math.clamp(Integer.getInteger("pincette.opencl.matmulGroup", 0), 0, 64);
  /** Products below this many multiply-adds use the untuned default: tuning would cost more than it saves. */
  private static final long TUNE_ABOVE = 1L << 24;

  /** A block shape: BM×BN block of C per work-group, BK deep, TM×TN per work-item. */
  record Tile(int bm, int bn, int bk, int tm, int tn) {
    int threadsX() {
      return bn / tn;
    }

    int threadsY() {
      return bm / tm;
    }

    long localBytes() {
      return 2L * 4 * (bk * (bm + 4L) + (long) bk * bn);
    }

    String options() {
      return String.format(Locale.ROOT, "-DBM=%d -DBN=%d -DBK=%d -DTM=%d -DTN=%d", bm, bn, bk, tm, tn)
          + (GROUP_ROWS > 0 ? " -DGROUP=" + GROUP_ROWS : "");
    }

    boolean fits(ClDevice device) {
      return (long) threadsX() * threadsY() <= device.maxWorkGroupSize() && localBytes() <= device.localMemory();
    }

    long groups(int count, int m, int n) {
      return count * ((m + bm - 1L) / bm) * ((n + bn - 1L) / bn);
    }

    @Override
    public String toString() {
      return bm + "x" + bn + "x" + bk + "/" + tm + "x" + tn;
    }
  }

  /**
   * Largest first; each needs threads × 4 floats to divide both tiles exactly (see {@code matmul.cl}). On an H200,
   * device-resident at N=4096 / 8192 ({@code ClBench --only sgemm --tiles}): 256x128x8/16x8 44.3 / 44.5 TFLOP/s,
   * 128x128x16/16x8 42.6 / 43.1, 128x128x8/8x8 41.0 / 41.3, 128x128x16/8x8 35.1 / 35.4; also tried there and left
   * out: 128x256x8/8x16 38.5, 256x128x8/8x16 41.8, 128x128x8/16x8 41.4, 128x128x8/8x16 37.9, 128x128x16/8x16 40.8
   * (N=4096).
   */
  static final List<Tile> TILES = List.of(
      new Tile(256, 128, 8, 16, 8), new Tile(128, 128, 8, 8, 8), new Tile(128, 128, 16, 8, 8),
      new Tile(128, 128, 16, 16, 8), new Tile(64, 64, 16, 4, 4), new Tile(32, 32, 16, 4, 4));

  /**
   * The default shapes kept on CPU devices (PoCL), where generating a block's work-group function costs far more than
   * the block can win: on a loaded 2-core machine PoCL 3.1 took 2.6 s for 128x128x8/8x8 and 1.2 s for 64x64x16/4x4,
   * but 15 s for 32x32x16/4x4, 38 s for 128x128x16/8x8, 102 s for 128x128x16/16x8 and 335 s for 256x128x8/16x8,
   * which the first large product (tuning) or the first 256-row one paid.
   */
  static final List<Tile> CPU_TILES = List.of(new Tile(128, 128, 8, 8, 8), new Tile(64, 64, 16, 4, 4));

  /**
   * The candidate shapes: {@link #TILES} and any given in {@code pincette.opencl.matmulTiles} (comma-separated
   * {@code BMxBNxBK/TMxTN}, for trying shapes on a new device with {@code ClBench --tiles}), largest blocks first.
   */
  static List<Tile> candidates(String extra) {
    List<Tile> all = new ArrayList<>(TILES);
    if (extra != null && !extra.isBlank()) {
      for (String spec : extra.split(",")) {
        Tile t = parse(spec.strip());
        if (!all.contains(t)) all.add(t);
      }
    }
    all.sort(java.util.Comparator.comparingLong((Tile t) -> -(long) t.bm() * t.bn()));
    return all;
  }

  private static final java.util.regex.Pattern SHAPE =
      java.util.regex.Pattern.compile("(\\d{1,4})x(\\d{1,4})x(\\d{1,4})/(\\d{1,4})x(\\d{1,4})");

  /** A shape written as {@link Tile#toString()}, checked against what {@code matmul.cl} needs. */
  static Tile parse(String spec) {
    java.util.regex.Matcher match = SHAPE.matcher(spec);
    if (!match.matches()) {
      throw new IllegalArgumentException("matmul block shape: expected BMxBNxBK/TMxTN, e.g. 128x128x8/8x8, got '"
          + spec + "'");
    }
    int[] v = new int[5];
    for (int i = 0; i < 5; i++) {
      v[i] = Integer.parseInt(match.group(i + 1));
      if (v[i] < 1) throw new IllegalArgumentException("matmul block shape: sizes must be positive: '" + spec + "'");
    }
    Tile t = new Tile(v[0], v[1], v[2], v[3], v[4]);
    long threads = (long) t.threadsX() * t.threadsY();
    boolean exact = v[0] % v[3] == 0 && v[1] % v[4] == 0 && v[3] % 4 == 0 && v[4] % 4 == 0 && v[2] % 4 == 0
        && (long) v[0] * v[2] % (4 * threads) == 0 && (long) v[2] * v[1] % (4 * threads) == 0;
    if (!exact) {
      throw new IllegalArgumentException("matmul block shape '" + spec + "': TM and TN must divide BM and BN, TM, TN"
          + " and BK be multiples of 4, and each of BM×BK and BK×BN a multiple of 4 floats per work-item");
    }
    return t;
  }

  /**
   * Products of at most this many multiply-adds (64³), whose operands and result fit {@link ClQueue#SMALL_BYTES}, take
   * {@link ClQueue#smallProduct}: their time is launch and transfer, which it pays once each. (Exact float32 whatever
   * the precision asked for: matrix units would not be faster at this size.)
   */
  static final long SMALL_WORK = 1L << 18;

  /** {@link #SMALL_WORK}, or 0 in tests that send every product through the tiled kernels. */
  private volatile long smallWork = SMALL_WORK;

  boolean small(int m, int k, int n) {
    return (long) m * k * n <= smallWork && 4L * ((long) m * k + (long) k * n + (long) m * n) <= ClQueue.SMALL_BYTES;
  }

  /** Sets the multiply-adds up to which products take {@link ClQueue#smallProduct} (0: none). */
  void smallProducts(long work) {
    smallWork = work;
  }

  /** Panel side of pipelined products; see {@link ClMatmulPipeline}. */
  static final int PIPELINE_PANEL = 2048;
  /**
   * Host-array products moving at least this many bytes are pipelined on discrete devices, when
   * {@code pincette.opencl.pipeline=true}. Off by default: on the H100 with NVIDIA's OpenCL 3.0 driver the pipelined
   * product took 47 ms at N=4096 and 66 ms at N=8192 against 17 and 52 ms in one piece ({@code ClBench --only
   * pipeline}). Its timeline ({@code pincette.opencl.pipelineTrace=true}) shows why: the panels were up after 8 ms
   * (N=4096) and the tiles computed soon after, but the downloads waited for the JVM to allocate and zero the result
   * (38 ms with the uploads' copies competing for host memory), where one piece zeroes it while the kernel runs.
   * Products of pinned host memory ({@link #multiplyHost}) have neither the copies nor the allocation and pipeline
   * from the same size on: 30.4-33.0 ms at N=8192 there, against a 26.9-27.3 ms kernel.
   */
  static final long PIPELINE_ABOVE = 64L << 20;
  private static final boolean PIPELINE_ON = Boolean.getBoolean("pincette.opencl.pipeline");

  /** Shapes that fit the device; after tuning, those whose kernel built and ran. Replaced only under {@code this}. */
  private volatile List<Tile> usable;
  /** Pipelining settings (tests use small ones so that PoCL runs the pipeline on small shapes). */
  private volatile int pipelinePanel = PIPELINE_PANEL;
  private volatile long pipelineAbove = PIPELINE_ON ? PIPELINE_ABOVE : Long.MAX_VALUE;
  /** The same threshold for products of pinned host memory, which always pipeline: their transfers need no copy. */
  private volatile long hostPipelineAbove = PIPELINE_ABOVE;
  /** The tuned (or default) shape for large products; written once, under {@code this}. */
  private volatile Tile preferred;
  private volatile boolean tuned;

  /** Relaxed-precision products on tensor cores, where the device has them. */
  final ClMatmulMma mma;

  ClMatmul(ClDevice device) {
    this(device, System.getProperty("pincette.opencl.matmulTiles"), false);
  }

  /**
   * With {@code extraTiles} as in {@code pincette.opencl.matmulTiles} (malformed ones are logged and ignored; on CPU
   * devices only the defaults of {@link #CPU_TILES} are kept, with any extra ones); {@code emulateMatrixUnits} builds
   * the tensor-core path with portable stand-ins for its PTX on any device (tests).
   */
  ClMatmul(ClDevice device, String extraTiles, boolean emulateMatrixUnits) {
    this.mma = new ClMatmulMma(device, emulateMatrixUnits, System.getProperty("pincette.opencl.mmaShapes"));
    List<Tile> all;
    try {
      all = candidates(extraTiles);
    } catch (IllegalArgumentException e) {
      LOG.log(System.Logger.Level.WARNING, "pincette: pincette.opencl.matmulTiles ignored: " + e.getMessage());
      all = TILES;
    }
    List<Tile> fit = new ArrayList<>();
    for (Tile t : all) {
      if (t.fits(device) && (device.isGpu() || !TILES.contains(t) || CPU_TILES.contains(t))) fit.add(t);
    }
    if (fit.isEmpty()) {
      for (Tile t : all) {
        if (t.fits(device)) fit.add(t);
      }
    }
    this.usable = List.copyOf(fit);
    this.preferred = fit.isEmpty() ? null : fit.get(0);
  }

  private static final System.Logger LOG = System.getLogger("dev.pincette");

  List<Tile> usableTiles() {
    return usable;
  }

  float[] multiply(ClContext context, String op, float[] a, float[] b, int count, int m, int k, int n) {
    return multiply(context, op, a, b, count, m, k, n, Precision.FP32);
  }

  /** {@code count} products of host arrays in {@code precision}: on tensor cores when {@link ClMatmulMma} takes it. */
  float[] multiply(ClContext context, String op, float[] a, float[] b, int count, int m, int k, int n,
      Precision precision) {
    int size = Elements.checked(op, "result " + count + " × " + m + "x" + n, Elements.product(count, m, n));
    if (size == 0 || k == 0) return new float[size];
    if (count == 1 && small(m, k, n)) {
      try (ClCall call = context.begin(op)) {
        float[] c = call.queue.smallProduct(a, b, null, m, k, n, op);
        call.drained();
        return c;
      }
    }
    if (mma.takes(context, precision, count, m, k, n)) {
      ClMatmulMma.Shape shape = mma.choose(context, precision, count, m, n);
      try (ClCall call = context.begin(op)) {
        long da = call.upload(a);
        long db = call.upload(b);
        long dc = call.buffer(4L * size);
        mma.launch(call, shape, precision, da, db, dc, count, m, k, n, false);
        return call.downloadFloats(dc, size);
      }
    }
    if (usable.isEmpty()) {
      throw noBlockFits(context);
    }
    if (count == 1 && pipelined(context, m, k, n)) {
      int panel = pipelinePanel;
      return ClMatmulPipeline.multiply(context, choose(context, 1, Math.min(m, panel), k, Math.min(n, panel)), a, b,
          m, k, n, panel);
    }
    Tile tile = choose(context, count, m, k, n);
    try (ClCall call = context.begin(op)) {
      long da = call.upload(a);
      long db = call.upload(b);
      long dc = call.buffer(4L * size);
      launch(call, tile, da, db, dc, count, m, k, n, false);
      return call.downloadFloats(dc, size);
    }
  }

  /**
   * {@code c = a · b} of native host memory at {@code a}, {@code b}, {@code c} (row-major floats, every element of
   * {@code c} written): DMA straight from and to that memory, pipelined in tiles when large on a discrete device.
   */
  void multiplyHost(ClContext context, long a, long b, long c, int m, int k, int n) {
    multiplyHost(context, a, b, c, m, k, n, Precision.FP32);
  }

  /**
   * {@link #multiplyHost(ClContext, long, long, long, int, int, int)} in {@code precision}; on tensor cores in one
   * piece (the pipelined tiles are float32 products).
   */
  void multiplyHost(ClContext context, long a, long b, long c, int m, int k, int n, Precision precision) {
    long size = (long) m * n;
    if (size == 0) return;
    if (k == 0) {
      MemoryUtil.memSet(c, 0, 4L * size);
      return;
    }
    if (small(m, k, n)) {
      try (ClCall call = context.begin("matmul")) {
        call.queue.smallProduct(a, b, c, m, k, n, call.op);
        call.drained();
        return;
      }
    }
    boolean matrixUnits = mma.takes(context, precision, 1, m, k, n);
    if (usable.isEmpty() && !matrixUnits) {
      throw noBlockFits(context);
    }
    int panel = pipelinePanel;
    if (!matrixUnits && hostPipelined(context, m, k, n)) {
      ClMatmulPipeline.multiplyHost(context, choose(context, 1, Math.min(m, panel), k, Math.min(n, panel)), a, b, c,
          m, k, n, panel);
      return;
    }
    Tile tile = matrixUnits ? null : choose(context, 1, m, k, n);
    ClMatmulMma.Shape shape = matrixUnits ? mma.choose(context, precision, 1, m, n) : null;
    try (ClCall call = context.begin("matmul")) {
      long da = call.buffer(4L * m * k);
      long db = call.buffer(4L * k * n);
      long dc = call.buffer(4L * size);
      List<Long> events = new ArrayList<>(5);
      try {
        events.add(call.queue.writeFromHost(da, a, 4L * m * k, 1, 4L * m * k, call.op));
        events.add(call.queue.writeFromHost(db, b, 4L * k * n, 1, 4L * k * n, call.op));
        if (matrixUnits) {
          for (long e : mma.launch(call, shape, precision, da, db, dc, 1, m, k, n, true)) events.add(e);
        } else {
          events.add(launchAfter(call, tile, da, db, dc, m, k, n));
        }
        events.add(call.queue.readIntoHost(dc, c, 4L * size, 1, 4L * size, 0, call.op));
        ClQueue.awaitAll(events, call.op);
      } finally {
        try {
          call.queue.finish();
        } finally {
          for (long e : events) ClQueue.release(e);
        }
      }
    }
  }

  /**
   * Whether a host-array product is split into tiles whose transfers overlap compute: on devices reached through
   * staging, when it moves enough bytes and spans more than one panel. A B panel's rows must fit a staging chunk.
   */
  boolean pipelined(ClContext context, int m, int k, int n) {
    int panel = pipelinePanel;
    long bytes = 4L * ((long) m * k + (long) k * n + (long) m * n);
    return spansPanels(context, m, k, n, panel) && bytes >= pipelineAbove && 4L * panel <= ClQueue.STAGING_CHUNK;
  }

  /** Whether a product of host matrices is pipelined: on discrete devices when it spans panels and is large. */
  boolean hostPipelined(ClContext context, int m, int k, int n) {
    long bytes = 4L * ((long) m * k + (long) k * n + (long) m * n);
    return spansPanels(context, m, k, n, pipelinePanel) && bytes >= hostPipelineAbove;
  }

  /** Whether a product spans several panels on a device reached through the bus, each panel one allocation. */
  private static boolean spansPanels(ClContext context, int m, int k, int n, int panel) {
    return context.staged && (m > panel || n > panel) && 4L * panel * k <= context.device.maxAllocation();
  }

  /** Sets the panel side and the byte threshold of pipelined products. */
  void pipeline(int panel, long aboveBytes) {
    if (panel < 1) throw new IllegalArgumentException("panel: " + panel);
    pipelinePanel = panel;
    pipelineAbove = aboveBytes;
    hostPipelineAbove = aboveBytes;
  }

  /**
   * Independent products of one shape as one launch (the batch index is the third NDRange dimension), with the block
   * shape a single product of that shape would use, so each result equals {@link #multiply} of it alone.
   */
  float[][] multiplyEach(ClContext context, float[][] as, float[][] bs, int m, int k, int n) {
    return multiplyEach(context, as, bs, m, k, n, Precision.FP32);
  }

  /** {@link #multiplyEach(ClContext, float[][], float[][], int, int, int)} in {@code precision}. */
  float[][] multiplyEach(ClContext context, float[][] as, float[][] bs, int m, int k, int n, Precision precision) {
    int count = as.length;
    int size = Elements.of("matmul", "result", m, n);
    float[][] out = new float[count][];
    if (size == 0 || k == 0 || count == 0) {
      for (int i = 0; i < count; i++) out[i] = new float[size];
      return out;
    }
    // Decided as for one product, so each result equals what the product alone gives.
    boolean matrixUnits = mma.takes(context, precision, 1, m, k, n);
    if (usable.isEmpty() && !matrixUnits) {
      throw noBlockFits(context);
    }
    Tile tile = matrixUnits ? null : choose(context, 1, m, k, n);
    ClMatmulMma.Shape shape = matrixUnits ? mma.choose(context, precision, 1, m, n) : null;
    try (ClCall call = context.begin("matmul")) {
      long da = call.buffer(4L * count * m * k);
      long db = call.buffer(4L * count * k * n);
      long dc = call.buffer(4L * count * m * n);
      call.queue.writePieces(da, as, m * k, call.op);
      call.queue.writePieces(db, bs, k * n, call.op);
      if (matrixUnits) mma.launch(call, shape, precision, da, db, dc, count, m, k, n, false);
      else launch(call, tile, da, db, dc, count, m, k, n, false);
      for (int i = 0; i < count; i++) out[i] = new float[size];
      call.queue.readPieces(dc, out, size, call.op);
      return out;
    }
  }

  /**
   * No block shape of the kernel fits the device's work-group size or local memory: a capacity of the device, which
   * the dispatcher takes as a refusal (the call runs on the CPU, the device stays in use).
   */
  private static BackendRefusedException noBlockFits(ClContext context) {
    return new BackendRefusedException("no matmul block shape fits " + context.device.name());
  }

  /** {@code c = a · b} of device buffers, waiting until it is done. */
  void multiply(ClContext context, long a, long b, long c, int m, int k, int n) {
    multiply(context, a, b, c, m, k, n, Precision.FP32);
  }

  /** {@code c = a · b} of device buffers in {@code precision}, waiting until it is done. */
  void multiply(ClContext context, long a, long b, long c, int m, int k, int n, Precision precision) {
    boolean matrixUnits = (long) m * n > 0 && k > 0 && mma.takes(context, precision, 1, m, k, n);
    if (usable.isEmpty() && !matrixUnits) {
      throw noBlockFits(context);
    }
    Tile tile = matrixUnits ? null : choose(context, 1, m, k, n);
    ClMatmulMma.Shape shape = matrixUnits ? mma.choose(context, precision, 1, m, n) : null;
    try (ClCall call = context.begin("matmul")) {
      if (k == 0) call.fill(c, 0, Math.max(4, 4L * m * n));
      else if (matrixUnits) mma.launch(call, shape, precision, a, b, c, 1, m, k, n, false);
      else if ((long) m * n > 0) launch(call, tile, a, b, c, 1, m, k, n, false);
    }
  }

  /**
   * Enqueues {@code c = a · b} of device buffers once {@code waitFor} (events of any queue) are done, on the context's
   * resident queue, and returns without waiting: the kernel's event, which the caller releases, and that queue.
   */
  Enqueued enqueue(ClContext context, long a, long b, long c, int m, int k, int n, long... waitFor) {
    Tile tile = choose(context, 1, m, k, n);
    ClCall call = context.beginResident("matmul");
    long event;
    try {
      event = launchAfter(call, tile, a, b, c, m, k, n, waitFor);
    } catch (RuntimeException e) {
      call.close();
      throw e;
    }
    try {
      call.endEnqueued();
    } catch (RuntimeException e) {
      ClQueue.release(event);   // the queue was drained: the kernel no longer runs
      throw e;
    }
    return new Enqueued(event, call.queue);
  }

  /** A kernel enqueued on the resident queue: its event and the queue. */
  record Enqueued(long event, ClQueue queue) {}

  /** Enqueues one product of device buffers once {@code waitFor} are done; returns the kernel's event. */
  static long launchAfter(ClCall call, Tile tile, long a, long b, long c, int m, int k, int n, long... waitFor) {
    ClKernel kernel = call.kernel(SOURCE, tile.options(), "matmul")
        .i32(0, m).i32(1, n).i32(2, k).mem(3, a).mem(4, b).mem(5, c);
    long[] global = {(n + tile.bn() - 1L) / tile.bn() * tile.threadsX(),
        (m + tile.bm() - 1L) / tile.bm() * tile.threadsY(), 1};
    return call.queue.launchAfter(kernel, global, new long[] {tile.threadsX(), tile.threadsY(), 1}, waitFor);
  }

  /** Enqueues one product of device buffers; returns the kernel's event when {@code timed}, else 0. */
  static long launch(ClCall call, Tile tile, long a, long b, long c, int count, int m, int k, int n, boolean timed) {
    ClKernel kernel = call.kernel(SOURCE, tile.options(), "matmul")
        .i32(0, m).i32(1, n).i32(2, k).mem(3, a).mem(4, b).mem(5, c);
    long[] global = {(n + tile.bn() - 1L) / tile.bn() * tile.threadsX(),
        (m + tile.bm() - 1L) / tile.bm() * tile.threadsY(), count};
    return call.queue.launch(kernel, global, new long[] {tile.threadsX(), tile.threadsY(), 1}, timed);
  }

  /**
   * The block shape for a product: the preferred one, or a smaller one when it leaves compute units idle or is larger
   * than the product (a batch of 16×16 products in 256x128 blocks would compute 128 times the work), else the
   * smallest.
   */
  Tile choose(ClContext context, int count, int m, int k, int n) {
    if (!tuned && Elements.product(count, m, k, n) >= TUNE_ABOVE) tune(context);
    List<Tile> shapes = usable;
    if (shapes.isEmpty()) throw new BackendException("no matmul block shape works on " + context.device.name());
    int units = context.device.computeUnits();
    for (int i = Math.max(0, shapes.indexOf(preferred)); i < shapes.size(); i++) {
      Tile t = shapes.get(i);
      if (t.bm() <= m && t.bn() <= n && fills(t.groups(count, m, n), units)) return t;
    }
    return shapes.getLast();
  }

  /**
   * Whether {@code groups} work-groups keep the device busy: at least nine tenths of its compute units. On an H200
   * (132 units) at N=2048, 256x128 blocks (128 groups) took 0.398 ms against 0.429 ms for 128x128 (256 groups).
   */
  static boolean fills(long groups, int units) {
    return groups * 10 >= units * 9L;
  }

  /**
   * Times every usable shape once on this device (or reads the earlier result), keeps the fastest, and drops the
   * shapes whose kernel failed to build or run (a device may refuse a block its registers cannot hold).
   */
  synchronized void tune(ClContext context) {
    if (tuned || usable.isEmpty()) return;
    // The note names the shapes it chose among, so that a different set of candidates is timed again, and the ones
    // that worked.
    String note = context.programs.note(NOTE);
    String among = " of " + usable + " working ";
    Tile best = null;
    List<Tile> working = null;
    for (Tile t : usable) {
      if (note != null && note.startsWith(t + among)) {
        best = t;
        working = shapesNamed(note.substring((t + among).length()));
      }
    }
    if (best == null || working == null || !working.contains(best)) {
      working = new ArrayList<>(usable);
      best = measureBest(context, working);
      context.programs.saveNote(NOTE, best + among + working);
    }
    usable = List.copyOf(working);
    preferred = working.contains(best) ? best : null;
    tuned = true;
  }

  /** The usable shapes a note's list names, or null when it names any other. */
  private List<Tile> shapesNamed(String list) {
    if (!list.startsWith("[") || !list.endsWith("]")) return null;
    List<Tile> out = new ArrayList<>();
    for (String name : list.substring(1, list.length() - 1).split(", ")) {
      Tile match = null;
      for (Tile t : usable) {
        if (t.toString().equals(name)) match = t;
      }
      if (match == null) return null;
      out.add(match);
    }
    return out;
  }

  /** The fastest of {@code working}, from which the shapes that fail are removed. */
  private Tile measureBest(ClContext context, List<Tile> working) {
    int side = tuningSide(context.device, usable);
    Tile best = null;
    long bestNanos = Long.MAX_VALUE;
    try (ClCall call = context.begin("matmul.tune")) {
      long bytes = 4L * side * side;
      long a = call.buffer(bytes);
      long b = call.buffer(bytes);
      long c = call.buffer(bytes);
      call.fill(a, Float.floatToIntBits(1.0f), bytes);
      call.fill(b, Float.floatToIntBits(0.5f), bytes);
      for (Tile t : usable) {
        long nanos;
        try {
          ClQueue.elapsedNanos(launch(call, t, a, b, c, 1, side, side, side, true));
          if (!fills(t.groups(1, side, side), context.device.computeUnits())) continue;
          nanos = Math.min(ClQueue.elapsedNanos(launch(call, t, a, b, c, 1, side, side, side, true)),
              ClQueue.elapsedNanos(launch(call, t, a, b, c, 1, side, side, side, true)));
        } catch (BackendException e) {
          LOG.log(System.Logger.Level.INFO, "pincette: matmul block " + t + " left out on " + context.device.name()
              + ": " + e.getMessage());
          working.remove(t);
          continue;
        }
        if (nanos < bestNanos) {
          bestNanos = nanos;
          best = t;
        }
      }
    }
    if (best == null) best = working.isEmpty() ? usable.get(0) : working.get(0);
    return best;
  }

  /**
   * Side of the square product the shapes are timed on: 256 on CPUs; on GPUs 2048, doubled (up to 8192, while three
   * such matrices fit an allocation each) until every shape {@link #fills} the compute units, so that large blocks
   * are timed too.
   */
  static int tuningSide(ClDevice device, List<Tile> tiles) {
    if (!device.isGpu()) return 256;
    int side = 2048;
    while (side < 8192 && 4L * (2L * side) * (2L * side) <= device.maxAllocation() && idles(device, tiles, side)) {
      side *= 2;
    }
    return side;
  }

  private static boolean idles(ClDevice device, List<Tile> tiles, int side) {
    for (Tile t : tiles) {
      if (!fills(t.groups(1, side, side), device.computeUnits())) return true;
    }
    return false;
  }

  /** The shape large products use now; for benchmarks. */
  Tile preferred() {
    return preferred;
  }
}
