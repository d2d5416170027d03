/**
 * A fuzzer for the whole public API: every public method of {@code Compute}, {@code ComputeOn},
 * {@code AsyncCompute}, {@code Matrix}, {@code HostMatrix}, {@code DeviceMatrix}, {@code DeviceArray},
 * {@code SpatialHashMap}, {@code Neighbors}, {@code DeviceNeighbors} and {@code CellOrder} called with generated
 * arguments (extremes first: 0, 1, negative, {@code Integer.MAX_VALUE}, sizes whose products cross 2^31 and 2^32, NaN,
 * infinities, null, empty and wrong-length arrays, closed handles), made and called under random backends, in forked
 * JVMs ({@link dev.pincette.examples.fuzz.Fuzzer}). Each call must return what the float64 reference of
 * {@code kernels} accepts, or throw the exception its bad arguments call for with a message that names what was wrong.
 * Kernel calls ({@code forEach}, {@code sum}) run the kernels of {@code FuzzKernels}, whose reference is the kernel
 * run in plain Java; a kernel's own index error must be an {@code ArrayIndexOutOfBoundsException} naming the array
 * parameter. {@code ApiFuzzTest} runs a few cases of each method in {@code ./mvnw verify};
 * {@code pincette fuzz --cases 10000} is the long run.
 *
 * <h2>Adding a method</h2>
 * A new public method makes {@code ApiFuzzTest.everyPublicMethodOfTheApiIsFuzzed} fail with its signature. Give it a
 * {@link dev.pincette.examples.fuzz.Target} beside its owner's others ({@code ComputeTargets}, {@code KernelTargets},
 * {@code ResidentTargets}, {@code MatrixTargets}, {@code SpatialTargets}, {@code SpatialResidentTargets}): a generator
 * of arguments and, from them alone, what the call must do. For instance, for a hypothetical
 * {@code Compute.parallelFor(int n, IntConsumer body)}:
 *
 * <pre>{@code
 * t.add(target("parallelFor", g -> {
 *   int n = g.size();                                  // small, edge and extreme sizes
 *   int[] seen = new int[Math.max(0, Math.min(n, Gen.ARRAY_LIMIT))];
 *   IntConsumer body = g.chance(0.05) ? null : i -> seen[i]++;
 *   Expect e = new Expect.Builder().npe(body == null, "body").iae(n < 0, "n")
 *       .returns(r -> Arrays.stream(seen).allMatch(c -> c == 1) ? null : "an index ran twice or never");
 *   return Case.of(e, n, body);
 * }, int.class, IntConsumer.class));
 * }</pre>
 *
 * A target written for a static {@code Compute} method also covers the same method of {@code ComputeOn} and
 * {@code AsyncCompute}, where they declare it.
 */
package dev.pincette.examples.fuzz;
