package dev.pincette.internal;

import dev.pincette.BackendKind;
import dev.pincette.Prediction;
import jdk.jfr.Category;
import jdk.jfr.DataAmount;
import jdk.jfr.Description;
import jdk.jfr.Label;
import jdk.jfr.Name;
import jdk.jfr.StackTrace;
import jdk.jfr.Timespan;

/**
 * One call through the dispatcher, as JDK Flight Recorder records it ({@code jfr print --events dev.pincette.Call}).
 * Its duration is the call's measured time. Created only when {@link Jfr#AVAILABLE}; while no recording enables it,
 * {@code begin} and {@code shouldCommit} do nothing and the JIT removes the object.
 */
@Name("dev.pincette.Call")
@Label("Pincette Call")
@Category("Pincette")
@Description("One Compute call: where it was placed, where it ran, what the cost model predicted and the bytes it"
    + " moved; the duration is the measured time")
@StackTrace(false)
final class CallEvent extends jdk.jfr.Event {
  @Label("Op")
  String op;

  @Label("Shape")
  String shape;

  @Label("Requested")
  @Description("The backend asked for: auto unless forced with Compute.on")
  String requested;

  @Label("Placed On")
  @Description("The backend the dispatcher chose")
  String placed;

  @Label("Ran On")
  @Description("The backend that produced the result: the CPU after a fallback")
  String backend;

  @Label("Reason")
  @Description("Why it was placed there")
  String reason;

  @Label("Predicted")
  @Description("The cost model's prediction for the backend it was placed on; N/A while not calibrated")
  @Timespan(Timespan.NANOSECONDS)
  long predicted;

  @Label("To Device")
  @Description("Bytes sent from the host (or another backend) to where it ran; 0 on the CPU")
  @DataAmount
  long bytesToDevice;

  @Label("From Device")
  @Description("Bytes that came back to the host from a device")
  @DataAmount
  long bytesFromDevice;

  @Label("Fallback")
  @Description("Why the call left the backend it was placed on, or empty")
  String fallback;

  /** Sets every field from what the dispatcher knows once the call returned, and commits. */
  void record(String op, String shape, BackendKind requested, String placed, String reason, Prediction prediction,
      String ranOn, CallCost cost, String fallback) {
    this.op = op;
    this.shape = shape;
    this.requested = requested.id();
    this.placed = placed;
    this.reason = reason;
    this.backend = ranOn;
    this.predicted = prediction != null && prediction.calibrated() && Double.isFinite(prediction.totalSeconds())
        ? Math.round(prediction.totalSeconds() * 1e9) : Long.MIN_VALUE;
    boolean host = ranOn.equals(BackendKind.CPU.id());
    long elsewhere = 0;
    for (var e : cost.residentBytes().entrySet()) {
      if (!e.getKey().equals(ranOn)) elsewhere += e.getValue();
    }
    // On the CPU host data stays put and data resident on a device comes down; a device receives the host inputs
    // and the residents of other backends, and returns the result.
    this.bytesToDevice = host ? 0 : cost.inputBytes() + elsewhere;
    this.bytesFromDevice = host ? elsewhere : cost.outputBytes();
    this.fallback = fallback;
    commit();
  }
}
