package dev.pincette.cpu;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pincette.Atomics;
import dev.pincette.BackendKind;
import dev.pincette.Compute;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Race-checking mode finds work items that write what another writes or reads, and names both. */
class RaceCheckTest {
  static void blur(int i, float[] x) {
    // Reads both neighbours and writes its own element in place: a read-write race with each neighbour.
    if (i > 0 && i < x.length - 1) x[i] = (x[i - 1] + x[i] + x[i + 1]) / 3;
  }

  static void blurInto(int i, float[] x, float[] y) {
    y[i] = (x[Math.max(i - 1, 0)] + x[i] + x[Math.min(i + 1, x.length - 1)]) / 3;
  }

  static void everyoneWritesZero(int i, int[] counts) {
    counts[0] = i;
  }

  static void countsAtomically(int i, int[] counts, float[] sums) {
    Atomics.add(counts, i % 3, 1);
    Atomics.add(sums, 0, 0.5f);
  }

  static void mixesAtomicAndPlain(int i, int[] counts) {
    if (i == 5) counts[0] = 1;
    else Atomics.add(counts, 0, 1);
  }

  static void throughCallee(int i, int[] out) {
    store(out, i / 2, i);
  }

  private static void store(int[] a, int index, int value) {
    a[index] = value;
  }

  static float readsAll(int i, float[] x) {
    return x[x.length - 1 - i];
  }

  static void outOfBounds(int i, float[] x, float[] y) {
    y[i] = x[i + 1];
  }

  static float sumOutOfBounds(int i, float[] x, float[] y) {
    return x[i] + y[i + 1];
  }

  static short truncated(int i, float[] x) {
    return (short) x[i];
  }

  static byte low(int i, int[] x) {
    return (byte) x[i];
  }

  static void readsThenUpdatesAtomically(int i, int[] counts, int[] seen) {
    if (i == 0) seen[0] = counts[0];
    Atomics.add(counts, 0, 1);
  }

  static void countsUntilWritten(int i, int[] x, int[] y) {
    // The probe reruns the failing work item: its own writes must land, or this loop would never end.
    y[i] = 0;
    while (y[i] != 3) y[i] += 1;
    y[i] = 7;
    x[i + 3] = 1;
  }

  private static final float SCALE = (float) Math.sqrt(2);

  static void allocatesAndShifts(int i, float[] x) {
    float[] pair = new float[2];
    pair[0] = x[Math.min(i + 1, x.length - 1)];
    x[i] = pair[0];
  }

  static void allocatesInto(int i, float[] x, float[] y) {
    float[] t = new float[1];
    t[0] = x[i];
    y[i] = scaled(t);
  }

  private static float scaled(float[] t) {
    return t[0] * SCALE;
  }

