package dev.pincette.opencl;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pincette.BackendKind;
import dev.pincette.CallRecord;
import dev.pincette.Compute;
import dev.pincette.ComputeOn;
import dev.pincette.internal.Dispatcher;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.api.Test;

/**
 * An array passed for several parameters is one array on every backend: a work item sees its own writes through
 * either name, as Java does, and the device copies it back once, after every read from the device succeeded.
 */
class ClKernelAliasTest {
  private static final ComputeOn GPU = Compute.on(BackendKind.OPENCL);

  @BeforeAll
  static void requireDevice() {
    ClTestDevice.require(new ClBackend(null, null, false, true));
  }

  @BeforeEach
  @AfterEach
  void disarm() {
    ClFaults.clear();
    Dispatcher.get().health().reset();
  }

  static void addBoth(int i, int[] a, int[] b) {
    a[i] += 1;
    b[i] += 10;
  }

  static void doubled(int i, float[] x, float[] y) {
    y[i] = 2 * x[i];
  }

  static void writesThenReads(int i, float[] x, float[] y) {
    y[i] = i;
    x[i] = y[i] + x[i];
  }

  static void shifted(int i, float[] x, float[] y) {
    y[i] = x[i + 1];
  }

  static void bump(int i, int[] a, int[] b) {
    a[i] += 1;
    b[i] += 2;
  }

  @ParameterizedTest
  @EnumSource(value = BackendKind.class, names = {"CPU", "OPENCL"})
  void anArrayPassedTwiceIsOneArray(BackendKind kind) {
    ComputeOn on = Compute.on(kind);
    int[] a = {0, 1, 2, 3, 4};
    on.forEach(a.length, ClKernelAliasTest::addBoth, a, a);
    assertArrayEquals(new int[] {11, 12, 13, 14, 15}, a, "both updates of each element land");
    float[] x = {1, 2, 3};
    on.forEach(x.length, ClKernelAliasTest::doubled, x, x);
    assertArrayEquals(new float[] {2, 4, 6}, x);
    float[] z = {10, 20, 30};
    on.forEach(z.length, ClKernelAliasTest::writesThenReads, z, z);
    assertArrayEquals(new float[] {0, 2, 4}, z, "a work item reads what it wrote through the other name");
    assertEquals(kind.id(), Compute.lastCall().backend());
  }

  @Test
  void workItemsThatMeetThroughTwoNamesRaceAndTheCheckerSaysSo() {
    float[] x = {1, 2, 3, 4};
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> Compute.checkingRaces().forEach(3, ClKernelAliasTest::shifted, x, x));
    assertTrue(e.getMessage().contains("work item 0 reads x[1] and work item 1 writes it"), e.getMessage());
    float[] y = new float[4];
    Compute.checkingRaces().forEach(3, ClKernelAliasTest::shifted, x, y);
    assertArrayEquals(new float[] {2, 3, 4, 0}, y, "two arrays: no race");
  }

  @Test
  void aDeviceFailureWhileCopyingBackLeavesTheInputsAsTheyWereForTheRerun() {
    int[] a = {0, 10, 20, 30};
    int[] b = {0, 100, 200, 300};
    // a comes back first; the read of b fails (also when read again on the drained queue): the rerun on the CPU
    // must find a as it was, not already bumped.
    ClFaults.failEvery("clEnqueueReadBuffer(java_ClKernelAliasTest_bump:b");
    try {
      GPU.forEach(a.length, ClKernelAliasTest::bump, a, b);
    } finally {
      ClFaults.clear();
    }
    CallRecord record = Compute.lastCall();
    assertTrue(record.fellBack(), record.toString());
    assertEquals("cpu", record.backend());
    assertArrayEquals(new int[] {1, 11, 21, 31}, a);
    assertArrayEquals(new int[] {2, 102, 202, 302}, b);
  }
}
