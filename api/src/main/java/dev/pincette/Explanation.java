package dev.pincette;

import java.util.List;

/**
 * Why a call goes where it goes: each backend's prediction and the choice, as returned by {@link Compute#explain}.
 *
 * @param op the op, e.g. {@code matmul}
 * @param shape the problem size as users read it
 * @param precision the precision a matrix product was asked for ({@link Precision}), or null for ops without one
 * @param requested the backend asked for ({@code auto} unless forced)
 * @param chosen the backend the call would run on
 * @param reason one line: why that backend
 * @param predictions one per usable backend
 */
public record Explanation(String op, String shape, Precision precision, BackendKind requested, String chosen, String reason,
    List<Prediction> predictions) {
  /** Copies {@code predictions}. */
  public Explanation {
    predictions = List.copyOf(predictions);
  }

  @Override
  public String toString() {
    StringBuilder s = new StringBuilder(op + " " + shape + (precision == null ? "" : " in " + precision.id()) + " -> "
        + chosen + " (" + reason + ")");
    for (Prediction p : predictions) s.append("\n  ").append(p);
    return s.toString();
  }
}
