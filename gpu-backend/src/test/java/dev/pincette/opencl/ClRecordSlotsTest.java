package dev.pincette.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pincette.opencl.kernel.OpenClRenderer;
import org.junit.jupiter.api.Test;
import org.lwjgl.system.MemoryUtil;

/**
 * The pinned slots kernels' error records are read into: a slot given back after its context closed (a kernel settled
 * late) is still known as a slot, so nobody frees it as native memory; native memory from elsewhere is not a slot.
 */
class ClRecordSlotsTest {
  @Test
  void aSlotGivenBackAfterTheContextClosedIsStillASlot() {
    ClBackend backend = new ClBackend(null, null, false, true);
    ClTestDevice.require(backend);
    ClRecordSlots records = backend.context().residents.kernels.records;
    long slot = records.acquire();
    assertNotEquals(0, slot, "a slot of pinned memory");
    long elsewhere = MemoryUtil.nmemAlloc(ClRecordSlots.SLOT_BYTES);
    try {
      backend.close();
      assertEquals(0, records.acquire(), "no slot once closed");
      assertTrue(records.release(slot), "a slot, also once closed: freeing it would abort the JVM");
      assertFalse(records.release(elsewhere), "memory from elsewhere is the caller's to free");
    } finally {
      MemoryUtil.nmemFree(elsewhere);
    }
  }

  @Test
  void aSlotHoldsAWholeErrorRecord() {
    assertTrue(ClRecordSlots.SLOT_BYTES >= 4 * OpenClRenderer.ERROR_INTS);
  }
}
