package example.consumer;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;

/** Pincette's JDK Flight Recorder events seen from a project: loaded only where {@code jdk.jfr} is. */
final class Events {
  private Events() {}

  /**
   * Runs {@code calls} under a recording of {@code dev.pincette.*} and returns how many events it holds: a
   * {@code dev.pincette.Call} for every backend, and kernels and transfers when OpenCL ran.
   */
  static int recordedDuring(Runnable calls, boolean opencl) {
    try (Recording recording = new Recording()) {
      for (String name : List.of("dev.pincette.Call", "dev.pincette.Kernel", "dev.pincette.Transfer")) {
        recording.enable(name);
      }
      recording.start();
      calls.run();
      recording.stop();
      Path file = Files.createTempFile("pincette-consumer", ".jfr");
      try {
        recording.dump(file);
        List<RecordedEvent> events = RecordingFile.readAllEvents(file);
        for (String backend : opencl ? List.of("cpu", "opencl") : List.of("cpu")) {
          if (events.stream().noneMatch(e -> e.getEventType().getName().equals("dev.pincette.Call")
              && e.getString("backend").equals(backend) && e.getString("op").equals("matmul"))) {
            Main.fail(Main.EVENTS_MISSING, "no dev.pincette.Call of a matmul on " + backend);
          }
        }
        for (String name : opencl ? List.of("dev.pincette.Kernel", "dev.pincette.Transfer") : List.<String>of()) {
          if (events.stream().noneMatch(e -> e.getEventType().getName().equals(name))) {
            Main.fail(Main.EVENTS_MISSING, "no " + name + " event");
          }
        }
        return events.size();
      } finally {
        Files.deleteIfExists(file);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
