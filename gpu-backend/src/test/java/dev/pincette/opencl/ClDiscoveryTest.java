package dev.pincette.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pincette.DeviceInfo;
import dev.pincette.spi.BackendException;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Device discovery, selection by name, and the life cycle of a backend. */
class ClDiscoveryTest {
  private static ClBackend backend;

  @BeforeAll
  static void requireDevice() {
    backend = new ClBackend(null, null, false, true);
    ClTestDevice.require(backend);
  }

  @Test
  void devicesDescribeTheHardware() {
    List<DeviceInfo> devices = backend.devices();
    assertFalse(devices.isEmpty());
    assertEquals(1, devices.stream().filter(DeviceInfo::available).count(), devices.toString());
    DeviceInfo selected = devices.stream().filter(DeviceInfo::available).findFirst().orElseThrow();
    assertEquals("opencl", selected.backend());
    assertEquals(backend.device().name(), selected.name());
    for (String key : List.of("vendor", "compute units", "global memory", "local memory", "max work-group size",
        "host-unified memory", "driver", "opencl")) {
      assertTrue(selected.properties().containsKey(key), key + " in " + selected.properties());
    }
  }

  @Test
  void theDevicePropertyPicksADeviceByPartOfItsName() {
    String name = backend.device().name();
    ClBackend byName = new ClBackend(name.substring(0, Math.min(6, name.length())).toUpperCase(), null, false, true);
    assertTrue(byName.isAvailable());
    assertEquals(name, byName.device().name());
    byName.close();

    ClBackend none = new ClBackend("no such device anywhere", null, false, true);
    assertFalse(none.isAvailable());
    assertTrue(none.unavailableReason().contains("no such device anywhere"), none.unavailableReason());
    assertThrows(BackendException.class, () -> none.sum(new float[] {1}));
  }

  @Test
  void aClosedBackendFailsCallsWithBackendException() {
    ClBackend closing = new ClBackend(null, null, false, true);
    assertEquals(3.0, closing.sum(new float[] {1, 2}));
    closing.close();
    assertFalse(closing.isAvailable());
    assertThrows(BackendException.class, () -> closing.sum(new float[] {1, 2}));
    closing.close();
  }

  @Test
  void theProviderIsFoundByServiceLoader() {
    assertTrue(java.util.ServiceLoader.load(dev.pincette.spi.BackendProvider.class).stream()
        .anyMatch(p -> p.get().name().equals("opencl")));
  }
}
