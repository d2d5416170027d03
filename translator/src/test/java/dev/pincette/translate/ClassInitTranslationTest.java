package dev.pincette.translate;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.constant.MethodTypeDesc;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Kernels reading static finals of classes whose initialisers translate kernels themselves (a class warming up its
 * kernels): no deadlock, no recursive update of the cache, and no constant read before its class set it.
 */
class ClassInitTranslationTest {
  private static final MethodTypeDesc KERNEL = MethodTypeDesc.ofDescriptor("(I[F)V");

  @SuppressWarnings("unused")
  static final class Kernels {
    static void readsSelfWarming(int i, float[] y) {
      y[i] = SelfWarming.K;
    }

    static void readsSlow(int i, float[] y) {
      y[i] = SlowInit.K;
    }
  }

  /** Its initialiser translates, on the same thread, the kernel whose translation started it. */
  static final class SelfWarming {
    static final float K = (float) Math.sqrt(3);
    static final Object NESTED;

    static {
      Object nested;
      try {
        nested = KernelTranslator.shared().translate(Kernels.class, "readsSelfWarming", KERNEL);
      } catch (RuntimeException e) {
        nested = e;
      }
      NESTED = nested;
    }
  }

  static final CountDownLatch SLOW_STARTED = new CountDownLatch(1);
  static volatile Thread translating;

  /** Its initialiser, on one thread, translates the kernel another thread is translating and waits on it for. */
  static final class SlowInit {
    static final float K;
    static final Object NESTED;

    static {
      SLOW_STARTED.countDown();
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      // Until the other thread is reading K, which makes it wait for this initialiser (the bound only keeps a
      // broken test from hanging).
      while (System.nanoTime() < end && !readingAField(translating)) Thread.onSpinWait();
      Object nested;
      try {
        nested = KernelTranslator.shared().translate(Kernels.class, "readsSlow", KERNEL);
      } catch (RuntimeException e) {
        nested = e;
      }
      NESTED = nested;
      K = 2;
    }
  }

  /** Whether {@code thread} is in the translator's read of a static field (its class's initialiser runs elsewhere). */
  static boolean readingAField(Thread thread) {
    if (thread == null) return false;
    for (StackTraceElement f : thread.getStackTrace()) {
      if (f.getClassName().equals(Instructions.class.getName()) && f.getMethodName().equals("field")) return true;
    }
    return false;
  }

  @Test
  void aKernelTranslatedByTheInitialiserOfAClassItReadsIsRefusedUntilTheClassIsReady() {
    KernelModel model = KernelTranslator.shared().translate(Kernels.class, "readsSelfWarming", KERNEL);
    assertEquals((float) Math.sqrt(3), model.constants().getFirst().value().floatValue());
    UnsupportedKernelException nested = assertInstanceOf(UnsupportedKernelException.class, SelfWarming.NESTED);
    assertFalse(nested.lasting());
    assertTrue(nested.getMessage().contains("reading dev.pincette.translate.ClassInitTranslationTest$SelfWarming.K "
        + "while dev.pincette.translate.ClassInitTranslationTest$SelfWarming is being initialised"),
        nested.getMessage());
  }

  @Test
  void twoThreadsMeetingInAClassInitialiserDoNotDeadlock() throws Exception {
    CompletableFuture<Void> init = CompletableFuture.runAsync(() -> {
      try {
        Class.forName(SlowInit.class.getName(), true, SlowInit.class.getClassLoader());
      } catch (ClassNotFoundException e) {
        throw new AssertionError(e);
      }
    });
    assertTrue(SLOW_STARTED.await(20, TimeUnit.SECONDS));
    CompletableFuture<KernelModel> translation = new CompletableFuture<>();
    Thread t = new Thread(() -> {
      try {
        translation.complete(KernelTranslator.shared().translate(Kernels.class, "readsSlow", KERNEL));
      } catch (Throwable e) {
        translation.completeExceptionally(e);
      }
    });
    translating = t;
    t.setDaemon(true);
    t.start();
    KernelModel model = translation.get(60, TimeUnit.SECONDS);
    init.get(60, TimeUnit.SECONDS);
    assertEquals(2f, model.constants().getFirst().value().floatValue());
    assertInstanceOf(UnsupportedKernelException.class, SlowInit.NESTED);
  }
}
