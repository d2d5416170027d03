package dev.pincette.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.lwjgl.opencl.CL10.CL_EVENT_REFERENCE_COUNT;
import static org.lwjgl.opencl.CL10.clGetEventInfo;
import static org.lwjgl.opencl.CL10.clReleaseEvent;

import java.nio.IntBuffer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.lwjgl.system.MemoryStack;

/**
 * Once a command has been made to fail on purpose, the backend gives up its event references a second late, so that
 * PoCL can finish the commands failing behind it before their last reference goes (see {@link ClEventReleases}).
 */
class ClEventReleasesTest {
  private static final ClBackend BACKEND = new ClBackend(null, null, false, true);

  @BeforeAll
  static void requireDevice() {
    ClTestDevice.require(BACKEND);
  }

  @AfterAll
  static void close() {
    BACKEND.close();
  }

  private static int references(long event) {
    try (MemoryStack stack = MemoryStack.stackPush()) {
      IntBuffer count = stack.mallocInt(1);
      ClError.check(clGetEventInfo(event, CL_EVENT_REFERENCE_COUNT, count, null), "clGetEventInfo");
      return count.get(0);
    }
  }

  @Test
  void afterAFailureOnPurposeAReleaseTakesEffectASecondLater() throws Exception {
    long failing = ClQueue.failingUserEvent(BACKEND.context().handle);   // what fault injection does first
    assertTrue(ClEventReleases.deferring());
    long event = ClQueue.userEvent(BACKEND.context().handle);
    try {
      ClQueue.retain(event);
      assertEquals(2, references(event));
      long released = System.nanoTime();
      ClEventReleases.release(event);
      if (references(event) != 2) {
        assertTrue(System.nanoTime() - released >= ClEventReleases.DELAY_NANOS, "released before its time");
      }
      long deadline = System.nanoTime() + 30_000_000_000L;
      while (references(event) == 2 && System.nanoTime() < deadline) Thread.sleep(50);
      assertEquals(1, references(event), "released within 30 s");
      ClEventReleases.release(0);   // nothing to release: nothing happens
    } finally {
      ClQueue.fail(event);
      clReleaseEvent(event);
      ClQueue.fail(failing);
    }
  }
}
