package dev.pincette.internal;

/**
 * What one call costs in the units of its op's definition in {@code kernels}: the work (flops, elements or points,
 * per family) and the bytes that would cross the bus to and from a device.
 *
 * @param family the calibration curve the op uses: {@code matmul}, {@code batchedMatmul}, {@code reduce},
 *     {@code spatial} (a map's build together with one all-points search: where the map lives, its searches run)
 */
public record CallCost(String family, double work, long inputBytes, long outputBytes) {
  public static final String MATMUL = "matmul";
  public static final String BATCHED = "batchedMatmul";
  public static final String REDUCE = "reduce";
  public static final String SPATIAL = "spatial";

  public long bytesMoved() {
    return inputBytes + outputBytes;
  }
}
