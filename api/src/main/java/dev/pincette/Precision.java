package dev.pincette;

import dev.pincette.kernels.MatmulOp;
import java.util.Locale;

/**
 * How exactly matrix products are computed. {@link #FP32} is the default everywhere; a caller who accepts a larger
 * error asks for a relaxed precision per call or per scope, and a device with matrix units (NVIDIA tensor cores) then
 * computes the product several times faster:
 *
 * <pre>{@code
 * Matrix c = Compute.with(Precision.TF32).matmul(a, b);                  // one call
 * Compute.on(BackendKind.OPENCL).precision(Precision.BF16).run(() -> train());  // every product inside
 * }</pre>
 *
 * <p>Each precision is a bound on the error, not a promise of speed: per element of {@code C = A·B},
 * {@code |c − exact| ≤ s·Σ_p |a_ip·b_pj|} with
 * <ul>
 *   <li>FP32: {@code s = (k+2)·2^-24} (float32 products and sums);
 *   <li>TF32 and BF16: {@code s = 2u + u² + (k+2)·2^-23·(1+u)²}, the inputs rounded to the format's mantissa
 *       ({@code u = 2^-11} for TF32, {@code 2^-8} for BF16), multiplied exactly, summed in float32 (aligned by
 *       truncation on tensor cores, hence {@code 2^-23}).
 * </ul>
 * The relaxed bounds hold for finite inputs whose rounding stays finite and normal. Where no faster unit exists (the
 * CPU, PoCL, GPUs without tensor cores) or its code fails to build, a relaxed product is computed in FP32, which meets
 * every bound. Precisions concern matrix products only; sums, dots and the other reductions always keep their own
 * accuracy contract.
 */
public enum Precision {
  /** Float32 inputs, products and sums: the default. */
  FP32(0),
  /** Inputs rounded to TF32 (float32's exponent, 10 mantissa bits), float32 sums. */
  TF32(MatmulOp.TF32_EPS),
  /** Inputs rounded to bfloat16 (float32's exponent, 7 mantissa bits), float32 sums. */
  BF16(MatmulOp.BF16_EPS);

  private final double inputRoundoff;

  Precision(double inputRoundoff) {
    this.inputRoundoff = inputRoundoff;
  }

  /** Unit roundoff of the rounding applied to the inputs: 0 for FP32, {@code 2^-11} for TF32, {@code 2^-8} for BF16. */
  public double inputRoundoff() {
    return inputRoundoff;
  }

  /** The factor {@code s} of the bound {@code s·Σ|a·b|} for products of inner dimension {@code k}. */
  public double boundScale(int k) {
    return MatmulOp.boundScale(k, inputRoundoff);
  }

  /** Lower-case name, as in logs and {@link Compute#explain}: {@code fp32}, {@code tf32}, {@code bf16}. */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }
}
