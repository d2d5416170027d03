package dev.pincette.internal;

/**
 * Whether JDK Flight Recorder's API is there. Pincette's modules read {@code jdk.jfr} only when it is resolved
 * ({@code requires static}): a runtime image built without it (jlink) or a module path that does not resolve it runs
 * without events. Code touches an event class only after checking {@link #AVAILABLE}, so that such a runtime never
 * loads one. Holds no reference to {@code jdk.jfr} itself.
 */
public final class Jfr {
  /** {@code jdk.jfr} is in the boot layer and readable from here (always so on the class path of a full JDK). */
  public static final boolean AVAILABLE = ModuleLayer.boot().findModule("jdk.jfr")
      .map(Jfr.class.getModule()::canRead).orElse(false);

  private Jfr() {}
}
