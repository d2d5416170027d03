package dev.pincette.opencl;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Timings of the OpenCL backend, one line per result: device-resident products in each precision (kernel time from
 * profiling events; see {@link ClMatmulBench}), small host-array products and where their time goes, device-resident
 * sum bandwidth, host↔device transfer bandwidth, and the upload/kernel/download breakdown of a matmul on Java arrays.
 *
 * <pre>
 * ./mvnw -q -o install -pl gpu-backend -DskipTests
 * ./mvnw -q -o dependency:build-classpath -pl gpu-backend -DincludeScope=runtime -Dmdep.outputFile=/tmp/cp
 * CP=gpu-backend/target/classes:$(cat /tmp/cp)
 * java --enable-native-access=ALL-UNNAMED -cp "$CP" dev.pincette.opencl.ClBench            # full run (for a GPU)
 * java --enable-native-access=ALL-UNNAMED -cp "$CP" dev.pincette.opencl.ClBench --quick    # small sizes (PoCL)
 * options: --sgemm 1024,4096,8192,4096x64x4096 (N or MxKxN)  --precision fp32,tf32,bf16  --small 32,8x8x8
 *          --host 4096,8192  --sum-log2 28  --transfer-mb 256  --spatial-log2 20  --repeats 5
 *          --spatial-points N (instead of 2^log2)
 *          --only sgemm,small,chain,sum,transfers,host,pipeline,spatial (parts to run; default all)
 *          --tiles (every block shape, not only the chosen one)  --staged (force pinned staging)  --device NAME
 * </pre>
 */
public final class ClBench {
  private List<int[]> sgemmShapes = shapes("1024,4096,8192");
  private List<int[]> smallShapes = shapes("32,8");
  private List<dev.pincette.Precision> precisions = List.of(dev.pincette.Precision.FP32);
  private int[] hostSizes = {4096, 8192};
  private int chainSize = 4096;
  private int sumLog2 = 28;
  private int transferMb = 256;
  private int spatialLog2 = 20;
  /** Points of the spatial benchmark when given exactly ({@code --spatial-points}); else 2^spatialLog2. */
  private int spatialPoints;
  private int repeats = 5;
  private boolean allTiles;
  private boolean staged;
  private String deviceName;
  private java.util.Set<String> only = java.util.Set.of("sgemm", "small", "chain", "sum", "transfers", "host",
      "pipeline", "spatial");

  private ClBench() {}

  /** Runs the benchmarks; the class comment lists the options. */
  public static void main(String[] args) {
    ClBench bench = new ClBench();
    bench.parse(args);
    // Compute's own backends (the small part calls through it) must not calibrate meanwhile.
    System.setProperty("pincette.calibrate", "false");
    ClBackend backend = new ClBackend(bench.deviceName, ClProgramCache.defaultDir(), bench.staged, true);
    if (!backend.isAvailable()) {
      System.out.println("opencl unavailable: " + backend.unavailableReason());
      System.exit(2);
    }
    try (backend) {
      bench.run(backend);
    }
  }

