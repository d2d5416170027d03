/** The OpenCL backend: every op on an OpenCL 1.2+ device through LWJGL, falling back to the CPU on any device error. */
module dev.pincette.opencl {
  requires transitive dev.pincette.api;
  requires dev.pincette.translate;
  requires org.lwjgl;
  requires org.lwjgl.opencl;
  // JDK Flight Recorder events (dev.pincette.Kernel, dev.pincette.Transfer) where jdk.jfr is resolved.
  requires static jdk.jfr;
  // The calling thread's CPU time, for ClCallHostBench only; the library itself never uses it.
  requires static java.management;

  exports dev.pincette.opencl;

  provides dev.pincette.spi.BackendProvider with dev.pincette.opencl.ClBackendProvider;
}
