package dev.pincette.internal;

import dev.pincette.Precision;
import java.util.Map;

/**
 * What one call costs in the units of its op's definition in {@code kernels}: the work (flops, elements or points,
 * per family) and the bytes that would cross the bus to and from a device.
 *
 * @param family the calibration curve the op uses: {@code matmul}, {@code batchedMatmul}, {@code reduce},
 *     {@code spatial} (a map's build together with one all-points search: where the map lives, its searches run)
 * @param inputBytes bytes of host inputs, which any device must receive
 * @param outputBytes bytes of the result that come back to the host (0 when the result stays resident)
 * @param residentBytes bytes of inputs already held by a backend, by backend name: free there, and elsewhere they
 *     must leave that backend (and reach the other)
 * @param nativeHost whether the host data is native memory ({@code HostMatrix}) rather than Java arrays: a device
 *     moves it without host copies, the CPU copies it to arrays, so its timings keep correction buckets of their own
 * @param precision the precision a matrix product was asked for, or null for ops without one: a relaxed precision
 *     has calibration curves and correction buckets of its own ({@link #curve()})
 */
public record CallCost(String family, double work, long inputBytes, long outputBytes, Map<String, Long> residentBytes,
    boolean nativeHost, Precision precision) {
  public static final String MATMUL = "matmul";
  public static final String BATCHED = "batchedMatmul";
  public static final String REDUCE = "reduce";
  public static final String SPATIAL = "spatial";
  /**
   * Prefix of a kernel's family ({@code kernel:} and the method): each kernel learns its own cost. Its work is the
   * work items plus the elements of its arrays; until a backend has timed the kernel, the {@link #REDUCE} curve (a
   * pass over that many elements) stands in for its compute time.
   */
  public static final String KERNEL = "kernel:";

  public CallCost {
    residentBytes = Map.copyOf(residentBytes);
  }

  /** A call on Java arrays and residents. */
  public CallCost(String family, double work, long inputBytes, long outputBytes, Map<String, Long> residentBytes) {
    this(family, work, inputBytes, outputBytes, residentBytes, false, null);
  }

  /** A call on native host memory ({@code HostMatrix}). */
  public static CallCost onNativeHost(String family, double work, long inputBytes, long outputBytes) {
    return new CallCost(family, work, inputBytes, outputBytes, Map.of(), true, null);
  }

  /** This cost for a matrix product asked for in {@code precision}. */
  public CallCost in(Precision precision) {
    return new CallCost(family, work, inputBytes, outputBytes, residentBytes, nativeHost, precision);
  }

  /**
   * The calibration curve and correction family: {@link #family()}, with the precision appended for a relaxed one
   * ({@code matmul.tf32}); a backend without a curve of its own for it computes in FP32 and uses the family's.
   */
  public String curve() {
    return precision == null || precision == Precision.FP32 ? family : curve(family, precision);
  }

  /** The curve of {@code family} in a relaxed {@code precision}, e.g. {@code matmul.bf16}. */
  public static String curve(String family, Precision precision) {
    return family + "." + precision.id();
  }

  /** A call on host data only. */
  public CallCost(String family, double work, long inputBytes, long outputBytes) {
    this(family, work, inputBytes, outputBytes, Map.of());
  }

  /** Bytes that must reach {@code backend} from the host (host inputs, residents of other backends) and come back. */
  public long bytesTo(String backend) {
    long bytes = inputBytes + outputBytes;
    for (Map.Entry<String, Long> e : residentBytes.entrySet()) {
      if (!e.getKey().equals(backend)) bytes += e.getValue();
    }
    return bytes;
  }

  /** Whether some input already lives on {@code backend}. */
  public boolean residentOn(String backend) {
    return residentBytes.containsKey(backend);
  }
}
