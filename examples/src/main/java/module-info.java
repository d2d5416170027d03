/** Runnable examples and the {@code pincette} command line. */
module dev.pincette.examples {
  requires dev.pincette.api;
  requires dev.pincette.opencl;
  requires info.picocli;
  requires org.knowm.xchart;
  requires me.tongfei.progressbar;
  requires java.desktop;
  requires java.management;

  opens dev.pincette.examples.cli to info.picocli;
}
