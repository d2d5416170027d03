package dev.pincette.spatial;

/** Receives one pair of points {@code i < j} within the radius of {@link SpatialHashMap#forEachPair}. */
@FunctionalInterface
public interface PairConsumer {
  /** Called once for each pair of points {@code i < j} within the radius. */
  void accept(int i, int j);
}
