package dev.pincette.examples.fuzz;

import dev.pincette.DeviceMatrix;
import dev.pincette.examples.fuzz.Target.Case;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Predicate;

/**
 * Defects of issue 16 that branch {@code reliability1} fixes: the fuzzer makes their cases, and until that work is
 * merged they fail as listed here. A case that fails and matches an entry is reported as known, not as a failure;
 * one that would crash the JVM or hang is not run unless asked ({@code --include-known}). Delete an entry once its fix
 * is merged: its cases then run and must pass like any other.
 */
final class KnownDefects {
  private KnownDefects() {}

  /** What the defect does to a case: its result is wrong, or the JVM dies, or the call never returns. */
  enum Effect { FAILS, CRASHES, HANGS }

  /**
   * @param what the defect, as the issue names it
   * @param effect how a case of it ends
   * @param method the method, as {@code name(Type,Type)}, on whichever class declares it
   * @param matches whether a case of that method meets the defect
   */
  record Known(String what, Effect effect, String method, Predicate<Case> matches) {}

  private static final Set<String> SEARCHES = Set.of("query(float[],float)", "neighborsWithin(float)",
      "neighborsWithin(float[])", "neighborCounts(float)", "forEachPair(float,PairConsumer)", "update(float[])");

  static final List<Known> LIST = List.of(
      new Known("issue 16 #1: a resident product past 2^31-8 elements wraps its int size (SIGSEGV on PoCL)",
          Effect.CRASHES, "matmul(DeviceMatrix,DeviceMatrix)", c -> residentResult(c) > Gen.MAX_ELEMENTS),
      new Known("issue 16 #3: a closed SpatialHashMap still answers searches and updates", Effect.FAILS, "*",
          c -> c.receiver() instanceof dev.pincette.spatial.SpatialHashMap m && SpatialTargets.isClosed(m)),
      new Known("issue 16 #9: a forEachPair consumer that updates the map deadlocks", Effect.HANGS,
          "forEachPair(float,PairConsumer)", c -> c.args()[1] instanceof SpatialTargets.UpdatingConsumer),
      new Known("issue 16 #9: forRadii beyond 40 levels stops at 40 silently instead of refusing", Effect.FAILS,
          "forRadii(float[],int,float,float)", c -> c.expect() instanceof Expect.Throws t
              && t.violations().stream().anyMatch(v -> v.word().equals("levels"))));

  /** The entry a case of {@code target} meets, if any. */
  static Optional<Known> of(Target target, Case c) {
    String method = target.signature().substring(target.signature().indexOf('.') + 1);
    for (Known k : LIST) {
      boolean methodMatches = k.method().equals(method) || k.method().equals("*") && SEARCHES.contains(method);
      if (methodMatches && k.matches().test(c)) return Optional.of(k);
    }
    return Optional.empty();
  }

  /** Elements of the product of a case of {@code matmul(DeviceMatrix,DeviceMatrix)} whose operands fit; else 0. */
  private static long residentResult(Case c) {
    if (!(c.args()[0] instanceof DeviceMatrix a) || !(c.args()[1] instanceof DeviceMatrix b)) return 0;
    if (a.isClosed() || b.isClosed() || a.cols() != b.rows()) return 0;
    return (long) a.rows() * b.cols();
  }
}
