package dev.pincette.opencl;

import static org.lwjgl.opencl.CL10.CL_PROGRAM_BINARIES;
import static org.lwjgl.opencl.CL10.CL_PROGRAM_BINARY_SIZES;
import static org.lwjgl.opencl.CL10.CL_PROGRAM_BUILD_LOG;
import static org.lwjgl.opencl.CL10.clBuildProgram;
import static org.lwjgl.opencl.CL10.clCreateProgramWithSource;
import static org.lwjgl.opencl.CL10.clGetProgramBuildInfo;
import static org.lwjgl.opencl.CL10.clGetProgramInfo;
import static org.lwjgl.opencl.CL10.clReleaseProgram;

import dev.pincette.internal.CacheFiles;
import dev.pincette.spi.BackendException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.lwjgl.PointerBuffer;
import org.lwjgl.opencl.CL10;
import org.lwjgl.system.MemoryStack;
import org.lwjgl.system.MemoryUtil;

/**
 * The programs of one context, each built once: from memory, else from a program binary in the disk cache, else from
 * its {@code .cl} source (then saved as a binary for the next JVM). Cache files are keyed by the device, the driver,
 * the source and the build options, and carry a SHA-256 of their payload: a damaged file is never handed to the
 * driver, it is rebuilt from source and overwritten. The checksum cannot tell a planted file from ours, so files are
 * read and written only through {@link CacheFiles}, which refuses a folder or file another user could write.
 */
