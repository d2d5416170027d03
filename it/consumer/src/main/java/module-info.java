/** A project that uses Pincette from the module path, as docs/usage-in-a-project.md tells. */
module example.consumer {
  requires dev.pincette.api;
}
