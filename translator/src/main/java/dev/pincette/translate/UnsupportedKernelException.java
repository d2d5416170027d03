package dev.pincette.translate;

/**
 * A kernel contains something a device cannot run: the message names the method, its source line and the construct,
 * e.g. {@code Physics.density (Physics.java:42): allocation of float[] is not supported in a kernel}. Thrown by
 * {@link KernelTranslator#translate} for every unsupported construct, and by a call forced onto a device for such a
 * kernel ({@code auto} runs it on the CPU instead).
 */
public class UnsupportedKernelException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  /** Where the construct is. */
  private final transient SourcePos position;
  /** What is not supported, e.g. {@code allocation of float[]}. */
  private final String construct;

  /** False when the same kernel may translate later: a class it reads is still being initialised. */
  private final boolean lasting;

  public UnsupportedKernelException(SourcePos position, String construct) {
    this(position, construct, true);
  }

  UnsupportedKernelException(SourcePos position, String construct, boolean lasting) {
    super(position + ": " + construct + (lasting ? " is not supported in a kernel" : ""));
    this.position = position;
    this.construct = construct;
    this.lasting = lasting;
  }

  /** A new exception with the same position and construct (the translator caches failures, not exceptions). */
  public UnsupportedKernelException copy() {
    return new UnsupportedKernelException(position, construct, lasting);
  }

  /**
   * Whether the kernel will never translate: false while a class whose static final it reads is being initialised by
   * the calling thread (its value may not be set yet), a refusal no cache may keep.
   */
  public boolean lasting() {
    return lasting;
  }

  public SourcePos position() {
    return position;
  }

  public String construct() {
    return construct;
  }
}
