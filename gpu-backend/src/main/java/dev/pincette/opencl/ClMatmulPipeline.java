package dev.pincette.opencl;

import static org.lwjgl.opencl.CL10.CL_PROFILING_COMMAND_END;
import static org.lwjgl.opencl.CL10.CL_PROFILING_COMMAND_START;
import static org.lwjgl.opencl.CL10.clGetEventProfilingInfo;
import static org.lwjgl.opencl.CL10.clWaitForEvents;

import dev.pincette.spi.BackendException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicBoolean;
import org.lwjgl.system.MemoryStack;

/**
 * A product of host arrays too large to be worth one upload, on a discrete device: A is cut into row panels and B
 * into column panels, and each tile of C is computed as soon as its two panels are on the device. Three queues work
 * at once: uploads, driven by a thread of their own (panels in the order A0, B0, A1, B1, …, so the first tile can
 * start after two panels and the number of ready tiles grows with every panel); kernels, each enqueued once the
 * host has seen its panels arrive; and downloads, each tile of C read back while later tiles compute. Dependencies
 * between queues are waited for on the host here, because the host copies into staging memory pace the uploads.
 * Products of native host memory ({@link #multiplyHost}) need no host copies and use event wait lists across the
 * queues instead, which NVIDIA's driver overlapped fully.
 */
final class ClMatmulPipeline {
  /** {@code pincette.opencl.pipelineTrace=true}: prints each pipelined product's timeline to standard error. */
  private static final boolean TRACE = Boolean.getBoolean("pincette.opencl.pipelineTrace");

  private final long start = System.nanoTime();
  private final java.util.Queue<String> trace = new java.util.concurrent.ConcurrentLinkedQueue<>();
  private final ClContext context;
  private final ClMatmul.Tile tile;
  private final float[] a;
  private final float[] b;
  private final int m;
  private final int k;
  private final int n;
  private final int panel;
  private final int rowPanels;
  private final int colPanels;

  private ClMatmulPipeline(ClContext context, ClMatmul.Tile tile, float[] a, float[] b, int m, int k, int n,
      int panel) {
    this.context = context;
    this.tile = tile;
    this.a = a;
    this.b = b;
    this.m = m;
    this.k = k;
    this.n = n;
    this.panel = panel;
    this.rowPanels = Math.ceilDiv(m, panel);
    this.colPanels = Math.ceilDiv(n, panel);
  }

  /** {@code a · b} in tiles of {@code panel × panel}; {@code tile} is the kernel's block shape for one tile. */
  static float[] multiply(ClContext context, ClMatmul.Tile tile, float[] a, float[] b, int m, int k, int n,
      int panel) {
    return new ClMatmulPipeline(context, tile, a, b, m, k, n, panel).run();
  }

  /**
   * {@code c = a · b} of pinned (or other native) host memory at {@code a}, {@code b}, {@code c}, in tiles of
   * {@code panel × panel}. Nothing is copied on the host and nothing waits on it: panels are DMAed in the order A0,
   * B0, A1, B1, … on one queue (B's column panels as rectangles of its rows), each tile's kernel waits for its two
   * panels' events on a second queue, and each tile of C is DMAed into place on a third once its kernel is done. The
   * host waits only for the end, then checks every command's event. Tiles of C cycle through {@link #TILE_BUFFERS}
   * device buffers (a kernel also waits for the download that frees its buffer), so the device holds A, B and a few
   * tiles rather than all of C.
   */
  static void multiplyHost(ClContext context, ClMatmul.Tile tile, long a, long b, long c, int m, int k, int n,
      int panel) {
    new ClMatmulPipeline(context, tile, null, null, m, k, n, panel).runHost(a, b, c);
  }

  private void runHost(long a, long b, long c) {
    List<Long> events = new ArrayList<>();
    List<String> labels = new ArrayList<>();
    ClCall[] calls = context.beginAll("matmul", 3);
    try {
      try (ClCall upload = calls[0]; ClCall compute = calls[1]; ClCall download = calls[2]) {
        long[] aBuffer = new long[rowPanels];
        long[] bBuffer = new long[colPanels];
        long[] aUp = new long[rowPanels];
        long[] bUp = new long[colPanels];
        for (int[] p : panelOrder()) {
          if (p[0] == 0) {
            int i = p[1];
            long bytes = 4L * extent(m, i) * k;
            aBuffer[i] = upload.buffer(bytes);
            aUp[i] = upload.queue.writeFromHost(aBuffer[i], a + 4L * i * panel * k, bytes, 1, bytes, upload.op);
            record(events, labels, aUp[i], "A" + i);
          } else {
            int j = p[1];
            long rowBytes = 4L * extent(n, j);
            bBuffer[j] = upload.buffer(rowBytes * k);
            bUp[j] = upload.queue.writeFromHost(bBuffer[j], b + 4L * j * panel, rowBytes, k, 4L * n, upload.op);
            record(events, labels, bUp[j], "B" + j);
          }
          upload.queue.flush();
        }
        List<int[]> tiles = tileOrder();
        long[] out = new long[Math.min(TILE_BUFFERS, tiles.size())];
        long[] freed = new long[tiles.size()];
        for (int q = 0; q < tiles.size(); q++) {
          int[] t = tiles.get(q);
          int rows = extent(m, t[0]);
          int cols = extent(n, t[1]);
          int slot = q % out.length;
          if (out[slot] == 0) out[slot] = compute.buffer(4L * panel * panel);
          long[] after = q < out.length ? new long[] {aUp[t[0]], bUp[t[1]]}
              : new long[] {aUp[t[0]], bUp[t[1]], freed[q - out.length]};
          long done = ClMatmul.launchAfter(compute, tile, aBuffer[t[0]], bBuffer[t[1]], out[slot], rows, k, cols,
              after);
          record(events, labels, done, "C" + t[0] + "," + t[1]);
          compute.queue.flush();
          freed[q] = download.queue.readIntoHost(out[slot], c + 4L * ((long) t[0] * panel * n + (long) t[1] * panel),
              4L * cols, rows, 4L * n, done, download.op);
          record(events, labels, freed[q], "D" + t[0] + "," + t[1]);
          download.queue.flush();
        }
        download.queue.finish();
        ClQueue.awaitAll(events, download.op);
        if (TRACE) System.err.println("host pipeline " + m + "x" + k + "x" + n + ": " + timeline(labels, events));
      }
    } finally {
      for (long e : events) ClEventReleases.release(e);
    }
  }

