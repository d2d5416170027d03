package dev.pincette.examples.soak;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The soak's verdict on memory: growth that levels off passes, growth that goes on fails, whatever its total. */
class SoakJudgeTest {
  private static final long MIB = 1L << 20;

  /** Readings with these C-allocator figures (MiB), a device pool of 8 MiB in host memory, nothing leased. */
  private static List<MemoryGauge> series(double... mib) {
    List<MemoryGauge> readings = new ArrayList<>();
    for (double m : mib) readings.add(gauge((long) (m * MIB) + 8 * MIB, 0));
    return readings;
  }

  private static MemoryGauge gauge(long malloc, long leased) {
    return new MemoryGauge(malloc, 2 * malloc, 0, 100 * MIB, 8 * MIB, leased, 0, true);
  }

  @Test
  void growthThatLevelsOffPasses() {
    // Caches filling in the first quarter: 40 MiB, then nothing.
    List<MemoryGauge> readings = series(100, 140, 141, 141, 142);
    assertEquals(List.of(), Soak.judge(new Tally(), readings, readings.getLast(), false, 10));
  }

  @Test
  void growthThatGoesOnFailsEvenBelowTheTotalSlack() {
    // 10 MiB a quarter: 40 MiB in all (under 64) but 20 over the second half, 4 MiB a minute.
    List<MemoryGauge> readings = series(100, 110, 120, 130, 140);
    List<String> problems = Soak.judge(new Tally(), readings, readings.getLast(), false, 10);
    assertEquals(1, problems.size(), problems.toString());
    assertTrue(problems.getFirst().contains("grew by 20.0 MiB over the second half of the run (4.0 MiB a minute)"),
        problems.getFirst());
  }

  @Test
  void aSlowRateIsALeakOnlyPastTheNoiseAndTheRate() {
    // 9 MiB over a 5-minute second half: past the noise but under 1 MiB a minute over a 10-minute one.
    List<MemoryGauge> readings = series(100, 95, 100, 105, 109);
    assertEquals(List.of(), Soak.judge(new Tally(), readings, readings.getLast(), false, 20));
    assertEquals(1, Soak.judge(new Tally(), readings, readings.getLast(), false, 10).size());
    // PoCL's readings move by several MiB either way: 7 MiB up in a short run is noise.
    List<MemoryGauge> noisy = series(100, 93, 100, 94, 107);
    assertEquals(List.of(), Soak.judge(new Tally(), noisy, noisy.getLast(), false, 1));
  }

  @Test
  void growthPastTheTotalSlackFails() {
    List<MemoryGauge> readings = series(100, 170, 171, 171, 171);
    List<String> problems = Soak.judge(new Tally(), readings, readings.getLast(), false, 10);
    assertEquals(List.of("native memory besides the device pool grew by 71.0 MiB"), problems);
  }

  @Test
  void theDevicePoolIsNotCountedAsGrowth() {
    // The pool in host memory (PoCL) grows from 8 to 72 MiB: the allocator's figure with it, the rest stays.
    List<MemoryGauge> readings = series(100, 100, 100, 100, 100);
    MemoryGauge end = new MemoryGauge(172 * MIB, 0, 0, 0, 72 * MIB, 0, 0, true);
    assertEquals(List.of(), Soak.judge(new Tally(), readings, end, false, 10));
  }

  @Test
  void leasedBuffersAHangAndWrongResultsAreProblems() {
    Tally tally = new Tally();
    tally.wrong.add(2);
    List<MemoryGauge> readings = series(100, 100, 100, 100, 100);
    // After a hang memory is not judged (stuck threads hold theirs): 200 MiB more is not a problem then.
    List<String> problems = Soak.judge(tally, readings, gauge(308 * MIB, 3), true, 10);
    assertEquals(3, problems.size(), problems.toString());
    assertTrue(problems.get(0).startsWith("no call completed"), problems.toString());
    assertEquals("2 wrong results", problems.get(1));
    assertEquals("3 device buffers still leased", problems.get(2));
  }

  @Test
  void withoutTheAllocatorsFiguresMemoryIsNotJudged() {
    List<MemoryGauge> readings = new ArrayList<>();
    for (int i = 0; i < 5; i++) readings.add(new MemoryGauge(-1, -1, 0, 0, -1, -1, -1, false));
    assertEquals(List.of(), Soak.judge(new Tally(), readings, readings.getLast(), false, 10));
  }
}
