package dev.pincette.opencl;

import static org.lwjgl.opencl.CL10.clReleaseEvent;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A product of host arrays too large to be worth one upload, on a discrete device: A is cut into row panels and B
 * into column panels, and each tile of C is computed as soon as its two panels are on the device. Three queues work
 * at once: uploads (panels in the order A0, B0, A1, B1, …, so the first tile can start after two panels and the
 * number of ready tiles grows with every panel), kernels (each tile waits for the events of its panels), and
 * downloads (each tile of C is read back while later tiles compute). The caller waits about for the longer of the
 * transfers and the kernels, instead of their sum.
 */
final class ClMatmulPipeline {
  private final ClContext context;
  private final ClMatmul.Tile tile;
  private final float[] a;
  private final float[] b;
  /** The product, allocated on another thread while the uploads run: zeroing 256 MB takes the JVM some 25 ms. */
  private final CompletableFuture<float[]> c;
  private final int m;
  private final int k;
  private final int n;
  private final int panel;
  /** Events to release at the end: panel uploads and finished tiles. */
  private final List<Long> events = new ArrayList<>();

  private ClMatmulPipeline(ClContext context, ClMatmul.Tile tile, float[] a, float[] b, int m, int k, int n,
      int panel) {
    this.context = context;
    this.tile = tile;
    this.a = a;
    this.b = b;
    this.c = CompletableFuture.supplyAsync(() -> new float[m * n]);
    this.m = m;
    this.k = k;
    this.n = n;
    this.panel = panel;
  }

  /** {@code a · b} in tiles of {@code panel × panel}; {@code tile} is the kernel's block shape for one tile. */
  static float[] multiply(ClContext context, ClMatmul.Tile tile, float[] a, float[] b, int m, int k, int n,
      int panel) {
    return new ClMatmulPipeline(context, tile, a, b, m, k, n, panel).run();
  }

  private record PendingTile(int row, int col, long done, long buffer) {}

  private float[] run() {
    int rowPanels = (m + panel - 1) / panel;
    int colPanels = (n + panel - 1) / panel;
    ClCall[] calls = context.beginAll("matmul", 3);
    try (ClCall upload = calls[0]; ClCall compute = calls[1]; ClCall download = calls[2]) {
      long[] aPanel = new long[rowPanels];
      long[] bPanel = new long[colPanels];
      long[] aReady = new long[rowPanels];
      long[] bReady = new long[colPanels];
      List<PendingTile> pending = new ArrayList<>();
      int rowsUp = 0;
      int colsUp = 0;
      while (rowsUp < rowPanels || colsUp < colPanels) {
        if (rowsUp < rowPanels && (colsUp >= colPanels || rowsUp <= colsUp)) {
          int i = rowsUp++;
          int rows = extent(m, i);
          aPanel[i] = upload.buffer(4L * rows * k);
          upload.queue.write(aPanel[i], a, i * panel * k, rows * k, upload.op);
          aReady[i] = event(upload.queue.marker());
          upload.queue.flush();
          for (int j = 0; j < colsUp; j++) pending.add(enqueueTile(compute, i, j, aPanel, bPanel, aReady, bReady));
        } else {
          int j = colsUp++;
          int cols = extent(n, j);
          bPanel[j] = upload.buffer(4L * k * cols);
          upload.queue.writeRows(bPanel[j], b, j * panel, cols, n, k, upload.op);
          bReady[j] = event(upload.queue.marker());
          upload.queue.flush();
          for (int i = 0; i < rowsUp; i++) pending.add(enqueueTile(compute, i, j, aPanel, bPanel, aReady, bReady));
        }
      }
      float[] product = c.join();
      for (PendingTile t : pending) {
        download.queue.waitFor(t.done);
        download.queue.readRows(t.buffer, product, t.row * panel * n + t.col * panel, extent(n, t.col), n,
            extent(m, t.row), download.op);
      }
      download.queue.finish();
      return product;
    } finally {
      for (long e : events) clReleaseEvent(e);
    }
  }

  private PendingTile enqueueTile(ClCall compute, int i, int j, long[] aPanel, long[] bPanel, long[] aReady,
      long[] bReady) {
    int rows = extent(m, i);
    int cols = extent(n, j);
    long out = compute.buffer(4L * rows * cols);
    compute.queue.waitFor(aReady[i], bReady[j]);
    ClMatmul.launch(compute, tile, aPanel[i], bPanel[j], out, 1, rows, k, cols, false);
    long done = event(compute.queue.marker());
    compute.queue.flush();
    return new PendingTile(i, j, done, out);
  }

  /** Rows (or columns) of panel {@code index} of a dimension of {@code size}. */
  private int extent(int size, int index) {
    return Math.min(panel, size - index * panel);
  }

  private long event(long e) {
    events.add(e);
    return e;
  }
}
