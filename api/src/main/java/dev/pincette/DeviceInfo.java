package dev.pincette;

import java.util.Map;

/**
 * One device a backend knows about, usable or not, as listed by {@link Compute#devices()}.
 *
 * @param backend backend name ({@code cpu}, {@code opencl})
 * @param name device name as its driver reports it
 * @param type {@code CPU}, {@code GPU}, {@code ACCELERATOR}
 * @param available whether calls can run there
 * @param reason why not, or an empty string
 * @param properties further facts (vendor, compute units, memory, driver, vector path, …) in display order
 */
public record DeviceInfo(
    String backend, String name, String type, boolean available, String reason, Map<String, String> properties) {
  /** Copies {@code properties}; none of the arguments may be null. */
  public DeviceInfo {
    properties = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(properties));
  }

  @Override
  public String toString() {
    return backend + ": " + name + " [" + type + "] " + (available ? "available" : "unavailable: " + reason)
        + (properties.isEmpty() ? "" : " " + properties);
  }
}
