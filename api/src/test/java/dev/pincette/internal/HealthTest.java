package dev.pincette.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pincette.spi.BackendException;
import dev.pincette.spi.BackendRefusedException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** When a backend is switched off, and how it comes back: on a clock of the test's own. */
class HealthTest {
  private final AtomicLong now = new AtomicLong(1_000);
  private final Health health = new Health(10_000, now::get);

  private boolean isProbe(long ticket) {
    return ticket > Health.ON;
  }

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
      assertFalse(health.failed("gpu", health.claim("gpu")));
      assertFalse(health.failed("gpu", health.claim("gpu")));
      long ticket = health.claim("gpu");
      assertEquals(Health.ON, ticket);
      health.succeeded("gpu", health.failures("gpu"), ticket);
      assertEquals(0, health.failuresInARow("gpu"));
      assertTrue(health.failures("gpu") > start);
    }
    assertFalse(health.failed("gpu"));
    assertFalse(health.failed("gpu"));
    assertTrue(health.failed("gpu"), "the third in a row switches it off");
    assertFalse(health.isOn("gpu"));
    assertFalse(health.mayTry("gpu"));
    assertEquals(Health.REFUSED, health.claim("gpu"));
  }

  @Test
  void aSuccessThatBeganBeforeAFailureDoesNotVouchForTheDevice() {
    long start = health.failures("gpu");
    health.failed("gpu");   // a kernel of an earlier call, found failed while this call ran
    health.succeeded("gpu", start, Health.ON);
    assertEquals(1, health.failuresInARow("gpu"));
    health.succeeded("gpu", health.failures("gpu"), Health.ON);
    assertEquals(0, health.failuresInARow("gpu"));
  }

  @Test
  void afterTheCoolDownOneCallAtATimeProbesAndASuccessfulProbeSwitchesItBackOn() {
    for (int i = 0; i < Health.OFF_AFTER; i++) health.failed("gpu");
    now.addAndGet(9_999);
    assertEquals(Health.REFUSED, health.claim("gpu"), "still cooling down");
    now.addAndGet(1);
    assertTrue(health.mayTry("gpu"));
    long probe = health.claim("gpu");
    assertTrue(isProbe(probe), "the probe");
    assertEquals(Health.REFUSED, health.claim("gpu"), "one probe at a time");
    assertFalse(health.mayTry("gpu"));
    health.succeeded("gpu", health.failures("gpu"), probe);
    assertTrue(health.isOn("gpu"));
    assertEquals(Health.ON, health.claim("gpu"));
  }

  @Test
  void aFailedProbeDoublesTheCoolDownAndAProbeWithoutAVerdictLetsAnotherProbe() {
    for (int i = 0; i < Health.OFF_AFTER; i++) health.failed("gpu");
    now.addAndGet(10_000);
    long refused = health.claim("gpu");
    assertTrue(isProbe(refused));
    health.released("gpu", refused);   // refused: says nothing about the device
    long probe = health.claim("gpu");
    assertTrue(isProbe(probe));
    assertNotEquals(refused, probe, "each probe has a ticket of its own");
    assertFalse(health.failed("gpu", probe), "already off");
    now.addAndGet(10_000);
    assertEquals(Health.REFUSED, health.claim("gpu"), "the cool-down doubled");
    now.addAndGet(10_000);
    health.failed("gpu", health.claim("gpu"));
    now.addAndGet(39_999);
    assertFalse(health.mayTry("gpu"));
    now.addAndGet(1);
    assertTrue(health.mayTry("gpu"));
    health.reset();
    assertTrue(health.isOn("gpu"));
  }

  /**
   * A call that began while the backend was on and ends during a probe is not the probe: its success does not let a
   * second probe in, and its failure does not double the cool-down as a failed probe would.
   */
  @Test
  void aCallThatBeganBeforeTheSwitchOffEndingDuringAProbeIsNotTheProbe() {
    long straggler = health.claim("gpu");
    long otherStraggler = health.claim("gpu");
    long stragglerStart = health.failures("gpu");
    for (int i = 0; i < Health.OFF_AFTER; i++) health.failed("gpu");
    now.addAndGet(10_000);
    long probe = health.claim("gpu");
    assertTrue(isProbe(probe), "the probe");
    health.succeeded("gpu", stragglerStart, straggler);
    assertEquals(Health.REFUSED, health.claim("gpu"), "a straggler's success leaves the probe the only one");
    health.released("gpu", straggler);
    assertEquals(Health.REFUSED, health.claim("gpu"), "and so does a straggler without a verdict");
    health.failed("gpu", otherStraggler);
    assertEquals(Health.REFUSED, health.claim("gpu"), "and a straggler's failure");
    health.failed("gpu", probe);
    now.addAndGet(19_999);
    assertEquals(Health.REFUSED, health.claim("gpu"), "the failed probe doubled the cool-down once");
    now.addAndGet(1);
    assertTrue(isProbe(health.claim("gpu")), "once, not twice: the straggler's failure did not double it");
  }

  /**
   * Rounds of a switch-off with calls still running: four calls claimed while the backend was on end, with random
   * outcomes, at the moment four other threads try to probe it (each probe held briefly, then given a random verdict).
   * At no moment do two probes run.
   */
  @Test
  void callsEndingDuringAProbeNeverLetASecondProbeIn() throws Exception {
    int stragglers = 4;
    int probers = 4;
    AtomicInteger probesRunning = new AtomicInteger();
    AtomicInteger mostAtOnce = new AtomicInteger();
    AtomicInteger probes = new AtomicInteger();
    SplittableRandom seeds = new SplittableRandom(5);
    try (ExecutorService pool = Executors.newFixedThreadPool(stragglers + probers)) {
      for (int round = 0; round < 300; round++) {
        health.reset();
        long[] tickets = new long[stragglers];
        long[] starts = new long[stragglers];
        for (int t = 0; t < stragglers; t++) {
          tickets[t] = health.claim("gpu");
          starts[t] = health.failures("gpu");
        }
        for (int i = 0; i < Health.OFF_AFTER; i++) health.failed("gpu");
        now.addAndGet(10_000);
        CyclicBarrier go = new CyclicBarrier(stragglers + probers);
        List<Future<?>> calls = new ArrayList<>();
        for (int t = 0; t < stragglers + probers; t++) {
          int thread = t;
          long seed = seeds.nextLong();
          calls.add(pool.submit(() -> {
            SplittableRandom rnd = new SplittableRandom(seed);
            go.await();
            if (thread < stragglers) {
              int outcome = rnd.nextInt(3);
              if (outcome == 0) health.succeeded("gpu", starts[thread], tickets[thread]);
              else if (outcome == 1) health.released("gpu", tickets[thread]);
              else health.failed("gpu", tickets[thread]);
              return null;
            }
            for (int attempt = 0; attempt < 200; attempt++) {
              long ticket = health.claim("gpu");
              if (ticket <= Health.ON) continue;
              probes.incrementAndGet();
              mostAtOnce.accumulateAndGet(probesRunning.incrementAndGet(), Math::max);
              long until = System.nanoTime() + 20_000;
              while (System.nanoTime() < until) Thread.onSpinWait();
              probesRunning.decrementAndGet();
              // Released: another probe may follow at once (a failure or success would end the round's probing).
              health.released("gpu", ticket);
            }
            return null;
          }));
        }
        for (Future<?> call : calls) call.get(120, TimeUnit.SECONDS);
      }
    }
    assertTrue(probes.get() > 0, "the backend was probed");
    assertEquals(1, mostAtOnce.get(), "one probe at a time");
  }
}
