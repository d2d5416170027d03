package dev.pincette;

/**
 * What happened to the calling thread's last call, for users who want Pincette to be honest about its choice.
 *
 * @param op the op, e.g. {@code matmul}
 * @param shape the problem size as users read it, e.g. {@code 512x512 · 512x512}
 * @param requested the backend asked for ({@code auto} unless forced)
 * @param backend the backend that produced the result
 * @param nanos wall time of the call inside Pincette
 * @param fallbackReason why the call left its first backend, or an empty string
 */
public record CallRecord(
    String op, String shape, BackendKind requested, String backend, long nanos, String fallbackReason) {
  /** Whether the call left the backend it was placed on and was rerun on the CPU. */
  public boolean fellBack() {
    return !fallbackReason.isEmpty();
  }
}
