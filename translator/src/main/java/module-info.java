/**
 * The kernel translator: reads a static Java method (and the static methods it calls) with {@code java.lang.classfile}
 * into a {@link dev.pincette.translate.KernelModel}, checked once, that a device backend renders into its own language.
 */
module dev.pincette.translate {
  exports dev.pincette.translate;
}
