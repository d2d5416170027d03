package dev.pincette.examples.fuzz;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.function.Function;

/**
 * What a generated call must do, from its arguments alone: return a result the reference accepts, or throw one of the
 * exceptions its bad arguments call for, with a message that names what was wrong. Built with {@link Builder}: each
 * rule of the method's contract that the arguments break adds a violation, and any one of them may be the one thrown.
 */
sealed interface Expect {
  /** A valid call: {@code check} returns null for a right result, else what is wrong with it. */
  record Returns(Function<Object, String> check) implements Expect {}

  /**
   * An invalid call: it must throw like one of {@code violations}; or, where the error may surface later (a kernel
   * on resident arrays returns once enqueued), return and have {@code deferred} throw so: it returns what waiting for
   * the call's results threw, or null.
   */
  record Throws(List<Violation> violations, java.util.function.Supplier<Throwable> deferred) implements Expect {
    Throws(List<Violation> violations) {
      this(violations, null);
    }
  }

  /** One broken rule: the exception it calls for and a word its message must contain (case-insensitive). */
  record Violation(Class<? extends RuntimeException> type, String word) {
    boolean matches(Throwable thrown) {
      // ArrayIndexOutOfBoundsException is an IndexOutOfBoundsException, but one from inside Pincette is a bug.
      boolean typeMatches = type == IndexOutOfBoundsException.class
          ? thrown.getClass() == IndexOutOfBoundsException.class : type.isInstance(thrown);
      return typeMatches && names(thrown.getMessage(), word);
    }

    /** Whether {@code message} contains {@code word}; a word of one or two letters only as a whole word. */
    static boolean names(String message, String word) {
      if (message == null) return false;
      String m = message.toLowerCase(Locale.ROOT);
      String w = word.toLowerCase(Locale.ROOT);
      if (w.length() > 2) return m.contains(w);
      return java.util.regex.Pattern.compile("(?<![a-z0-9])" + java.util.regex.Pattern.quote(w) + "(?![a-z0-9])")
          .matcher(m).find();
    }

    @Override
    public String toString() {
      return type.getSimpleName() + " naming '" + word + "'";
    }
  }

  /** The outcome of a call: null when it is what was expected, else a one-line failure. */
  static String judge(Expect expect, Object result, Throwable thrown) {
    return switch (expect) {
      case Returns r -> thrown == null ? r.check().apply(result)
          : "threw " + describe(thrown) + " for a valid call";
      case Throws t -> {
        Throwable seen = thrown == null && t.deferred() != null ? t.deferred().get() : thrown;
        if (seen == null) yield "returned " + Gen.abbreviate(result) + " where it must throw " + t.violations();
        for (Violation v : t.violations()) {
          if (v.matches(seen)) yield null;
        }
        yield "threw " + describe(seen) + (thrown == null ? " (waiting for the results)" : "") + " where it must throw "
            + t.violations();
      }
    };
  }

  static String describe(Throwable thrown) {
    StringBuilder s = new StringBuilder(thrown.getClass().getSimpleName() + " '" + thrown.getMessage() + "'");
    for (StackTraceElement frame : thrown.getStackTrace()) {
      if (frame.getClassName().startsWith("dev.pincette.") && !frame.getClassName().startsWith("dev.pincette.examples")) {
        s.append(" at ").append(frame);
        break;
      }
    }
    return s.toString();
  }

  /** Collects the rules the arguments break; {@link #returns} ends with them, or with the check of a valid call. */
  final class Builder {
    private final List<Violation> violations = new ArrayList<>();
    private java.util.function.Supplier<Throwable> deferred;

    Builder npe(boolean isNull, String argument) {
      return rule(isNull, NullPointerException.class, argument);
    }

    Builder iae(boolean broken, String word) {
      return rule(broken, IllegalArgumentException.class, word);
    }

    Builder ise(boolean broken, String word) {
      return rule(broken, IllegalStateException.class, word);
    }

    Builder index(boolean broken, String word) {
      return rule(broken, IndexOutOfBoundsException.class, word);
    }

    Builder rule(boolean broken, Class<? extends RuntimeException> type, String word) {
      if (broken) violations.add(new Violation(type, word));
      return this;
    }

    /** What waiting for the results throws, for an error the call may leave to be found later. */
    Builder deferred(java.util.function.Supplier<Throwable> waits) {
      this.deferred = waits;
      return this;
    }

    /** Whether a rule is broken already (later rules may need what it found missing). */
    boolean broken() {
      return !violations.isEmpty();
    }

    Expect returns(Function<Object, String> check) {
      return violations.isEmpty() ? new Returns(check) : new Throws(List.copyOf(violations), deferred);
    }

    Expect fails() {
      if (violations.isEmpty()) throw new IllegalStateException("no rule is broken");
      return new Throws(List.copyOf(violations), deferred);
    }
  }
}
