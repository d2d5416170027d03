package dev.pincette.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.pincette.BackendKind;
import dev.pincette.Compute;
import dev.pincette.ComputeOn;
import dev.pincette.HostMatrix;
import dev.pincette.internal.Dispatcher;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The JDK Flight Recorder events a recording of {@code dev.pincette.*} holds: one {@code Call} per call with where it
 * was placed and ran, its prediction, bytes and fallback; on OpenCL one {@code Kernel} per launch, timed on the
 * device, and one {@code Transfer} per array moved.
 */
class JfrEventsTest {
  private static final int M = 8, K = 16, N = 4;
  private static final float[] A = random(M * K, 1);
  private static final float[] B = random(K * N, 2);

  @TempDir
  Path dir;

  @BeforeAll
  static void requireDevice() {
    ClTestDevice.require(new ClBackend(null, null, false, true));
  }

  /** Each test starts with the device on: the fallback test's injected failure counts against it. */
  @BeforeEach
  @AfterEach
  void disarm() {
    ClFaults.clear();
    Dispatcher.get().health().reset();
  }

  private static float[] random(int n, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    float[] x = new float[n];
    for (int i = 0; i < n; i++) x[i] = (float) (rnd.nextDouble() * 2 - 1);
    return x;
  }

  /** The events of this thread that {@code calls} recorded. */
  private List<RecordedEvent> record(Runnable calls) throws IOException {
    try (Recording recording = new Recording()) {
      for (String name : List.of("dev.pincette.Call", "dev.pincette.Kernel", "dev.pincette.Transfer")) {
        recording.enable(name).withThreshold(Duration.ZERO);
      }
      recording.start();
      calls.run();
      recording.stop();
      Path file = dir.resolve("calls.jfr");
      recording.dump(file);
      long thread = Thread.currentThread().threadId();
      return RecordingFile.readAllEvents(file).stream()
          .filter(e -> e.getThread() != null && e.getThread().getJavaThreadId() == thread).toList();
    }
  }

  private static long bytes(List<RecordedEvent> transfers, String direction) {
    return transfers.stream().filter(t -> t.getString("direction").equals(direction))
        .mapToLong(t -> t.getLong("bytes")).sum();
  }

  private static List<RecordedEvent> named(List<RecordedEvent> events, String name) {
    return events.stream().filter(e -> e.getEventType().getName().equals(name)).toList();
  }

  @Test
  void aCpuCallIsOneCallEventThatMovedNothing() throws IOException {
    List<RecordedEvent> events = record(() -> Compute.on(BackendKind.CPU).matmul(A, M, K, B, K, N));
    List<RecordedEvent> calls = named(events, "dev.pincette.Call");
    assertEquals(1, calls.size(), events.toString());
    RecordedEvent call = calls.getFirst();
    assertEquals("matmul", call.getString("op"));
    assertEquals(M + "x" + K + " · " + K + "x" + N, call.getString("shape"));
    assertEquals("cpu", call.getString("requested"));
    assertEquals("cpu", call.getString("placed"));
    assertEquals("cpu", call.getString("backend"));
    assertEquals("forced", call.getString("reason"));
    assertEquals(0, call.getLong("bytesToDevice"));
    assertEquals(0, call.getLong("bytesFromDevice"));
    assertEquals("", call.getString("fallback"));
    assertFalse(call.getDuration().isNegative());
    assertTrue(named(events, "dev.pincette.Kernel").isEmpty(), "the CPU launches no kernels");
  }

  @Test
  void anOpenClCallHasItsKernelAndTransfers() throws IOException {
    List<RecordedEvent> events = record(() -> Compute.on(BackendKind.OPENCL).matmul(A, M, K, B, K, N));
    List<RecordedEvent> calls = named(events, "dev.pincette.Call");
    assertEquals(1, calls.size(), events.toString());
    RecordedEvent call = calls.getFirst();
    assertEquals("opencl", call.getString("requested"));
    assertEquals("opencl", call.getString("backend"));
    assertEquals(4L * (M * K + K * N), call.getLong("bytesToDevice"));
    assertEquals(4L * M * N, call.getLong("bytesFromDevice"));
    assertEquals("", call.getString("fallback"));

    List<RecordedEvent> kernels = named(events, "dev.pincette.Kernel");
    assertEquals(1, kernels.size(), events.toString());
    RecordedEvent kernel = kernels.getFirst();
    assertTrue(kernel.getString("kernel").startsWith("matmul"), kernel.toString());
    assertTrue(kernel.getLong("deviceTime") > 0, "timed on the device: " + kernel);
    assertEquals("", kernel.getString("error"));
    assertFalse(kernel.getString("globalSize").isEmpty());
    assertFalse(kernel.getString("device").isEmpty());

    // A small product sends both operands in one transfer; others send each alone.
    List<RecordedEvent> transfers = named(events, "dev.pincette.Transfer");
    assertEquals(4L * (M * K + K * N), bytes(transfers, "to device"), transfers.toString());
    assertEquals(4L * M * N, bytes(transfers, "to host"), transfers.toString());
    for (RecordedEvent t : transfers) {
      assertTrue(List.of("mapped", "staged").contains(t.getString("path")), t.toString());
      assertEquals("matmul", t.getString("op"));
      assertEquals("", t.getString("error"));
    }
    // Every event of the call lies within the call's span.
    for (RecordedEvent e : events) {
      assertFalse(e.getStartTime().isBefore(call.getStartTime()), e.toString());
      assertFalse(e.getEndTime().isAfter(call.getEndTime()), e.toString());
    }
  }

