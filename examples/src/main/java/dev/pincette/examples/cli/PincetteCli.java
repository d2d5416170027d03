package dev.pincette.examples.cli;

import dev.pincette.Compute;
import dev.pincette.DeviceInfo;
import dev.pincette.examples.Demo;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The {@code pincette} command: {@code demo}, {@code devices}. Errors are one line and a non-zero exit. */
@Command(name = "pincette", mixinStandardHelpOptions = true, version = "pincette 0.1.0",
    description = "Runs compute kernels on the CPU or an OpenCL GPU, whichever finishes first.",
    subcommands = {PincetteCli.DemoCommand.class, PincetteCli.DevicesCommand.class, BenchCommand.class,
        CalibrateCommand.class, DeviceDataCommand.class, PincetteCli.ParticlesCommand.class, SoakCommand.class,
        FuzzCommand.class, CommandLine.HelpCommand.class})
public final class PincetteCli implements Callable<Integer> {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    CommandLine cli = new CommandLine(new PincetteCli());
    cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
      cmd.getErr().println("pincette: " + (e instanceof java.io.IOException
          ? "cannot write " + e.getMessage() + " (" + e.getClass().getSimpleName() + ")" : e.getMessage()));
      return 1;
    });
    System.exit(cli.execute(args));
  }

  @Override
  public Integer call() {
    spec.commandLine().usage(System.out);
    return 0;
  }

  @Command(name = "demo", mixinStandardHelpOptions = true,
      description = "Runs matmul, reductions and a neighbour search on every available backend and shows where "
          + "auto places each.")
  static final class DemoCommand implements Callable<Integer> {
    @Option(names = "--scale", defaultValue = "1", description = "Shrink every problem by this factor (default 1).")
    int scale;

    @Override
    public Integer call() {
      if (scale < 1) throw new CommandLine.ParameterException(new CommandLine(this), "--scale must be ≥ 1");
      return new Demo(System.out, scale).run() == 0 ? 0 : 3;
    }
  }

  @Command(name = "particles", mixinStandardHelpOptions = true,
      description = {"A 2D fluid (a dam break) on the spatial hash map: each step's search, physics and update times.",
          "Example: pincette particles --particles 200000 --steps 100 --png fluid.png"})
  static final class ParticlesCommand implements Callable<Integer> {
    @Option(names = "--particles", defaultValue = "100000", description = "Particles (default 100000).")
    int particles;

    @Option(names = "--steps", defaultValue = "30", description = "Steps (default 30).")
    int steps;

    @Option(names = "--backend", defaultValue = "auto", description = "auto (default), cpu or opencl.")
    String backend;

    @Option(names = "--physics", defaultValue = "kernels",
        description = "kernels (default: Java kernels on resident data) or loops (hand-written host loops).")
    String physics;

    @Option(names = "--png", paramLabel = "FILE", description = "Write a snapshot after the last step.")
    java.nio.file.Path png;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws java.io.IOException {
      if (particles < 2 || steps < 0) {
        throw new CommandLine.ParameterException(spec.commandLine(), "need --particles ≥ 2 and --steps ≥ 0");
      }
      dev.pincette.BackendKind kind;
      try {
        kind = dev.pincette.BackendKind.parse(backend);
      } catch (IllegalArgumentException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
      }
      if (png != null && ModuleLayer.boot().findModule("java.desktop").isEmpty()) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--png needs the java.desktop module");
      }
      var mode = switch (physics) {
        case "kernels" -> dev.pincette.examples.ParticlesExample.Physics.KERNELS;
        case "loops" -> dev.pincette.examples.ParticlesExample.Physics.LOOPS;
        default -> throw new CommandLine.ParameterException(spec.commandLine(), "--physics is kernels or loops");
      };
      var fluid = new dev.pincette.examples.ParticlesExample(particles);
      Compute.on(kind).run(() -> fluid.simulate(steps, mode, System.out));
      if (png != null) {
        fluid.writePng(png, 800);
        System.out.println("snapshot: " + png);
      }
      return 0;
    }
  }

  @Command(name = "devices", mixinStandardHelpOptions = true,
      description = "Lists every device, whether its backend is usable, and why not.")
  static final class DevicesCommand implements Callable<Integer> {
    @Override
    public Integer call() {
      List<DeviceInfo> devices = Compute.devices();
      var model = dev.pincette.internal.Dispatcher.get().costModel();
      for (DeviceInfo d : devices) {
        System.out.printf("%-7s %-50s %-4s %s%n", d.backend(), d.name(), d.type(),
            d.available() ? "usable" : "unavailable: " + d.reason());
        if (d.available()) {
          System.out.printf("        %-22s %s%n", "calibration", model.isCalibrated(d.backend())
              ? "calibrated (stored in " + dev.pincette.internal.CostModel.defaultCacheDir() + ")"
              : "not yet (runs in the background on first use; or: pincette calibrate)");
        }
        for (Map.Entry<String, String> p : d.properties().entrySet()) {
          System.out.printf("        %-22s %s%n", p.getKey(), p.getValue());
        }
      }
      return 0;
    }
  }
}
