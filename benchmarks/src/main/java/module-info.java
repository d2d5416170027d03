/** JMH benchmarks of every op on every backend; run from the shaded {@code benchmarks.jar} on the class path. */
module dev.pincette.benchmarks {
  requires dev.pincette.api;
  requires dev.pincette.cpu;
  requires dev.pincette.translate;
  requires java.management;
  requires jdk.management;
  requires jmh.core;
  requires jdk.jfr;
  requires org.locationtech.jts;

  opens dev.pincette.benchmarks;
  opens dev.pincette.benchmarks.jmh_generated;
}
