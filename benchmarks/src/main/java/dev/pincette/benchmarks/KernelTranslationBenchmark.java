package dev.pincette.benchmarks;

import dev.pincette.translate.KernelModel;
import dev.pincette.translate.KernelTranslator;
import java.lang.constant.MethodTypeDesc;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Translating a 50-line kernel ({@link KernelSamples#forces}: loops, branches, four callees, Math calls, constants)
 * from its class file to the checked model, without the cache: the target is under 5 ms. {@code saxpy} is the floor
 * (reading and parsing a class file). {@code forces50LinesColdJvm} is the first translation in a fresh JVM, which also
 * loads and warms {@code java.lang.classfile} and the translator.
 *
 * <pre>{@code java -jar benchmarks/target/benchmarks.jar KernelTranslationBenchmark}</pre>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 10, time = 1)
@Measurement(iterations = 10, time = 1)
@Fork(1)
public class KernelTranslationBenchmark {
  private static final MethodTypeDesc FORCES = MethodTypeDesc.ofDescriptor("(I[F[F[I[I[F[F)V");
  private static final MethodTypeDesc SAXPY = MethodTypeDesc.ofDescriptor("(IF[F[F)V");

  @Benchmark
  public KernelModel forces50Lines() {
    return KernelTranslator.translateUncached(KernelSamples.class, "forces", FORCES);
  }

  @Benchmark
  @BenchmarkMode(Mode.SingleShotTime)
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  @Warmup(iterations = 0)
  @Measurement(iterations = 1)
  @Fork(10)
  public KernelModel forces50LinesColdJvm() {
    return KernelTranslator.translateUncached(KernelSamples.class, "forces", FORCES);
  }

  @Benchmark
  public KernelModel saxpy() {
    return KernelTranslator.translateUncached(KernelSamples.class, "saxpy", SAXPY);
  }
}
