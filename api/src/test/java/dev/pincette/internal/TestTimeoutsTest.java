package dev.pincette.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;

import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The build's own guard against a hung test run (set once for every module in the parent pom): every test has a
 * default timeout and runs in a thread that can be abandoned, so that a deadlock fails its test instead of hanging CI.
 */
class TestTimeoutsTest {
  private static final AtomicReference<ExtensionContext> CONTEXT = new AtomicReference<>();
  private static final AtomicReference<Thread> LIFECYCLE_THREAD = new AtomicReference<>();

  @RegisterExtension
  static final BeforeEachCallback CAPTURE = context -> {
    CONTEXT.set(context);
    LIFECYCLE_THREAD.set(Thread.currentThread());
  };

  @Test
  void everyTestHasADefaultTimeoutInAThreadOfItsOwn() {
    ExtensionContext context = CONTEXT.get();
    assertEquals("30 m", context.getConfigurationParameter("junit.jupiter.execution.timeout.default").orElse(null));
    assertEquals("SEPARATE_THREAD",
        context.getConfigurationParameter("junit.jupiter.execution.timeout.thread.mode.default").orElse(null));
    assertNotSame(LIFECYCLE_THREAD.get(), Thread.currentThread(), "the test body runs in a thread of its own");
  }
}