final class ClProgramCache implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger("dev.pincette");
  private static final int MAGIC = 0x50434c42; // "PCLB"
  private static final int FORMAT = 1;
  private static final int HEADER = 4 + 4 + 8 + 32;

  private final long context;
  private final ClDevice device;
  /** Folder of program binaries and tuning notes, or null when nothing is kept on disk. */
  private final Path dir;
  /** Built programs by key; building holds the map's bin lock, so each program is built once. */
  private final Map<String, Long> programs = new ConcurrentHashMap<>();
  private final AtomicInteger fromSource = new AtomicInteger();
  private final AtomicInteger fromDisk = new AtomicInteger();

  ClProgramCache(long context, ClDevice device, Path dir) {
    this.context = context;
    this.device = device;
    this.dir = dir;
  }

  /**
   * The cache folder: {@code pincette.cache.dir}, else {@code $XDG_CACHE_HOME/pincette}, else
   * {@code ~/.cache/pincette}; its {@code opencl} subfolder holds this backend's files.
   */
  static Path defaultDir() {
    return CacheFiles.root().resolve("opencl");
  }

  /** Programs compiled from source by this cache. */
  int builtFromSource() {
    return fromSource.get();
  }

  /** Programs loaded from a cached binary by this cache. */
  int loadedFromDisk() {
    return fromDisk.get();
  }

  /**
   * Options added to every build, for diagnosis: {@code pincette.opencl.buildOptions} (e.g. {@code -cl-nv-verbose},
   * whose register counts {@code pincette.opencl.buildLog=true} prints, or {@code -cl-nv-maxrregcount=64}).
   */
  private static final String EXTRA_OPTIONS = System.getProperty("pincette.opencl.buildOptions", "").strip();

  /**
   * Options added to the builds of one program, read at each build: {@code pincette.opencl.buildOptions.matmul} for
   * {@code matmul.cl}. The OpenCL tests build matmul with {@code -cl-opt-disable} on PoCL, whose optimiser spent
   * minutes on each large register-tiled block (see the gpu-backend pom).
   */
  private static String programOptions(String resource) {
    String program = resource.endsWith(".cl") ? resource.substring(0, resource.length() - 3) : resource;
    return System.getProperty("pincette.opencl.buildOptions." + program, "").strip();
  }

  /** {@code pincette.opencl.buildLog=true}: prints each program's build log to standard error after a source build. */
  private static final boolean PRINT_LOG = Boolean.getBoolean("pincette.opencl.buildLog");

  /** The built program of {@code resource} (a file beside this class) compiled with {@code options}. */
  long program(String resource, String options) {
    return program(resource, null, options);
  }

  /**
   * The built program of generated {@code source} (a translated kernel), known in memory by {@code name}, which must
   * be unique per source; on disk, like every program, by its source, options and device. A null {@code source}
   * reads the resource {@code name}.
   */
  long program(String name, String source, String options) {
    String all = allOptions(name, options);
    return programs.computeIfAbsent(name + " " + all, k -> {
      try {
        return build(name, source != null ? source : source(name), all);
      } finally {
        ClSignals.restore();
      }
    });
  }

  /** The cache file a program would use; for tests. */
  Path file(String resource, String options) {
    return dir == null ? null : dir.resolve(key(source(resource), allOptions(resource, options)) + ".bin");
  }

  /** A program's own options, then those added to every build and to its builds. */
  private static String allOptions(String resource, String options) {
    return java.util.stream.Stream.of(options, EXTRA_OPTIONS, programOptions(resource)).filter(o -> !o.isBlank())
        .collect(java.util.stream.Collectors.joining(" "));
  }

  private long build(String resource, String source, String options) {
    ClFaults.check("clBuildProgram(" + resource + ")");
    ClFaults.check("clBuildProgram(" + resource + " " + options + ")");   // one build of one backend's, for tests
    Path file = dir == null ? null : dir.resolve(key(source, options) + ".bin");
    if (file != null) {
      byte[] binary = readBinary(file);
      if (binary != null) {
        long program = fromBinary(binary, options);
        if (program != 0) {
          fromDisk.incrementAndGet();
          return program;
        }
        LOG.log(Level.DEBUG, "pincette: cached OpenCL binary " + file + " was rejected; rebuilding " + resource);
      }
    }
    long program = fromSource(resource, source, options);
    fromSource.incrementAndGet();
    if (file != null) writeBinary(file, binary(program));
    return program;
  }

  private static String source(String resource) {
    try (InputStream in = ClProgramCache.class.getResourceAsStream(resource)) {
      if (in == null) throw new BackendException("OpenCL source " + resource + " is missing from the jar");
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private String key(String source, String options) {
    return sha256Hex((FORMAT + "\n" + device.buildIdentity() + "\n" + options + "\n" + source)
        .getBytes(StandardCharsets.UTF_8));
  }

  private long fromSource(String resource, String source, String options) {
    long program;
    try (MemoryStack stack = MemoryStack.stackPush()) {
      var error = stack.mallocInt(1);
      program = clCreateProgramWithSource(context, source, error);
      ClError.checkHandle(program, error.get(0), "clCreateProgramWithSource(" + resource + ")");
    }
    int rc = clBuildProgram(program, device.id(), options, null, 0);
    if (rc != 0) {
      String log = buildLog(program);
      clReleaseProgram(program);
      throw new BackendException(ClError.name(rc) + " in clBuildProgram(" + resource + " " + options + "): " + log);
    }
    if (PRINT_LOG) System.err.println("pincette: built " + resource + " " + options + ":\n" + buildLog(program));
    return program;
  }

  /** A program from a cached binary, or 0 if the driver rejects it. */
  private long fromBinary(byte[] binary, String options) {
    ByteBuffer image = MemoryUtil.memAlloc(binary.length);
    try (MemoryStack stack = MemoryStack.stackPush()) {
      image.put(binary).flip();
      var status = stack.mallocInt(1);
      var error = stack.mallocInt(1);
      long program = CL10.clCreateProgramWithBinary(context, stack.pointers(device.id()), image, status, error);
      if (program == 0) return 0;
      if (error.get(0) != 0 || status.get(0) != 0 || clBuildProgram(program, device.id(), options, null, 0) != 0) {
        clReleaseProgram(program);
        return 0;
      }
      return program;
    } finally {
      MemoryUtil.memFree(image);
    }
  }

  private String buildLog(long program) {
    try (MemoryStack stack = MemoryStack.stackPush()) {
      PointerBuffer size = stack.mallocPointer(1);
      if (clGetProgramBuildInfo(program, device.id(), CL_PROGRAM_BUILD_LOG, (ByteBuffer) null, size) != 0) return "";
      ByteBuffer log = MemoryUtil.memAlloc((int) size.get(0));
      try {
        clGetProgramBuildInfo(program, device.id(), CL_PROGRAM_BUILD_LOG, log, null);
        String text = StandardCharsets.UTF_8.decode(log).toString().replace("\0", "").strip();
        return text.length() > 2000 ? text.substring(0, 2000) + "…" : text;
      } finally {
        MemoryUtil.memFree(log);
      }
    }
  }

  /** The program's binary for our one device, or null if the driver offers none. */
  private static byte[] binary(long program) {
    try (MemoryStack stack = MemoryStack.stackPush()) {
      PointerBuffer sizes = stack.mallocPointer(1);
      if (clGetProgramInfo(program, CL_PROGRAM_BINARY_SIZES, sizes, null) != 0 || sizes.get(0) <= 0
          || sizes.get(0) > Integer.MAX_VALUE - HEADER) {
        return null;
      }
      ByteBuffer binary = MemoryUtil.memAlloc((int) sizes.get(0));
      try {
        if (clGetProgramInfo(program, CL_PROGRAM_BINARIES, stack.pointers(binary), null) != 0) return null;
        byte[] out = new byte[binary.remaining()];
        binary.get(out);
        return out;
      } finally {
        MemoryUtil.memFree(binary);
      }
    }
  }

  /**
   * The payload of a cache file, or null when it is missing, truncated, fails its checksum, or could have been written
   * by someone else ({@link CacheFiles#read}: the checksum lives in the file it protects, so it catches damage, not
   * a planted file).
   */
  private static byte[] readBinary(Path file) {
    try {
      byte[] bytes = CacheFiles.read(file);
      if (bytes == null) return null;
      ByteBuffer in = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
      if (in.remaining() < HEADER || in.getInt() != MAGIC || in.getInt() != FORMAT) return null;
      long length = in.getLong();
      byte[] digest = new byte[32];
      in.get(digest);
      if (length != in.remaining()) return null;
      byte[] payload = new byte[in.remaining()];
      in.get(payload);
      return Arrays.equals(digest, sha256(payload)) ? payload : null;
    } catch (RuntimeException e) {
      return null;
    }
  }

  private static void writeBinary(Path file, byte[] payload) {
    if (payload == null) return;
    ByteBuffer out = ByteBuffer.allocate(HEADER + payload.length).order(ByteOrder.LITTLE_ENDIAN);
    out.putInt(MAGIC).putInt(FORMAT).putLong(payload.length).put(sha256(payload)).put(payload);
    CacheFiles.write(file, out.array());
  }

  /** A small text note (a tuning result) kept beside the binaries for this device and driver, or null. */
  String note(String name) {
    if (dir == null) return null;
    byte[] bytes = CacheFiles.read(dir.resolve(noteKey(name) + ".txt"));
    return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8).strip();
  }

  void saveNote(String name, String value) {
    if (dir == null) return;
    CacheFiles.write(dir.resolve(noteKey(name) + ".txt"), value.getBytes(StandardCharsets.UTF_8));
  }

  private String noteKey(String name) {
    return "note-" + sha256Hex((FORMAT + "\n" + device.buildIdentity() + "\n" + name).getBytes(StandardCharsets.UTF_8))
        .substring(0, 32);
  }

  private static byte[] sha256(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(data);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String sha256Hex(byte[] data) {
    return HexFormat.of().formatHex(sha256(data));
  }

  @Override
  public void close() {
    for (long program : programs.values()) clReleaseProgram(program);
    programs.clear();
  }
}
