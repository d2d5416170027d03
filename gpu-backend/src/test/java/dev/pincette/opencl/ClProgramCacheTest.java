package dev.pincette.opencl;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Program binaries survive the JVM, and a damaged cache file is ignored, rebuilt and replaced. */
class ClProgramCacheTest {
  private static final ClBackend BACKEND = new ClBackend(null, null, false, true);
  private static final String SOURCE = "reduce.cl";
  private static final String OPTIONS = new ClReduce(true).options();
  private static final float[] VALUES = {1.5f, -2f, 4f, 0.25f};

  @TempDir
  Path dir;

  @BeforeAll
  static void requireDevice() {
    ClTestDevice.require(BACKEND);
  }

  @AfterAll
  static void close() {
    BACKEND.close();
  }

  /** Builds the test program in a fresh context over {@link #dir}; returns {fromSource, fromDisk}. */
  private int[] buildInFreshContext() {
    try (ClContext context = ClContext.open(BACKEND.device(), dir, false)) {
      context.programs.program(SOURCE, OPTIONS);
      assertEquals(3.75, new ClReduce(true).sum(context, VALUES), 0, "the program works");
      return new int[] {context.programs.builtFromSource(), context.programs.loadedFromDisk()};
    }
  }

  private Path cacheFile() {
    try (ClContext context = ClContext.open(BACKEND.device(), dir, false)) {
      return context.programs.file(SOURCE, OPTIONS);
    }
  }

  @Test
  void secondContextLoadsTheBinaryFromDisk() {
    assertArrayEquals(new int[] {1, 0}, buildInFreshContext());
    assertTrue(Files.isRegularFile(cacheFile()));
    assertArrayEquals(new int[] {0, 1}, buildInFreshContext());
  }

  @Test
  void damagedFileIsRebuiltFromSourceAndReplaced() throws IOException {
    buildInFreshContext();
    Path file = cacheFile();
    byte[] bytes = Files.readAllBytes(file);
    bytes[bytes.length / 2] ^= 0x5a;
    Files.write(file, bytes);
    assertArrayEquals(new int[] {1, 0}, buildInFreshContext());
    assertArrayEquals(new int[] {0, 1}, buildInFreshContext(), "the rebuilt binary replaced the damaged one");
  }

  @Test
  void truncatedOrForeignFilesAreIgnored() throws IOException {
    buildInFreshContext();
    Path file = cacheFile();
    byte[] bytes = Files.readAllBytes(file);
    Files.write(file, Arrays.copyOf(bytes, bytes.length / 3));
    assertArrayEquals(new int[] {1, 0}, buildInFreshContext());
    Files.writeString(file, "not a program binary");
    assertArrayEquals(new int[] {1, 0}, buildInFreshContext());
  }

  @Test
  void binaryTheDriverRejectsIsRebuilt() throws IOException, NoSuchAlgorithmException {
    buildInFreshContext();
    byte[] payload = "a well-formed cache file whose payload is no program".getBytes();
    ByteBuffer out = ByteBuffer.allocate(48 + payload.length).order(ByteOrder.LITTLE_ENDIAN);
    out.putInt(0x50434c42).putInt(1).putLong(payload.length)
        .put(MessageDigest.getInstance("SHA-256").digest(payload)).put(payload);
    Files.write(cacheFile(), out.array());
    assertArrayEquals(new int[] {1, 0}, buildInFreshContext());
  }

  /**
   * A folder of the user's own that others can write (umask 002, an older version's folder) is tightened and then
   * used: a file another user planted there would be theirs and is refused, ours is loaded. A binary that others can
   * write is never handed to the driver: the program is built from source instead, and loaded from disk again once
   * the file is the owner's alone.
   */
  @Test
  void binariesOthersCanWriteAreNotLoaded() throws IOException {
    org.junit.jupiter.api.Assumptions.assumeTrue(Files.getFileStore(dir).supportsFileAttributeView("posix"));
    buildInFreshContext();
    Path folder = cacheFile().getParent();
    Files.setPosixFilePermissions(folder, java.nio.file.attribute.PosixFilePermissions.fromString("rwxrwxrwx"));
    assertArrayEquals(new int[] {0, 1}, buildInFreshContext(), "own folder, tightened");
    String folderMode = java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(folder));
    assertEquals("rwxr-xr-x", folderMode, "group and others lose write permission on the folder");
    Files.setPosixFilePermissions(cacheFile(), java.nio.file.attribute.PosixFilePermissions.fromString("rw-rw-r--"));
    assertArrayEquals(new int[] {1, 0}, buildInFreshContext(), "group-writable file");
    assertArrayEquals(new int[] {0, 1}, buildInFreshContext(), "rewritten for the owner alone, then loaded");
    assertEquals("rw-------", java.nio.file.attribute.PosixFilePermissions.toString(
        Files.getPosixFilePermissions(cacheFile())));
  }

  private static void assertArrayEquals(int[] expected, int[] actual) {
    assertArrayEquals(expected, actual, "");
  }

  private static void assertArrayEquals(int[] expected, int[] actual, String message) {
    assertEquals(Arrays.toString(expected), Arrays.toString(actual), "{fromSource, fromDisk} " + message);
  }
}
