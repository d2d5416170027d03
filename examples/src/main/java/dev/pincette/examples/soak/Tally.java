package dev.pincette.examples.soak;

import dev.pincette.CallRecord;
import dev.pincette.Compute;
import java.util.Map;
import java.util.Queue;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.LongAdder;

/** What a soak counted, from every thread at once: calls per op, where they ran, and what went wrong. */
public final class Tally {
  /** Examples of each kind of failure kept for the report. */
  private static final int EXAMPLES = 5;

  final Map<String, LongAdder> calls = new ConcurrentHashMap<>();
  final LongAdder onDevice = new LongAdder();
  final LongAdder fallbacks = new LongAdder();
  final LongAdder wrong = new LongAdder();
  final LongAdder unexpected = new LongAdder();
  /** Resident results whose device failed before they were read: documented (see DeviceMatrix), not wrong. */
  final LongAdder lost = new LongAdder();
  final LongAdder faultsArmed = new LongAdder();
  final LongAdder faultsFired = new LongAdder();
  final Queue<String> examples = new ConcurrentLinkedQueue<>();
  private final Map<String, LongAdder> exampleCounts = new ConcurrentHashMap<>();

  /** Counts one op, and where the calling thread's last dispatched call ran. */
  void call(String op) {
    calls.computeIfAbsent(op, k -> new LongAdder()).increment();
    dispatched(Compute.lastCall());
  }

  /** Counts where a dispatched call ran and whether it fell back. */
  void dispatched(CallRecord last) {
    if (last == null) return;
    if (!last.backend().equals("cpu")) onDevice.increment();
    if (last.fellBack()) fallbacks.increment();
  }

  long totalCalls() {
    return calls.values().stream().mapToLong(LongAdder::sum).sum();
  }

  void wrong(String op, String what) {
    wrong.increment();
    example("wrong", op + ": " + what);
  }

  void unexpected(String op, Throwable e) {
    unexpected.increment();
    StringBuilder s = new StringBuilder(op + ": " + e);
    for (StackTraceElement frame : e.getStackTrace()) {
      if (frame.getClassName().startsWith("dev.pincette")) {
        s.append(" at ").append(frame);
        break;
      }
    }
    example("unexpected", s.toString());
  }

  void lost(String op, Throwable e) {
    lost.increment();
    example("lost", op + ": " + e.getMessage());
  }

  private void example(String kind, String text) {
    if (exampleCounts.computeIfAbsent(kind, k -> new LongAdder()).sum() >= EXAMPLES) return;
    exampleCounts.get(kind).increment();
    examples.add(kind + ": " + text);
  }

  /** Calls per op, sorted by name. */
  Map<String, Long> callsByOp() {
    Map<String, Long> out = new TreeMap<>();
    calls.forEach((op, n) -> out.put(op, n.sum()));
    return out;
  }
}
