/** Runnable examples and the {@code pincette} command line. */
module dev.pincette.examples {
  requires dev.pincette.api;
  requires info.picocli;

  opens dev.pincette.examples.cli to info.picocli;
}
