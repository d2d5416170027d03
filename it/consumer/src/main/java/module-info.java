/** A project that uses Pincette from the module path, as docs/usage-in-a-project.md tells. */
module example.consumer {
  requires dev.pincette.api;
  // Only to read back Pincette's JFR events in the runs that record them.
  requires static jdk.jfr;
}
