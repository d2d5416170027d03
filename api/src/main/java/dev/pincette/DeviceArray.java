package dev.pincette;

import dev.pincette.internal.Dispatcher;
import dev.pincette.spi.KernelArg;
import dev.pincette.spi.KernelFault;
import dev.pincette.spi.Resident;
import java.lang.ref.Cleaner;
import java.lang.ref.Reference;
import java.util.Objects;

/**
 * An array that stays where kernels run (on a GPU, or on the CPU when that is where it lives), so that a chain of
 * kernels moves no data: upload once, pass it to kernels in place of a Java array of its type, {@link #download()}
 * what you need. {@code T} is the Java array it stands for: {@code float[]}, {@code double[]}, {@code int[]},
 * {@code long[]} or {@code byte[]}.
 *
 * <pre>{@code
 * static void saxpy(int i, float a, float[] x, float[] y) { y[i] = a * x[i] + y[i]; }
 *
 * try (DeviceArray<float[]> x = Compute.upload(xs);
 *      DeviceArray<float[]> y = Compute.zeros(float[].class, xs.length)) {
 *   for (int step = 0; step < 100; step++) Compute.forEach(n, Physics::saxpy, 2f, x, y);   // no transfers
 *   float[] result = y.download();
 * }
 * }</pre>
 *
 * <p>Kernels read and write it in place; Java arrays and resident arrays mix freely in one call. On the CPU it is a
 * plain Java array, which kernels use with no copy. On a GPU, a kernel call whose array arguments are all resident
 * returns as soon as its kernel is enqueued behind the commands that use the same data, so a chain runs back to back
 * on the device; {@link #download()}, {@link Compute#sum(DeviceArray)} and {@link #await()} wait for it on the host.
 * A kernel's own error in such a call (an index out of bounds) is thrown by the first of those that waits for an array
 * it wrote (or one a later kernel computed from those), as the same exception the CPU throws, once.
 *
 * <p>Device memory is finite: when resident data would not fit, the least recently used device copies move to host
 * memory and come back when next used. An array keeps the host copy it was uploaded from until a kernel writes it. A
 * device failure while a kernel is being placed reruns the kernel on the CPU from the data as it was; one found after
 * the call returned loses what that kernel (and kernels after it) wrote, whose only copy was on the device: reading it
 * throws {@link IllegalStateException} naming the failure (see {@code docs/kernels.md}).
 *
 * <p>Safe to share between threads as Java arrays are: calls that only read it may overlap, a kernel writing it while
 * another call uses it is a race. Close it when done; one that is garbage collected unclosed is freed then, and the
 * library logs that it had to.
 */
public final class DeviceArray<T> implements AutoCloseable {

  static {
    dev.pincette.internal.ResidentHandles.install(DeviceArray::new, (array, op) -> array.resident(op));
  }

  private final Resident resident;
  private final KernelArg.Type type;
  /** Its element type and length, for messages, e.g. {@code float[1024]}. */
  private final String description;
  private final ResidentCleanup state;
  private final Cleaner.Cleanable cleanable;

  DeviceArray(Resident resident) {
    this.resident = resident;
    this.type = resident.type();
    this.description = describe(type, resident.length());
    this.state = new ResidentCleanup(resident, "DeviceArray " + description);
    this.cleanable = ResidentCleanup.CLEANER.register(this, state);
  }

  private static String describe(KernelArg.Type type, int length) {
    return type.arrayClass.componentType().getName() + "[" + length + "]";
  }

  /** The number of elements. */
  public int length() {
    return resident.length();
  }

  /** The Java array type this stands for, e.g. {@code float[].class}. */
  @SuppressWarnings("unchecked")
  public Class<T> arrayType() {
    return (Class<T>) type.arrayClass;
  }

  /** The backend holding the data, e.g. {@code opencl} or {@code cpu}. */
  public String backend() {
    return resident.backend();
  }

  /** Whether {@link #close()} was called. */
  public boolean isClosed() {
    return state.closed.get();
  }

  /**
   * Waits until every kernel writing this array has run, and returns it: for timing a chain of kernels, or for having
   * a kernel's error (or a device failure) reported now rather than by the next read.
   *
   * @throws ArrayIndexOutOfBoundsException or {@link ArithmeticException} when a kernel that wrote it failed so
   * @throws IllegalStateException when closed, or when the data was lost with a failed device
   */
  public DeviceArray<T> await() {
    Resident r = resident("await");
    try {
      Dispatcher.get().await(r);
      return this;
    } catch (KernelFault fault) {
      throw fault.toUserException();
    } catch (IllegalStateException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new IllegalStateException("await: the " + this + " could not be computed: " + e.getMessage(), e);
    } finally {
      Reference.reachabilityFence(this);
    }
  }

  /** A new Java array holding the values, once the kernels writing them have run. The handle stays open. */
  @SuppressWarnings("unchecked")
  public T download() {
    Resident r = resident("download");
    T out = (T) type.newArray(r.length());
    return downloadInto(out);
  }

  /**
   * Copies the values into {@code out}, a Java array of this type and length (no new array: from a GPU the values go
   * straight into it); returns it. The handle stays open.
   */
  public T downloadInto(T out) {
    Objects.requireNonNull(out, "downloadInto: out is null");
    if (out.getClass() != type.arrayClass) {
      throw new IllegalArgumentException("downloadInto: out is a " + out.getClass().getSimpleName() + ", this array"
          + " holds " + type.arrayClass.getSimpleName());
    }
    int length = java.lang.reflect.Array.getLength(out);
    if (length != resident.length()) {
      throw new IllegalArgumentException("downloadInto: out has " + length + " elements, this array "
          + resident.length());
    }
    Resident r = resident("downloadInto");
    try {
      Dispatcher.get().downloadInto(r, out);
      return out;
    } catch (KernelFault fault) {
      throw fault.toUserException();
    } catch (IllegalStateException e) {
      throw e;
    } catch (RuntimeException e) {
      throw new IllegalStateException("download: the " + this + " could not be read: " + e.getMessage(), e);
    } finally {
      Reference.reachabilityFence(this);
    }
  }

  /** The data for an op or a kernel; fails with the op's name once closed. */
  Resident resident(String op) {
    if (state.closed.get()) throw new IllegalStateException(op + ": the DeviceArray " + description + " is closed");
    return resident;
  }

  /**
   * Frees the device memory (or the array); later ops on this handle throw. A kernel still writing or reading it keeps
   * its memory until it is done. Idempotent.
   */
  @Override
  public void close() {
    if (state.closed.compareAndSet(false, true)) {
      resident.close();
      cleanable.clean();
    }
  }

  @Override
  public String toString() {
    return "DeviceArray[" + description + " on " + backend() + (isClosed() ? ", closed]" : "]");
  }
}