  private static void record(List<Long> events, List<String> labels, long event, String label) {
    events.add(event);
    labels.add(label);
  }

  /** Each command's device start and end in milliseconds from the first start, from the queues' profiling. */
  private static String timeline(List<String> labels, List<Long> events) {
    long[] start = new long[events.size()];
    long[] end = new long[events.size()];
    long first = Long.MAX_VALUE;
    try (MemoryStack stack = MemoryStack.stackPush()) {
      var value = stack.mallocLong(1);
      for (int e = 0; e < events.size(); e++) {
        ClError.check(clGetEventProfilingInfo(events.get(e), CL_PROFILING_COMMAND_START, value, null), "profiling");
        start[e] = value.get(0);
        ClError.check(clGetEventProfilingInfo(events.get(e), CL_PROFILING_COMMAND_END, value, null), "profiling");
        end[e] = value.get(0);
        first = Math.min(first, start[e]);
      }
    }
    StringBuilder out = new StringBuilder();
    for (int e = 0; e < events.size(); e++) {
      out.append(String.format(java.util.Locale.ROOT, "%s%s %.2f-%.2f", e == 0 ? "" : "; ", labels.get(e),
          (start[e] - first) * 1e-6, (end[e] - first) * 1e-6));
    }
    return out.toString();
  }

  /** Panels in upload order: {0, i} for A_i, {1, j} for B_j, alternating A0, B0, A1, B1, …. */
  private List<int[]> panelOrder() {
    List<int[]> order = new ArrayList<>();
    int rowsUp = 0;
    int colsUp = 0;
    while (rowsUp < rowPanels || colsUp < colPanels) {
      if (rowsUp < rowPanels && (colsUp >= colPanels || rowsUp <= colsUp)) order.add(new int[] {0, rowsUp++});
      else order.add(new int[] {1, colsUp++});
    }
    return order;
  }

  /**
   * Device buffers the tiles of C of a host product cycle through: enough that kernels never wait for a download on
   * the H100, where the first download started only once every upload was done (10 ms into an N=8192 product, by
   * which time 4 of its 16 tiles were computed).
   */
  static final int TILE_BUFFERS = 8;

  /** A panel on its way to the device: its buffer, and the event of its upload once enqueued. */
  private record Panel(long buffer, long uploaded) {}

  private record PendingTile(int row, int col, long done, long buffer) {}

  private float[] run() {
    // Zeroing the product takes the JVM some 25 ms per 256 MB: done on another thread while the uploads run.
    CompletableFuture<float[]> product = CompletableFuture.supplyAsync(() -> new float[m * n]);
    List<CompletableFuture<Panel>> aPanels = futures(rowPanels);
    List<CompletableFuture<Panel>> bPanels = futures(colPanels);
    List<Long> events = new ArrayList<>();
    ClCall[] calls = context.beginAll("matmul", 3);
    try (ClCall upload = calls[0]; ClCall compute = calls[1]; ClCall download = calls[2]) {
      AtomicBoolean stop = new AtomicBoolean();
      Thread uploader = Thread.ofPlatform().daemon().name("pincette-cl-upload").start(() ->
          uploadAll(upload, aPanels, bPanels, stop));
      try {
        List<PendingTile> pending = new ArrayList<>();
        for (int[] t : tileOrder()) {
          Panel pa = uploaded(aPanels.get(t[0]));
          Panel pb = uploaded(bPanels.get(t[1]));
          note("tile " + t[0] + "," + t[1] + " panels enqueued");
          awaitEvents(pa.uploaded, pb.uploaded);
          note("tile " + t[0] + "," + t[1] + " panels on the device");
          int rows = extent(m, t[0]);
          int cols = extent(n, t[1]);
          long out = compute.buffer(4L * rows * cols);
          ClMatmul.launch(compute, tile, pa.buffer, pb.buffer, out, 1, rows, k, cols, false);
          long done = compute.queue.marker();
          events.add(done);
          compute.queue.flush();
          pending.add(new PendingTile(t[0], t[1], done, out));
        }
        float[] c = product.join();
        note("product allocated");
        for (PendingTile t : pending) {
          awaitEvents(t.done);
          note("tile " + t.row + "," + t.col + " computed");
          download.queue.readRows(t.buffer, c, t.row * panel * n + t.col * panel, extent(n, t.col), n,
              extent(m, t.row), download.op);
          note("tile " + t.row + "," + t.col + " downloaded");
        }
        if (TRACE) System.err.println("pipeline " + m + "x" + k + "x" + n + ": " + String.join("; ", trace));
        return c;
      } finally {
        stop.set(true);
        joinUninterruptibly(uploader);
        for (CompletableFuture<Panel> p : aPanels) events.add(p.isCompletedExceptionally() ? 0 : p.join().uploaded);
        for (CompletableFuture<Panel> p : bPanels) events.add(p.isCompletedExceptionally() ? 0 : p.join().uploaded);
      }
    } finally {
      for (long e : events) {
        ClEventReleases.release(e);
      }
    }
  }

