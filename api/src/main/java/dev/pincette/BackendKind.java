package dev.pincette;

import java.util.Locale;

/** Where calls may run: {@code AUTO} lets Pincette choose per call, the others force a backend. */
public enum BackendKind {
  /** Each call goes where the cost model predicts it finishes first. */
  AUTO,
  /** The CPU backend: ForkJoin and the Vector API. */
  CPU,
  /** The OpenCL backend; a call that fails there is rerun on the CPU. */
  OPENCL;

  /** The name used by the {@code pincette.backend} property and in logs. */
  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses {@code auto}, {@code cpu} or {@code opencl}, ignoring case. */
  public static BackendKind parse(String id) {
    for (BackendKind k : values()) {
      if (k.id().equalsIgnoreCase(id.strip())) return k;
    }
    throw new IllegalArgumentException("unknown backend '" + id + "': use auto, cpu or opencl");
  }
}