  @Test
  void kernelsOnlyTheCpuRunsAreCheckedToo() {
    // Allocation keeps these off a device; the checker copies them from their bytecode all the same.
    float[] x = {1, 2, 3, 4};
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> Compute.checkingRaces().forEach(4, RaceCheckTest::allocatesAndShifts, x));
    assertTrue(e.getMessage().contains("work item 0 reads x[1] and work item 1 writes it"), e.getMessage());
    float[] y = new float[4];
    Compute.checkingRaces().forEach(4, RaceCheckTest::allocatesInto, x, y);
    float[] expected = new float[4];
    for (int i = 0; i < 4; i++) allocatesInto(i, x, expected);
    assertArrayEquals(expected, y);
  }

  @Test
  void aSumKernelOutOfBoundsNamesTheArrayAmongSeveralOfTheFailingLength() {
    ArrayIndexOutOfBoundsException e = assertThrows(ArrayIndexOutOfBoundsException.class,
        () -> Compute.on(BackendKind.CPU).sum(4, RaceCheckTest::sumOutOfBounds, new float[4], new float[4]));
    assertTrue(e.getMessage().contains("Index 4 out of bounds for length 4 of y, in work item 3"), e.getMessage());
  }

  @Test
  void theProbeLetsTheWorkItemSeeItsOwnWritesAndLeavesTheArraysAlone() {
    int[] x = new int[4];
    int[] y = new int[4];
    ArrayIndexOutOfBoundsException e = assertTimeoutPreemptively(Duration.ofMinutes(1), () -> assertThrows(
        ArrayIndexOutOfBoundsException.class,
        () -> Compute.on(BackendKind.CPU).forEach(4, RaceCheckTest::countsUntilWritten, x, y)));
    assertTrue(e.getMessage().contains("Index 4 out of bounds for length 4 of x, in work item 1"), e.getMessage());
    assertArrayEquals(new int[] {7, 7, 0, 0}, y, "what the kernel itself left, nothing of the probe");
    assertArrayEquals(new int[] {0, 0, 0, 1}, x);
  }

  @Test
  void sumsOfKernelsReturningShortsOrBytesAreCheckedAsFloats() {
    float[] x = {1.5f, 70000f, -2.5f};
    assertEquals(Compute.on(BackendKind.CPU).sum(3, RaceCheckTest::truncated, x),
        Compute.checkingRaces().sum(3, RaceCheckTest::truncated, x));
    int[] ints = {300, -129, 5};
    assertEquals(44 + 127 + 5, Compute.checkingRaces().sum(3, RaceCheckTest::low, ints));
  }

  @Test
  void aPlainReadOfAnElementAnotherWorkItemUpdatesAtomicallyIsARaceInEitherOrder() {
    // Work item 0 reads counts[0] and updates it atomically; work item 1's atomic update races with that read.
    IllegalStateException e = assertThrows(IllegalStateException.class, () -> Compute.checkingRaces()
        .forEach(2, RaceCheckTest::readsThenUpdatesAtomically, new int[1], new int[2]));
    assertTrue(e.getMessage().contains("work item 0 reads counts[0] and work item 1 updates atomically it"),
        e.getMessage());
  }

  @Test
  void aStencilWrittenInPlaceIsARace() {
    float[] x = {1, 2, 3, 4, 5};
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> Compute.checkingRaces().forEach(5, RaceCheckTest::blur, x));
    assertTrue(e.getMessage().matches("race in RaceCheckTest\\.blur \\(RaceCheckTest\\.java:\\d+\\): work item 1 writes"
        + " x\\[1\\] and work item 2 reads it \\(kernel RaceCheckTest\\.blur\\)"), e.getMessage());
  }

  @Test
  void aStencilIntoAnotherArrayIsNone() {
    float[] x = {1, 2, 3, 4, 5};
    float[] y = new float[5];
    Compute.checkingRaces().forEach(5, RaceCheckTest::blurInto, x, y);
    float[] expected = new float[5];
    for (int i = 0; i < 5; i++) blurInto(i, x, expected);
    assertArrayEquals(expected, y, "a checked call leaves the results the CPU leaves");
    assertEquals("cpu", Compute.lastCall().backend());
  }

  @Test
  void twoWritersOfOneElementAreARace() {
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> Compute.on(BackendKind.CPU).checkingRaces().forEach(4, RaceCheckTest::everyoneWritesZero, new int[1]));
    assertTrue(e.getMessage().contains("work item 0 writes counts[0] and work item 1 writes it"), e.getMessage());
  }

  @Test
  void racesThroughCalleesNameTheCalleeLine() {
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> Compute.checkingRaces().forEach(4, RaceCheckTest::throughCallee, new int[4]));
    assertTrue(e.getMessage().startsWith("race in RaceCheckTest.store (RaceCheckTest.java:"), e.getMessage());
    assertTrue(e.getMessage().contains("work item 0 writes out[0] and work item 1 writes it"), e.getMessage());
  }

  @Test
  void atomicUpdatesDoNotRaceButMixingThemWithPlainAccessDoes() {
    int[] counts = new int[3];
    float[] sums = new float[1];
    Compute.checkingRaces().forEach(9, RaceCheckTest::countsAtomically, counts, sums);
    assertArrayEquals(new int[] {3, 3, 3}, counts);
    assertEquals(4.5f, sums[0]);
    IllegalStateException e = assertThrows(IllegalStateException.class,
        () -> Compute.checkingRaces().forEach(9, RaceCheckTest::mixesAtomicAndPlain, new int[1]));
    assertTrue(e.getMessage().contains("updates atomically counts[0] and work item 5 writes without an atomic it"),
        e.getMessage());
  }

  @Test
  void readsAloneNeverRaceAndSumsAreChecked() {
    float[] x = {1, 2, 3};
    assertEquals(6.0, Compute.checkingRaces().sum(3, RaceCheckTest::readsAll, x));
  }

  @Test
  void theScopeFormChecksEveryKernelCallInside() {
    float[] x = {1, 2, 3, 4, 5};
    assertThrows(IllegalStateException.class,
        () -> Compute.checkingRaces().run(() -> Compute.forEach(5, RaceCheckTest::blur, x)));
  }

  @Test
  void outOfBoundsInCheckingModeNamesTheArray() {
    ArrayIndexOutOfBoundsException e = assertThrows(ArrayIndexOutOfBoundsException.class,
        () -> Compute.checkingRaces().forEach(4, RaceCheckTest::outOfBounds, new float[4], new float[4]));
    assertTrue(e.getMessage().matches("RaceCheckTest\\.outOfBounds \\(RaceCheckTest\\.java:\\d+\\): Index 4 out of "
        + "bounds for length 4 of x, in work item 3"), e.getMessage());
  }

  @Test
  void theCpuNamesTheArrayWhenSeveralHaveTheFailingLength() {
    // x and y have the same length: the probe reruns work item 3 through the instrumented copy to tell which failed.
    ArrayIndexOutOfBoundsException e = assertThrows(ArrayIndexOutOfBoundsException.class,
        () -> Compute.on(BackendKind.CPU).forEach(4, RaceCheckTest::outOfBounds, new float[4], new float[4]));
    assertTrue(e.getMessage().contains("Index 4 out of bounds for length 4 of x, in work item 3"), e.getMessage());
  }
}
