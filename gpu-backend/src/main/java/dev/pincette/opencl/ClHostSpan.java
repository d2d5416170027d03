package dev.pincette.opencl;

import java.util.concurrent.ForkJoinPool;
import java.util.stream.IntStream;
import org.lwjgl.system.MemoryUtil;

/**
 * Where a transfer's elements lie on the Java heap: a contiguous range of one array, rows of a row-major matrix (a
 * column panel), or equal pieces in separate arrays. Element {@code e} of the span is element {@code e} of the device
 * buffer, so {@link ClQueue} moves any span through the same staging chunks. Large copies are split over the
 * context's copy threads: one thread's memcpy (about 10 GB/s) is slower than a PCIe 5 DMA from pinned memory.
 */
sealed interface ClHostSpan {
  /** Bytes below which one thread copies: forking costs more than it saves. */
  long PARALLEL_ABOVE = 4 << 20;

  /** Elements in the span. */
  long length();

  /** Elements a staging chunk must hold whole (a row), 1 when any split will do. */
  int unit();

  /** Bytes per element: 4 (floats, ints), or another primitive array's element size. */
  default int elementBytes() {
    return 4;
  }

  /** Bytes in the span: what a transfer of it moves. */
  default long bytes() {
    return elementBytes() * length();
  }

  /** Copies elements {@code [first, first + count)} of the span to native memory at {@code address}. */
  void toNative(ForkJoinPool pool, long first, int count, long address);

  /** Copies native memory at {@code address} into elements {@code [first, first + count)} of the span. */
  void toHeap(ForkJoinPool pool, long address, long first, int count);

  /** {@code count} elements of a {@code float[]}, {@code int[]}, {@code long[]}, {@code double[]} or {@code byte[]}. */
  static ClHostSpan of(Object array, int from, int count) {
    return new Range(array, from, count);
  }

  /** {@code rows} rows of {@code rowLength} floats, {@code rowStride} apart in {@code array} from {@code from}. */
  static ClHostSpan rows(float[] array, int from, int rowLength, int rowStride, int rows) {
    return rowLength == rowStride || rows <= 1 ? new Range(array, from, rowLength * rows)
        : new Rows(array, from, rowLength, rowStride, rows);
  }

  /** The concatenation of {@code pieces}, each {@code pieceLength} floats long. */
  static ClHostSpan pieces(float[][] pieces, int pieceLength) {
    return new Pieces(pieces, pieceLength);
  }

  record Range(Object array, int from, int count) implements ClHostSpan {
    public long length() {
      return count;
    }

    public int unit() {
      return 1;
    }

    public int elementBytes() {
      return switch (array) {
        case long[] l -> 8;
        case double[] d -> 8;
        case byte[] b -> 1;
        default -> 4;
      };
    }

    public void toNative(ForkJoinPool pool, long first, int n, long address) {
      int size = elementBytes();
      split(pool, n, size, (offset, k) -> {
        int at = from + (int) first + offset;
        long to = address + (long) size * offset;
        switch (array) {
          case float[] f -> MemoryUtil.memFloatBuffer(to, k).put(f, at, k);
          case int[] i -> MemoryUtil.memIntBuffer(to, k).put(i, at, k);
          case long[] l -> MemoryUtil.memLongBuffer(to, k).put(l, at, k);
          case double[] d -> MemoryUtil.memDoubleBuffer(to, k).put(d, at, k);
          case byte[] b -> MemoryUtil.memByteBuffer(to, k).put(b, at, k);
          default -> throw new IllegalArgumentException("unsupported array " + array.getClass());
        }
      });
    }

    public void toHeap(ForkJoinPool pool, long address, long first, int n) {
      int size = elementBytes();
      split(pool, n, size, (offset, k) -> {
        int at = from + (int) first + offset;
        long to = address + (long) size * offset;
        switch (array) {
          case float[] f -> MemoryUtil.memFloatBuffer(to, k).get(f, at, k);
          case int[] i -> MemoryUtil.memIntBuffer(to, k).get(i, at, k);
          case long[] l -> MemoryUtil.memLongBuffer(to, k).get(l, at, k);
          case double[] d -> MemoryUtil.memDoubleBuffer(to, k).get(d, at, k);
          case byte[] b -> MemoryUtil.memByteBuffer(to, k).get(b, at, k);
          default -> throw new IllegalArgumentException("unsupported array " + array.getClass());
        }
      });
    }
  }

  record Rows(float[] array, int from, int rowLength, int rowStride, int rows) implements ClHostSpan {
    public long length() {
      return (long) rowLength * rows;
    }

    public int unit() {
      return rowLength;
    }

    public void toNative(ForkJoinPool pool, long first, int n, long address) {
      int firstRow = (int) (first / rowLength);
      split(pool, n / rowLength, 4L * rowLength, (r0, k) -> {
        for (int r = r0; r < r0 + k; r++) {
          MemoryUtil.memFloatBuffer(address + 4L * r * rowLength, rowLength)
              .put(array, from + (firstRow + r) * rowStride, rowLength);
        }
      });
    }

    public void toHeap(ForkJoinPool pool, long address, long first, int n) {
      int firstRow = (int) (first / rowLength);
      split(pool, n / rowLength, 4L * rowLength, (r0, k) -> {
        for (int r = r0; r < r0 + k; r++) {
          MemoryUtil.memFloatBuffer(address + 4L * r * rowLength, rowLength)
              .get(array, from + (firstRow + r) * rowStride, rowLength);
        }
      });
    }
  }

  record Pieces(float[][] pieces, int pieceLength) implements ClHostSpan {
    public long length() {
      return (long) pieces.length * pieceLength;
    }

    public int unit() {
      return 1;
    }

    public void toNative(ForkJoinPool pool, long first, int n, long address) {
      split(pool, n, 4, (offset, k) -> walk(first + offset, k, (piece, from, length, done) ->
          MemoryUtil.memFloatBuffer(address + 4L * (offset + done), length).put(pieces[piece], from, length)));
    }

    public void toHeap(ForkJoinPool pool, long address, long first, int n) {
      split(pool, n, 4, (offset, k) -> walk(first + offset, k, (piece, from, length, done) ->
          MemoryUtil.memFloatBuffer(address + 4L * (offset + done), length).get(pieces[piece], from, length)));
    }

    private interface PieceRange {
      void copy(int piece, int from, int length, int done);
    }

    /** Calls {@code range} for each piece's part of elements {@code [start, start + count)}, in order. */
    private void walk(long start, int count, PieceRange range) {
      int done = 0;
      while (done < count) {
        long element = start + done;
        int piece = (int) (element / pieceLength);
        int from = (int) (element % pieceLength);
        int length = Math.min(pieceLength - from, count - done);
        range.copy(piece, from, length, done);
        done += length;
      }
    }
  }

  /** A part of a copy: units {@code [first, first + count)}. */
  interface Slice {
    void copy(int first, int count);
  }

  /** Splits {@code count} units of {@code unitBytes} bytes each over the pool's threads when that pays. */
  static void split(ForkJoinPool pool, int count, long unitBytes, Slice slice) {
    int parts = (int) Math.min(Math.min(pool.getParallelism(), count), unitBytes * count / PARALLEL_ABOVE + 1);
    if (parts <= 1) {
      slice.copy(0, count);
      return;
    }
    pool.submit(() -> IntStream.range(0, parts).parallel().forEach(p -> {
      int lo = (int) ((long) count * p / parts);
      int hi = (int) ((long) count * (p + 1) / parts);
      slice.copy(lo, hi - lo);
    })).join();
  }
}
