package dev.pincette.spatial;

/** Receives one pair of points {@code i < j} within the radius of {@link SpatialHashMap#forEachPair}. */
@FunctionalInterface
public interface PairConsumer {
  void accept(int i, int j);
}