  private void parse(String[] args) {
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--quick" -> {
          sgemmShapes = shapes("128,256,512");
          hostSizes = new int[] {256, 512};
          chainSize = 256;
          sumLog2 = 22;
          transferMb = 16;
          spatialLog2 = 14;
          repeats = 3;
        }
        case "--sgemm" -> sgemmShapes = shapes(args[++i]);
        case "--small" -> smallShapes = shapes(args[++i]);
        case "--precision" -> precisions = Arrays.stream(args[++i].split(","))
            .map(p -> dev.pincette.Precision.valueOf(p.strip().toUpperCase(Locale.ROOT))).toList();
        case "--host" -> hostSizes = ints(args[++i]);
        case "--sum-log2" -> sumLog2 = Integer.parseInt(args[++i]);
        case "--transfer-mb" -> transferMb = Integer.parseInt(args[++i]);
        case "--spatial-log2" -> spatialLog2 = Integer.parseInt(args[++i]);
        case "--spatial-points" -> spatialPoints = Integer.parseInt(args[++i]);
        case "--repeats" -> repeats = Integer.parseInt(args[++i]);
        case "--tiles" -> allTiles = true;
        case "--staged" -> staged = true;
        case "--device" -> deviceName = args[++i];
        case "--only" -> only = java.util.Set.of(args[++i].split(","));
        default -> throw new IllegalArgumentException("unknown option " + args[i] + " (see ClBench's Javadoc)");
      }
    }
  }

  private static List<int[]> shapes(String list) {
    return Arrays.stream(list.split(",")).map(ClMatmulBench::shape).toList();
  }

  private static int[] ints(String list) {
    return Arrays.stream(list.split(",")).mapToInt(s -> Integer.parseInt(s.strip())).toArray();
  }

  private void run(ClBackend backend) {
    ClDevice d = backend.device();
    ClContext context = backend.context();
    System.out.printf(Locale.ROOT, "device: %s [%s] %s, %s, driver %s, %d compute units, %s, transfers %s%n",
        d.name(), d.type(), d.vendor(), d.openclVersion(), d.driverVersion(), d.computeUnits(),
        ClDevice.bytes(d.globalMemory()), context.staged ? "through pinned staging" : "by mapping (host-unified)");
    ClMatmul matmul = backend.matmulOp();
    matmul.tune(context);
    System.out.println("matmul block shape (tuned): " + matmul.preferred() + " of " + matmul.usableTiles());
    ClMatmulBench products = new ClMatmulBench(repeats, allTiles);
    if (only.contains("sgemm")) {
      for (dev.pincette.Precision p : precisions) {
        if (p != dev.pincette.Precision.FP32) {
          System.out.println("tensor-core block shapes for " + p.id() + ": " + matmul.mma.shapes(context, p));
        }
        for (int[] shape : sgemmShapes) products.product(context, matmul, p, shape);
      }
    }
    if (only.contains("small")) for (int[] shape : smallShapes) products.small(backend, shape);
    if (only.contains("chain")) chain(context, matmul, chainSize, 10);
    if (only.contains("sum")) sum(context, d);
    if (only.contains("transfers")) transfers(context);
    if (only.contains("host")) for (int n : hostSizes) hostMatmul(context, matmul, n);
    if (only.contains("pipeline")) for (int n : hostSizes) pipeline(context, matmul, n);
    if (only.contains("spatial")) spatial(backend);
  }

  /**
   * Where the time of a chain of dependent products on device data goes: {@code length} products of {@code n}²
   * matrices, each waited for as a resident product is ({@link ClMatmul#multiply(ClContext, long, long, long, int,
   * int, int)}), against all enqueued on one queue and waited for once, with the kernels' own device time.
   */
  private void chain(ClContext context, ClMatmul matmul, int n, int length) {
    try (ClCall call = context.begin("bench.chain")) {
      long w = call.upload(random(n * n, 1));
      long[] x = {call.upload(random(n * n, 2)), call.buffer(4L * n * n)};
      call.queue.finish();   // the products below run on other queues
      ClMatmul.Tile tile = matmul.choose(context, 1, n, n, n);
      double[] waited = new double[repeats];
      double[] once = new double[repeats];
      double[] kernels = new double[repeats];
      matmul.multiply(context, w, x[0], x[1], n, n, n);
      for (int r = 0; r < repeats; r++) {
        long start = System.nanoTime();
        for (int i = 0; i < length; i++) matmul.multiply(context, w, x[i & 1], x[(i + 1) & 1], n, n, n);
        waited[r] = (System.nanoTime() - start) * 1e-6;
        long[] events = new long[length];
        start = System.nanoTime();
        for (int i = 0; i < length; i++) {
          events[i] = ClMatmul.launch(call, tile, w, x[i & 1], x[(i + 1) & 1], 1, n, n, n, true);
        }
        call.queue.finish();
        once[r] = (System.nanoTime() - start) * 1e-6;
        for (long e : events) kernels[r] += ClQueue.elapsedNanos(e) * 1e-6;
      }
      System.out.printf(Locale.ROOT, "chain of %d dependent %d² products on device buffers [block %s], medians of %d:"
          + " each waited for %.2f ms, enqueued together %.2f ms, kernels %.2f ms%n", length, n, tile, repeats,
          median(waited), median(once), median(kernels));
    }
  }

  private void sum(ClContext context, ClDevice device) {
    long n = 1L << sumLog2;
    try (ClCall call = context.begin("bench.sum")) {
      long x = call.buffer(4 * n);
      call.fill(x, Float.floatToIntBits(1f), 4 * n);
      for (int loads : new int[] {1, 2}) {
        ClReduce reduce = new ClReduce(device.fp64(), loads);
        double total = reduce.sumOnDevice(call, x, n);
        long[] wall = new long[repeats];
        long[] kernels = new long[repeats];
        for (int r = 0; r < repeats; r++) {
          long start = System.nanoTime();
          total = reduce.sumOnDevice(call, x, n);
          wall[r] = System.nanoTime() - start;
          kernels[r] = reduce.sumKernelNanos(call, x, n);
        }
        Arrays.sort(wall);
        Arrays.sort(kernels);
        double median = wall[repeats / 2] * 1e-9;
        double kernel = kernels[repeats / 2] * 1e-9;
        System.out.printf(Locale.ROOT, "sum n=2^%d device-resident, %d load(s) in flight: kernels %.3f ms (%.1f GB/s,"
            + " profiling events, both passes); call %.3f ms (%.1f GB/s, with the 8-byte read); median of %d,"
            + " result %s%n", sumLog2, loads, kernel * 1e3, 4 * n / kernel * 1e-9, median * 1e3,
            4 * n / median * 1e-9, repeats, total == n ? "exact" : "WRONG " + total);
      }
    }
  }

  private void transfers(ClContext context) {
    float[] data = random(transferMb << 18, 3);
    try (ClCall call = context.begin("bench.transfer")) {
      long buffer = call.buffer(4L * data.length);
      long[] up = new long[repeats];
      long[] down = new long[repeats];
      ClTransfers.uploadNanos(call, buffer, data);
      ClTransfers.downloadNanos(call, buffer, data);
      for (int r = 0; r < repeats; r++) {
        up[r] = ClTransfers.uploadNanos(call, buffer, data);
        down[r] = ClTransfers.downloadNanos(call, buffer, data);
      }
      Arrays.sort(up);
      Arrays.sort(down);
      String path = context.staged ? "Java array via pinned staging, " + ClContext.COPY_THREADS + " copy threads"
          : "Java array via mapping";
      if (context.staged) {
        long chunkBuffer = call.buffer(ClQueue.STAGING_CHUNK);
        int chunks = Math.max(1, (transferMb << 20) / ClQueue.STAGING_CHUNK);
        long bytes = (long) chunks * ClQueue.STAGING_CHUNK;
        long[] dmaUp = new long[repeats];
        long[] dmaDown = new long[repeats];
        for (int r = 0; r < repeats; r++) {
          dmaUp[r] = call.queue.pinnedDmaNanos(chunkBuffer, chunks, true);
          dmaDown[r] = call.queue.pinnedDmaNanos(chunkBuffer, chunks, false);
        }
        Arrays.sort(dmaUp);
        Arrays.sort(dmaDown);
        System.out.printf(Locale.ROOT, "host->device %d MB pinned DMA only (%d MB chunks, median of %d): %.1f GB/s%n",
            bytes >> 20, ClQueue.STAGING_CHUNK >> 20, repeats, bytes / (double) dmaUp[repeats / 2]);
        System.out.printf(Locale.ROOT, "device->host %d MB pinned DMA only (%d MB chunks, median of %d): %.1f GB/s%n",
            bytes >> 20, ClQueue.STAGING_CHUNK >> 20, repeats, bytes / (double) dmaDown[repeats / 2]);
      }
      System.out.printf(Locale.ROOT, "host->device %d MB (%s): %.1f GB/s%n", transferMb, path,
          4.0 * data.length / up[repeats / 2]);
      System.out.printf(Locale.ROOT, "device->host %d MB (%s): %.1f GB/s%n", transferMb, path,
          4.0 * data.length / down[repeats / 2]);
    }
  }

  /** A host-array product as {@code Compute} runs it (result allocated), pipelined and in one piece. */
  private void pipeline(ClContext context, ClMatmul matmul, int n) {
    float[] a = random(n * n, 4);
    float[] b = random(n * n, 5);
    StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "matmul N=%d host arrays end to end:", n));
    for (int panel : new int[] {ClMatmul.PIPELINE_PANEL, ClMatmul.PIPELINE_PANEL / 2, Integer.MAX_VALUE}) {
      matmul.pipeline(panel, panel == Integer.MAX_VALUE ? Long.MAX_VALUE : ClMatmul.PIPELINE_ABOVE);
      long[] nanos = new long[repeats];
      matmul.multiply(context, "matmul", a, b, 1, n, n, n);
      for (int r = 0; r < repeats; r++) {
        long start = System.nanoTime();
        matmul.multiply(context, "matmul", a, b, 1, n, n, n);
        nanos[r] = System.nanoTime() - start;
      }
      Arrays.sort(nanos);
      line.append(String.format(Locale.ROOT, " %s %.1f ms;", panel == Integer.MAX_VALUE ? "one piece"
          : "panels of " + panel, nanos[repeats / 2] * 1e-6));
    }
    try (ClHostMemory ha = ClHostMemory.allocate(context, 4L * n * n);
        ClHostMemory hb = ClHostMemory.allocate(context, 4L * n * n);
        ClHostMemory hc = ClHostMemory.allocate(context, 4L * n * n)) {
      java.lang.foreign.MemorySegment.copy(a, 0, ha.segment(), java.lang.foreign.ValueLayout.JAVA_FLOAT, 0, n * n);
      java.lang.foreign.MemorySegment.copy(b, 0, hb.segment(), java.lang.foreign.ValueLayout.JAVA_FLOAT, 0, n * n);
      long addressA = ha.segment().address();
      long addressB = hb.segment().address();
      long addressC = hc.segment().address();
      line.append(" pinned host matrices:");
      for (int panel : new int[] {ClMatmul.PIPELINE_PANEL, ClMatmul.PIPELINE_PANEL / 2, ClMatmul.PIPELINE_PANEL * 2,
          Integer.MAX_VALUE}) {
        matmul.pipeline(panel, panel == Integer.MAX_VALUE ? Long.MAX_VALUE : ClMatmul.PIPELINE_ABOVE);
        long[] nanos = new long[repeats];
        matmul.multiplyHost(context, addressA, addressB, addressC, n, n, n);
        for (int r = 0; r < repeats; r++) {
          long start = System.nanoTime();
          matmul.multiplyHost(context, addressA, addressB, addressC, n, n, n);
          nanos[r] = System.nanoTime() - start;
        }
        Arrays.sort(nanos);
        line.append(String.format(Locale.ROOT, " %s %.1f ms (min %.1f);", panel == Integer.MAX_VALUE ? "one piece"
            : "panels of " + panel, nanos[repeats / 2] * 1e-6, nanos[0] * 1e-6));
      }
    }
    matmul.pipeline(ClMatmul.PIPELINE_PANEL, ClMatmul.PIPELINE_ABOVE);
    long start = System.nanoTime();
    float[] result = new float[n * n];
    line.append(String.format(Locale.ROOT, " allocating the result alone %.1f ms", (System.nanoTime() - start) * 1e-6));
    if (result.length == 0) line.append('!');
    System.out.println(line);
  }

  private void hostMatmul(ClContext context, ClMatmul matmul, int n) {
    float[] a = random(n * n, 4);
    float[] b = random(n * n, 5);
    float[] c = new float[n * n];
    ClMatmul.Tile tile = matmul.choose(context, 1, n, n, n);
    List<String> runs = new ArrayList<>();
    for (int r = 0; r < 2; r++) {
      try (ClCall call = context.begin("bench.matmul")) {
        long start = System.nanoTime();
        long da = call.buffer(4L * n * n);
        long db = call.buffer(4L * n * n);
        long dc = call.buffer(4L * n * n);
        long upload = ClTransfers.uploadNanos(call, da, a) + ClTransfers.uploadNanos(call, db, b);
        long kernel = ClQueue.elapsedNanos(ClMatmul.launch(call, tile, da, db, dc, 1, n, n, n, true));
        long download = ClTransfers.downloadNanos(call, dc, c);
        double total = (System.nanoTime() - start) * 1e-9;
        runs.add(String.format(Locale.ROOT, "matmul N=%d host arrays: upload %.1f ms, kernel %.1f ms, download %.1f"
            + " ms, total %.1f ms = %.2f TFLOP/s end to end [block %s]", n, upload * 1e-6, kernel * 1e-6,
            download * 1e-6, total * 1e3, 2.0 * n * n * n / total * 1e-12, tile));
      }
    }
    System.out.println(runs.getLast());
  }

  /**
   * A uniform 3D cloud with about 20 neighbours per point, as the cost model's calibration uses: the first build
   * (device buffers allocated, programs built), then medians of five rounds of an update (positions up, the map
   * rebuilt in its buffers), every point's neighbours and the counts alone. With {@code -Dpincette.opencl.spatialTrace=true} each
   * build and search also prints its phases on the device. Last, three new maps of the same points.
   */
  private void spatial(ClBackend backend) {
    int n = spatialPoints > 0 ? spatialPoints : 1 << spatialLog2;
    float[] points = random(3 * n, 6);
    float radius = (float) Math.cbrt(20.0 / n * 3 / (4 * Math.PI));
    int rounds = 5;
    double[] update = new double[rounds], search = new double[rounds], count = new double[rounds];
    long pairs = 0;
    long start = System.nanoTime();
    try (var index = backend.buildSpatial(points, 3, radius)) {
      double build = (System.nanoTime() - start) * 1e-6;
      for (int r = 0; r < rounds; r++) {
        long t0 = System.nanoTime();
        index.update(points);
        long t1 = System.nanoTime();
        pairs = index.neighborsWithin(radius).indices().length;
        long t2 = System.nanoTime();
        index.neighborCounts(radius);
        long t3 = System.nanoTime();
        update[r] = (t1 - t0) * 1e-6;
        search[r] = (t2 - t1) * 1e-6;
        count[r] = (t3 - t2) * 1e-6;
      }
      System.out.printf(Locale.ROOT, "spatial %d points 3D (host positions in, host results out): first build %.1f"
          + " ms, then medians of %d: update %.2f ms, neighborsWithin %.1f ms (%.1f per point), neighborCounts %.2f"
          + " ms%n", n, build, rounds, median(update), median(search), pairs / (double) n, median(count));
    }
    // New maps in the warm JVM: each a first build, with its buffers to allocate and its box to find.
    double[] fresh = new double[3];
    for (int r = 0; r < fresh.length; r++) {
      long t0 = System.nanoTime();
      try (var again = backend.buildSpatial(points, 3, radius)) {
        fresh[r] = (System.nanoTime() - t0) * 1e-6;
      }
    }
    System.out.printf(Locale.ROOT, "spatial %d points 3D: new maps built in %.2f, %.2f and %.2f ms (host"
        + " positions in)%n", n, fresh[0], fresh[1], fresh[2]);
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    java.util.Arrays.sort(sorted);
    return sorted[sorted.length / 2];
  }

  private static float[] random(int n, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    float[] x = new float[n];
    for (int i = 0; i < n; i++) x[i] = (float) rnd.nextDouble();
    return x;
  }
}
