package dev.pincette.examples.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The short run of the API fuzzer ({@code pincette fuzz --cases 10000} is the long one): every public method, a few
 * cases each, in forked JVMs. Failures print with their method, case index and arguments, reproducible with
 * {@code pincette fuzz --seed 20261206 --cases 6 --only METHOD}.
 */
class ApiFuzzTest {
  @Test
  void everyPublicMethodOfTheApiIsFuzzed() {
    assertEquals(List.of(), Fuzzer.uncovered(), "public methods without a fuzz target (add one to the *Targets)");
  }

  @Test
  void everyMethodReturnsTheReferenceOrRefusesItsBadArguments() throws Exception {
    Fuzzer.Result r = new Fuzzer(new Fuzzer.Options(20261206, 6, 120, false, "")).run(System.out);
    assertTrue(r.passed(), r.failures().size() + " failing cases:\n" + String.join("\n", r.failures()));
    assertEquals(ApiFuzzer.targets().size(), r.methods(), "every method's cases ran");
  }

  @Test
  void aCrashOrAHangEndsItsWorkerAndTheRunGoesOn() throws Exception {
    Fuzzer.Result r = new Fuzzer(new Fuzzer.Options(1, 1, 2, false, SelfTest.PREFIX)).run(System.out);
    assertEquals(2, r.failures().size(), r.failures().toString());
    assertTrue(r.failures().get(0).startsWith("crash: the JVM died (exit 134) in " + SelfTest.PREFIX + ".crash()"),
        r.failures().get(0));
    assertTrue(r.failures().get(1).startsWith("hang: " + SelfTest.PREFIX + ".hang()"), r.failures().get(1));
    assertEquals(1, r.methods(), "the method after the crash and the hang still ran");
  }
}