  static void mixed(int i, long[] x, byte[] b, int[] s) {
    x[i] = x[i] * 2 + b[i] + s[i];
  }

  /**
   * Transfers count the bytes of their element type: 8 per long, 1 per byte, 4 per int (not 4 for each). No double:
   * devices without float64 run such kernels on the CPU.
   */
  @Test
  void transfersOfOtherElementTypesCountTheirOwnBytes() throws IOException {
    int n = 1000;
    long[] x = new long[n];
    byte[] b = new byte[n];
    int[] s = new int[n];
    for (int i = 0; i < n; i++) {
      x[i] = i;
      b[i] = (byte) i;
      s[i] = 3 * i;
    }
    List<RecordedEvent> events = record(() -> Compute.on(BackendKind.OPENCL).forEach(n, JfrEventsTest::mixed, x, b, s));
    for (int i = 0; i < n; i++) assertEquals(2L * i + (byte) i + 3 * i, x[i], "x[" + i + "]");
    RecordedEvent call = named(events, "dev.pincette.Call").getFirst();
    assertEquals("opencl", call.getString("backend"), call.toString());
    List<RecordedEvent> transfers = named(events, "dev.pincette.Transfer");
    long up = (8L + 1 + 4) * n;
    assertEquals(up, bytes(transfers, "to device"), transfers.toString());
    assertEquals(up, call.getLong("bytesToDevice"), call.toString());
    // Only the written array comes back.
    assertEquals(8L * n, bytes(transfers, "to host"), transfers.toString());
  }

  /** Past the small products (ClQueue.SMALL_BYTES), which go through one staging buffer instead. */
  @Test
  void aProductInNativeMemoryMovesItByDmaTimedOnTheDevice() throws IOException {
    int side = 192;
    assertTrue(4L * 3 * side * side > ClQueue.SMALL_BYTES);
    List<RecordedEvent> events = record(() -> {
      ComputeOn opencl = Compute.on(BackendKind.OPENCL);
      try (HostMatrix a = opencl.hostMatrix(side, side); HostMatrix b = opencl.hostMatrix(side, side);
          HostMatrix c = opencl.hostMatrix(side, side)) {
        a.copyFrom(random(side * side, 3));
        b.copyFrom(random(side * side, 4));
        opencl.matmul(a, b, c);
      }
    });
    RecordedEvent call = named(events, "dev.pincette.Call").stream()
        .filter(e -> e.getString("op").equals("matmul")).findFirst().orElseThrow(() -> new AssertionError(events));
    assertEquals("opencl", call.getString("backend"));
    List<RecordedEvent> transfers = named(events, "dev.pincette.Transfer");
    assertEquals(3, transfers.size(), transfers.toString());
    for (RecordedEvent t : transfers) {
      assertEquals("dma", t.getString("path"), t.toString());
      assertTrue(t.getLong("deviceTime") >= 0, "timed on the device: " + t);
    }
    assertEquals(2L * 4 * side * side, bytes(transfers, "to device"));
    assertEquals(4L * side * side, bytes(transfers, "to host"));
  }

  @Test
  void aFallbackNamesWhereItWasPlacedWhereItRanAndWhy() throws IOException {
    List<RecordedEvent> events = record(() -> {
      ClFaults.failNext("clEnqueueNDRangeKernel(matmul");
      Compute.on(BackendKind.OPENCL).matmul(A, M, K, B, K, N);
    });
    List<RecordedEvent> calls = named(events, "dev.pincette.Call");
    assertEquals(1, calls.size(), events.toString());
    RecordedEvent call = calls.getFirst();
    assertEquals("opencl", call.getString("requested"));
    assertEquals("opencl", call.getString("placed"));
    assertEquals("cpu", call.getString("backend"));
    assertTrue(call.getString("fallback").startsWith("opencl failed: "), call.getString("fallback"));
    assertTrue(call.getString("fallback").contains("clEnqueueNDRangeKernel(matmul"), call.getString("fallback"));
    assertEquals(0, call.getLong("bytesToDevice"), "counted for the CPU, where the result came from");
  }
}
