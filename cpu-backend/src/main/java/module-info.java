/** The CPU backend: ForkJoin, with jdk.incubator.vector when the JVM has it ({@code --add-modules jdk.incubator.vector}). */
module dev.pincette.cpu {
  requires transitive dev.pincette.api;
  // The race checker copies a kernel's methods: the translator tells it which.
  requires dev.pincette.translate;
  requires static jdk.incubator.vector;

  exports dev.pincette.cpu;

  provides dev.pincette.spi.BackendProvider with dev.pincette.cpu.CpuBackendProvider;
}
