package dev.pincette.examples.fuzz;

import dev.pincette.examples.fuzz.Target.Case;
import java.util.List;

/**
 * Methods that kill the JVM, never return, and pass: run as fuzz targets ({@code --only SelfTest}) they show that a
 * crash or a hang ends only its worker, is reported against its case, and the run goes on.
 */
public final class SelfTest {
  static final String PREFIX = "SelfTest";

  private SelfTest() {}

  /** Ends the JVM at once, as a crash in native code does. */
  public static void crash() {
    Runtime.getRuntime().halt(134);
  }

  public static void hang() throws InterruptedException {
    Thread.sleep(Long.MAX_VALUE);
  }

  public static void pass() {}

  static List<Target> targets() {
    return List.of("crash", "hang", "pass").stream().map(name -> new Target(SelfTest.class, name, new Class<?>[0],
        g -> Case.of(ComputeTargets.returns(r -> null)))).toList();
  }
}