  /**
   * Uploads the panels in the order A0, B0, A1, B1, …, until done or {@code stop}; every panel not uploaded then
   * completes exceptionally, so nothing waits for it forever.
   */
  private void uploadAll(ClCall upload, List<CompletableFuture<Panel>> aPanels, List<CompletableFuture<Panel>> bPanels,
      AtomicBoolean stop) {
    try {
      int rowsUp = 0;
      int colsUp = 0;
      while ((rowsUp < rowPanels || colsUp < colPanels) && !stop.get()) {
        if (rowsUp < rowPanels && (colsUp >= colPanels || rowsUp <= colsUp)) {
          int i = rowsUp++;
          int rows = extent(m, i);
          long buffer = upload.buffer(4L * rows * k);
          upload.queue.write(buffer, a, i * panel * k, rows * k, upload.op);
          aPanels.get(i).complete(new Panel(buffer, marked(upload)));
          note("A" + i + " copied");
        } else {
          int j = colsUp++;
          int cols = extent(n, j);
          long buffer = upload.buffer(4L * k * cols);
          upload.queue.writeRows(buffer, b, j * panel, cols, n, k, upload.op);
          bPanels.get(j).complete(new Panel(buffer, marked(upload)));
          note("B" + j + " copied");
        }
      }
    } catch (Throwable e) {
      aPanels.forEach(p -> p.completeExceptionally(e));
      bPanels.forEach(p -> p.completeExceptionally(e));
    }
    BackendException stopped = new BackendException("matmul: uploads stopped");
    aPanels.forEach(p -> p.completeExceptionally(stopped));
    bPanels.forEach(p -> p.completeExceptionally(stopped));
  }

  private void note(String what) {
    if (TRACE) trace.add(String.format(java.util.Locale.ROOT, "%.1f %s", (System.nanoTime() - start) * 1e-6, what));
  }

  private static long marked(ClCall call) {
    long event = call.queue.marker();
    call.queue.flush();
    return event;
  }

  /** Tiles in the order their panels arrive: (i, j) is ready once A_i and B_j are both up. */
  private List<int[]> tileOrder() {
    List<int[]> order = new ArrayList<>();
    int rowsUp = 0;
    int colsUp = 0;
    while (rowsUp < rowPanels || colsUp < colPanels) {
      if (rowsUp < rowPanels && (colsUp >= colPanels || rowsUp <= colsUp)) {
        for (int j = 0; j < colsUp; j++) order.add(new int[] {rowsUp, j});
        rowsUp++;
      } else {
        for (int i = 0; i < rowsUp; i++) order.add(new int[] {i, colsUp});
        colsUp++;
      }
    }
    return order;
  }

  private static List<CompletableFuture<Panel>> futures(int count) {
    List<CompletableFuture<Panel>> out = new ArrayList<>(count);
    for (int i = 0; i < count; i++) out.add(new CompletableFuture<>());
    return out;
  }

  private static void awaitEvents(long... events) {
    try (MemoryStack stack = MemoryStack.stackPush()) {
      ClError.check(clWaitForEvents(stack.pointers(events)), "clWaitForEvents(matmul)");
    }
  }

  /** The panel once uploaded; an upload failure surfaces as itself (a {@link BackendException}), not wrapped. */
  private static Panel uploaded(CompletableFuture<Panel> panel) {
    try {
      return panel.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RuntimeException cause) throw cause;
      throw e;
    }
  }

  private static void joinUninterruptibly(Thread t) {
    boolean interrupted = false;
    while (true) {
      try {
        t.join();
        break;
      } catch (InterruptedException e) {
        interrupted = true;
      }
    }
    if (interrupted) Thread.currentThread().interrupt();
  }

  /** Rows (or columns) of panel {@code index} of a dimension of {@code size}. */
  private int extent(int size, int index) {
    return Math.min(panel, size - index * panel);
  }
}
