package dev.pincette;

import dev.pincette.spi.KernelArg;
import dev.pincette.spi.Resident;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The bytes a kernel call moves, from what the kernel does with each array (the translator's read and write sets):
 * a device receives the Java arrays the kernel reads or writes (one it writes keeps the elements it leaves alone) and
 * returns those it writes; a resident moves only when the call runs on another backend than the one holding it. An
 * array or a resident passed twice counts once; one the kernel never touches counts nothing.
 *
 * @param upBytes bytes of Java arrays a device receives
 * @param backBytes bytes of Java arrays copied back from a device
 * @param residentBytes bytes of residents the kernel uses, by the backend holding them
 * @param elements elements of every array and resident the kernel uses (its work, beside the work items)
 * @param residents the distinct residents among the arguments
 */
record KernelTransfers(long upBytes, long backBytes, Map<String, Long> residentBytes, long elements,
    List<Resident> residents) {
  static KernelTransfers of(List<KernelArg> table) {
    // One entry per distinct array or resident: used or written through any of the parameters it is passed as.
    Map<Object, boolean[]> uses = new IdentityHashMap<>();
    List<KernelArg> firsts = new ArrayList<>();
    for (KernelArg a : table) {
      if (a.kind() != KernelArg.Kind.ARRAY && a.kind() != KernelArg.Kind.RESIDENT) continue;
      if (!uses.containsKey(a.value())) firsts.add(a);
      boolean[] use = uses.computeIfAbsent(a.value(), v -> new boolean[2]);
      use[0] |= a.used();
      use[1] |= a.written();
    }
    long up = 0;
    long back = 0;
    long elements = 0;
    Map<String, Long> resident = new LinkedHashMap<>();
    List<Resident> residents = new ArrayList<>();
    for (KernelArg a : firsts) {
      boolean[] use = uses.get(a.value());
      if (a.kind() == KernelArg.Kind.RESIDENT) residents.add((Resident) a.value());
      if (!use[0]) continue;
      elements += a.length();
      if (a.kind() == KernelArg.Kind.RESIDENT) {
        resident.merge(((Resident) a.value()).backend(), a.bytes(), Long::sum);
      } else {
        up += a.bytes();
        if (use[1]) back += a.bytes();
      }
    }
    return new KernelTransfers(up, back, resident, elements, List.copyOf(residents));
  }

  /** As explain() shows it: {@code (moves 4.0 MB to a device, 4.0 MB back; resident 8.0 MB on opencl)}. */
  @Override
  public String toString() {
    if (upBytes == 0 && backBytes == 0 && residentBytes.isEmpty()) return "";
    StringBuilder s = new StringBuilder(" (");
    if (upBytes > 0 || backBytes > 0) {
      s.append("moves ").append(bytes(upBytes)).append(" to a device, ").append(bytes(backBytes)).append(" back");
    }
    for (Map.Entry<String, Long> e : residentBytes.entrySet()) {
      s.append(s.length() > 2 ? "; " : "").append("resident ").append(bytes(e.getValue())).append(" on ")
          .append(e.getKey());
    }
    return s.append(')').toString();
  }

  /**
   * {@code %.1f kB}, {@code %.1f MB}, {@code %.2f GB}, rounded half up as {@code String.format} does, in integer
   * arithmetic: every kernel call builds its shape, and formatting there cost a quarter of a resident call's host time.
   */
  private static String bytes(long bytes) {
    if (bytes < 1024) return bytes + " B";
    if (bytes < 1 << 20) return decimal(bytes, 10, 1, " kB");
    if (bytes < 1 << 30) return decimal(bytes, 20, 1, " MB");
    return decimal(bytes, 30, 2, " GB");
  }

  /** {@code bytes / 2^shift} with {@code places} decimals (1 or 2), rounded half up; exact below 2^56 bytes. */
  private static String decimal(long bytes, int shift, int places, String unit) {
    long scale = places == 1 ? 10 : 100;
    long scaled = (bytes * scale + (1L << (shift - 1))) >> shift;
    String fraction = Long.toString(scaled % scale);
    return (scaled / scale) + "." + (fraction.length() < places ? "0" + fraction : fraction) + unit;
  }
}
