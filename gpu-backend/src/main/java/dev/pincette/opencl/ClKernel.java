package dev.pincette.opencl;

import static org.lwjgl.opencl.CL10.CL_KERNEL_WORK_GROUP_SIZE;
import static org.lwjgl.opencl.CL10.clGetKernelWorkGroupInfo;
import static org.lwjgl.opencl.CL10.clReleaseKernel;
import static org.lwjgl.opencl.CL10.clSetKernelArg;
import static org.lwjgl.opencl.CL10.clSetKernelArg1d;
import static org.lwjgl.opencl.CL10.clSetKernelArg1f;
import static org.lwjgl.opencl.CL10.clSetKernelArg1i;
import static org.lwjgl.opencl.CL10.clSetKernelArg1l;
import static org.lwjgl.opencl.CL10.clSetKernelArg1p;

import org.lwjgl.PointerBuffer;
import org.lwjgl.system.MemoryStack;

/**
 * One {@code cl_kernel}, owned by the {@link ClQueue} that created it. Kernel arguments are per object and not
 * thread-safe in OpenCL, so each queue has its own kernels and a queue serves one call at a time.
 */
final class ClKernel implements AutoCloseable {
  final long handle;
  final String name;

  ClKernel(long handle, String name) {
    this.handle = handle;
    this.name = name;
  }

  ClKernel mem(int index, long buffer) {
    ClError.check(clSetKernelArg1p(handle, index, buffer), call(index));
    return this;
  }

  ClKernel i32(int index, int value) {
    ClError.check(clSetKernelArg1i(handle, index, value), call(index));
    return this;
  }

  ClKernel i64(int index, long value) {
    ClError.check(clSetKernelArg1l(handle, index, value), call(index));
    return this;
  }

  ClKernel f32(int index, float value) {
    ClError.check(clSetKernelArg1f(handle, index, value), call(index));
    return this;
  }

  ClKernel f64(int index, double value) {
    ClError.check(clSetKernelArg1d(handle, index, value), call(index));
    return this;
  }

  /** A {@code __local} buffer argument of {@code bytes} bytes. */
  ClKernel local(int index, long bytes) {
    ClError.check(clSetKernelArg(handle, index, bytes), call(index));
    return this;
  }

  /** The largest work-group this kernel may run with on {@code device}. */
  long maxWorkGroupSize(long device) {
    try (MemoryStack stack = MemoryStack.stackPush()) {
      PointerBuffer size = stack.mallocPointer(1);
      ClError.check(clGetKernelWorkGroupInfo(handle, device, CL_KERNEL_WORK_GROUP_SIZE, size, null),
          "clGetKernelWorkGroupInfo(" + name + ")");
      return size.get(0);
    }
  }

  private String call(int index) {
    return "clSetKernelArg(" + name + ", " + index + ")";
  }

  @Override
  public void close() {
    clReleaseKernel(handle);
  }
}
