package dev.pincette.examples.fuzz;

import dev.pincette.examples.fuzz.Target.Case;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Defects the fuzzer finds that are not fixed yet: their cases fail as listed here. A case that fails and matches an
 * entry is reported as known, not as a failure; one that would crash the JVM or hang is not run unless asked
 * ({@code --include-known}). Delete an entry once its fix is merged: its cases then run and must pass like any other.
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

  /**
   * Empty: the defects of issue 16 listed here (a resident product past 2^31 elements, searches of a closed map, a
   * forEachPair consumer updating its map, forRadii past 40 levels) are fixed, and their cases run as any other.
   */
  static final List<Known> LIST = List.of();

  /** The entry a case of {@code target} meets, if any. */
  static Optional<Known> of(Target target, Case c) {
    String method = target.signature().substring(target.signature().indexOf('.') + 1);
    for (Known k : LIST) {
      if (k.method().equals(method) && k.matches().test(c)) return Optional.of(k);
    }
    return Optional.empty();
  }
}
