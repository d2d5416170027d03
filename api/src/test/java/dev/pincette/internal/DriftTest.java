package dev.pincette.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pincette.spi.Backend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A stored calibration is a prior: calls that keep disagreeing with it refit the curve, which is stored again. */
class DriftTest {
  private static final Backend CPU = new CostModelTest.NamedBackend("cpu", Double.POSITIVE_INFINITY);
  /** 3 ms between calls on the model's clock: 2,000 calls span 6 s, the first 2 s of them cold. */
  private static final long GAP = 3_000_000;

  /** A model whose compute is {@code secondsPerUnit} per unit of work of {@code family}, from 1e3 to 1e9 units. */
  private static BackendModel linear(String key, String family, double secondsPerUnit) {
    Curve curve = new Curve(new double[] {1e3, 1e6, 1e9}, new double[] {1e3 * secondsPerUnit, 1e6 * secondsPerUnit,
        1e9 * secondsPerUnit});
    return new BackendModel(key, 0, Double.POSITIVE_INFINITY, Map.of(family, curve));
  }

  /** What explain() says of calls of {@code family}: their curve's refit, or nothing. */
  private static String note(CostModel m, String family) {
    return m.refitNote(new CallCost(family, 1, 0, 0));
  }

  /** {@code calls} calls of {@code cost}, each taking {@code seconds}, {@link #GAP} apart. */
  private static void observe(CostModel m, CallCost cost, int calls, double seconds, long[] now) {
    for (int call = 0; call < calls; call++, now[0] += GAP) {
      m.finished(m.started(CPU.name()), CPU, cost, seconds, m.predict(CPU, cost));
    }
  }

  @Test
  void aCalibrationThatKeepsDisagreeingIsRefittedStoredAndExplained(@TempDir Path dir) {
    long[] now = {0};
    CostModel m = new CostModel(dir, () -> now[0]);
    m.install("cpu", linear(CostModel.key(CPU), CallCost.MATMUL, 4e-9));   // 4x the truth
    CallCost cost = new CallCost(CallCost.MATMUL, 1e6, 0, 0);
    observe(m, cost, 2000, 1e-3, now);
    assertEquals(1e-3, m.predict(CPU, cost).totalSeconds(), 1e-9);
    // Sizes never called follow the ones called: 1e9 units, 1000x the work, 1000x the time.
    assertEquals(1.0, m.predict(CPU, new CallCost(CallCost.MATMUL, 1e9, 0, 0)).totalSeconds(), 1e-6);
    String note = note(m, CallCost.MATMUL);
    assertTrue(note.contains("cpu's matmul curve refitted") && note.contains("0.25x"), note);
    assertEquals("", note(m, CallCost.REDUCE));

    assertTrue(Files.isRegularFile(m.file(CPU)), "the refitted calibration is stored");
    CostModel next = new CostModel(dir);
    next.start(List.of(CPU), false);
    assertTrue(next.isCalibrated("cpu"), "the next JVM reads the stored curve instead of calibrating");
    assertEquals(1e-3, next.predict(CPU, cost).totalSeconds(), 1e-9);
  }

  @Test
  void callsThatAgreeWithinTwiceTheCurveLeaveItAlone() {
    long[] now = {0};
    CostModel m = new CostModel(null, () -> now[0]);
    m.install("cpu", linear("k", CallCost.REDUCE, 1e-9));
    CallCost cost = new CallCost(CallCost.REDUCE, 1e6, 0, 0);
    observe(m, cost, 2000, 1.9e-3, now);
    assertEquals("", note(m, CallCost.REDUCE));
    assertEquals(1.9e-3, m.predict(CPU, cost).totalSeconds(), 1e-9, "the correction window still follows them");
  }

  @Test
  void aBriefDisagreementLikeAColdJitIsNotRefitted() {
    long[] now = {0};
    CostModel m = new CostModel(null, () -> now[0]);
    m.install("cpu", linear("k", CallCost.MATMUL, 1e-9));
    CallCost cost = new CallCost(CallCost.MATMUL, 1e6, 0, 0);
    // 1,000 calls ten times slower over 3 s, 1 s of them after the warm-up: not for long enough.
    observe(m, cost, 1000, 1e-2, now);
    assertEquals("", note(m, CallCost.MATMUL));
    // Fifteen slow calls spread over seconds are too few.
    CostModel few = new CostModel(null, () -> now[0]);
    few.install("cpu", linear("k", CallCost.MATMUL, 1e-9));
    for (int call = 0; call < Drift.MIN_CALLS - 1; call++, now[0] += 1_000_000_000L) {
      few.finished(few.started("cpu"), CPU, cost, 1e-2, few.predict(CPU, cost));
    }
    assertEquals("", note(few, CallCost.MATMUL));
  }

