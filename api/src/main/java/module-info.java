/** Pincette's public API: {@link dev.pincette.Compute}, {@link dev.pincette.Matrix}, the spatial hash map, and the SPI. */
module dev.pincette.api {
  requires transitive dev.pincette.kernels;
  // Which arrays a kernel reads and writes, for the bytes a call moves.
  requires dev.pincette.translate;
  // JDK Flight Recorder events (dev.pincette.Call) where jdk.jfr is resolved; Pincette runs without it too.
  requires static jdk.jfr;

  // The OpenCL module's tests reach its backend instance through the dispatcher.
  exports dev.pincette.internal to dev.pincette.examples, dev.pincette.benchmarks, dev.pincette.opencl;

  exports dev.pincette;
  exports dev.pincette.spatial;
  exports dev.pincette.spi;

  uses dev.pincette.spi.BackendProvider;
}
