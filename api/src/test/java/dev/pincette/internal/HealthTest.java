package dev.pincette.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pincette.spi.BackendException;
import dev.pincette.spi.BackendRefusedException;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** When a backend is switched off, and how it comes back: on a clock of the test's own. */
class HealthTest {
  private final AtomicLong now = new AtomicLong(1_000);
  private final Health health = new Health(10_000, now::get);

  @Test
  void onlyDeviceFailuresCount() {
    assertTrue(Health.isDeviceFailure(new BackendException("CL_OUT_OF_RESOURCES in clEnqueueNDRangeKernel(matmul)")));
    assertTrue(Health.isDeviceFailure(new NullPointerException()), "a backend's own bug is its failure");
    assertFalse(Health.isDeviceFailure(new BackendRefusedException("over the budget")));
    assertFalse(Health.isDeviceFailure(new IllegalStateException("a DeviceMatrix was closed during the call")));
    assertFalse(Health.isDeviceFailure(new IllegalArgumentException("matmul: result too large")));
  }

  @Test
  void threeFailuresInARowSwitchABackendOffAndASuccessInBetweenResetsTheCount() {
    for (int round = 0; round < 3; round++) {
      long start = health.failures("gpu");
      assertTrue(health.claim("gpu"));
      assertFalse(health.failed("gpu"));
      assertTrue(health.claim("gpu"));
      assertFalse(health.failed("gpu"));
      assertTrue(health.claim("gpu"));
      health.succeeded("gpu", health.failures("gpu"));
      assertEquals(0, health.failuresInARow("gpu"));
      assertTrue(health.failures("gpu") > start);
    }
    assertFalse(health.failed("gpu"));
    assertFalse(health.failed("gpu"));
    assertTrue(health.failed("gpu"), "the third in a row switches it off");
    assertFalse(health.isOn("gpu"));
    assertFalse(health.mayTry("gpu"));
    assertFalse(health.claim("gpu"));
  }

  @Test
  void aSuccessThatBeganBeforeAFailureDoesNotVouchForTheDevice() {
    long start = health.failures("gpu");
    health.failed("gpu");   // a kernel of an earlier call, found failed while this call ran
    health.succeeded("gpu", start);
    assertEquals(1, health.failuresInARow("gpu"));
    health.succeeded("gpu", health.failures("gpu"));
    assertEquals(0, health.failuresInARow("gpu"));
  }

  @Test
  void afterTheCoolDownOneCallAtATimeProbesAndASuccessfulProbeSwitchesItBackOn() {
    for (int i = 0; i < Health.OFF_AFTER; i++) health.failed("gpu");
    now.addAndGet(9_999);
    assertFalse(health.claim("gpu"), "still cooling down");
    now.addAndGet(1);
    assertTrue(health.mayTry("gpu"));
    assertTrue(health.claim("gpu"), "the probe");
    assertFalse(health.claim("gpu"), "one probe at a time");
    assertFalse(health.mayTry("gpu"));
    health.succeeded("gpu", health.failures("gpu"));
    assertTrue(health.isOn("gpu"));
    assertTrue(health.claim("gpu"));
  }

  @Test
  void aFailedProbeDoublesTheCoolDownAndAProbeWithoutAVerdictLetsAnotherProbe() {
    for (int i = 0; i < Health.OFF_AFTER; i++) health.failed("gpu");
    now.addAndGet(10_000);
    assertTrue(health.claim("gpu"));
    health.released("gpu");   // refused: says nothing about the device
    assertTrue(health.claim("gpu"));
    assertFalse(health.failed("gpu"), "already off");
    now.addAndGet(10_000);
    assertFalse(health.claim("gpu"), "the cool-down doubled");
    now.addAndGet(10_000);
    assertTrue(health.claim("gpu"));
    health.failed("gpu");
    now.addAndGet(39_999);
    assertFalse(health.mayTry("gpu"));
    now.addAndGet(1);
    assertTrue(health.mayTry("gpu"));
    health.reset();
    assertTrue(health.isOn("gpu"));
  }
}