  @Test
  void callsWhoseTimeIsMostlyOverheadAreNotRefittedFrom() {
    long[] now = {0};
    CostModel m = new CostModel(null, () -> now[0]);
    Curve curve = new Curve(new double[] {1e3, 1e9}, new double[] {1e-9, 1e-3});
    m.install("cpu", new BackendModel("k", 1e-3, Double.POSITIVE_INFINITY, Map.of(CallCost.REDUCE, curve)));
    CallCost cost = new CallCost(CallCost.REDUCE, 1e6, 0, 0);
    observe(m, cost, 2000, 1e-5, now);   // 100 times faster than the overhead alone
    assertEquals("", note(m, CallCost.REDUCE), "the overhead is off, not the curve");
  }

  @Test
  void callsThatSharedTheBackendAreNotRefittedFrom() {
    long[] now = {0};
    CostModel m = new CostModel(null, () -> now[0]);
    m.install("cpu", linear("k", CallCost.MATMUL, 1e-9));
    CallCost cost = new CallCost(CallCost.MATMUL, 1e6, 0, 0);
    for (int call = 0; call < 2000; call++, now[0] += GAP) {
      var first = m.started("cpu");
      var second = m.started("cpu");
      m.finished(first, CPU, cost, 1e-2, m.predict(CPU, cost));
      m.finished(second, CPU, cost, 1e-2, m.predict(CPU, cost));
    }
    assertEquals("", note(m, CallCost.MATMUL), "queued calls measure the queue, not the curve");
  }

  @Test
  void aSpatialMapsBuildAndFirstSearchRefitTheSpatialCurve() {
    long[] now = {0};
    CostModel m = new CostModel(null, () -> now[0]);
    m.install("cpu", linear("k", CallCost.SPATIAL, 3e-9));
    CallCost cost = new CallCost(CallCost.SPATIAL, 262_144, 12L * 262_144, 0);
    for (int map = 0; map < 400; map++, now[0] += 20_000_000L) {
      m.finished(m.started("cpu"), CPU, cost, 1e-4, m.predict(CPU, cost));   // the build alone: not learnt
      m.observed(CPU, cost, 262_144e-9);   // build and first search: a third of the curve
    }
    assertEquals(262_144e-9, m.predict(CPU, cost).totalSeconds(), 1e-12);
    assertTrue(note(m, CallCost.SPATIAL).contains("cpu's spatial curve refitted from"));
  }

  @Test
  void aRefitThatLaterCallsDisagreeWithIsRefittedAgain() {
    long[] now = {0};
    CostModel m = new CostModel(null, () -> now[0]);
    m.install("cpu", linear("k", CallCost.MATMUL, 1e-9));
    CallCost cost = new CallCost(CallCost.MATMUL, 1e6, 0, 0);
    observe(m, cost, 2000, 5e-3, now);   // a long slow stretch (the machine was busy)
    assertEquals(5e-3, m.predict(CPU, cost).totalSeconds(), 1e-9);
    observe(m, cost, 2000, 1e-3, now);
    assertEquals(1e-3, m.predict(CPU, cost).totalSeconds(), 1e-9);
  }

  @Test
  void theRefitScalesTheWholeCurveByTheMedianOfTheCallsComputeTimes() {
    Curve old = new Curve(new double[] {1e3, 1e6, 1e9}, new double[] {1e-6, 1e-3, 1.0});
    Drift drift = new Drift();
    // Calls at 2^20 units taking 6x the curve, half of it overhead and transfer the model predicted: compute 3x.
    double work = 1 << 20;
    for (int i = 0; i < 19; i++) drift.add(work, 6 * old.seconds(work), 3 * old.seconds(work), 1, i);
    drift.add(work, 1000 * old.seconds(work), 0, 1, 19);   // an outlier
    Curve refit = drift.refit(old);
    assertEquals(3 * old.seconds(work), refit.seconds(work), 1e-12);
    assertEquals(3.0, refit.seconds(1e9), 1e-9, "sizes never called follow by the same factor");
    assertEquals(3e-6, refit.seconds(1e3), 1e-15);
    assertEquals(old.points(), refit.points());
    assertFalse(refit.encode().contains("NaN"));
  }
}
