package dev.pincette.internal;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cache folder's safety on POSIX file systems: created owner-only, refused when others can write it or a file in
 * it, nothing left behind by a failed write, and never the working directory.
 */
class CacheFilesTest {
  @TempDir
  Path tmp;

  @BeforeEach
  void posixOnly() throws IOException {
    Assumptions.assumeTrue(Files.getFileStore(tmp).supportsFileAttributeView("posix"),
        "POSIX permissions (on Windows only the owner is checked)");
  }

  private static byte[] bytes(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  private static String permissions(Path p) throws IOException {
    return PosixFilePermissions.toString(Files.getPosixFilePermissions(p));
  }

  @Test
  void foldersAreCreatedForTheOwnerOnlyAndFilesReadBack() throws IOException {
    Path file = tmp.resolve("cache/pincette/opencl/program.bin");
    assertTrue(CacheFiles.write(file, bytes("binary")));
    assertEquals("rwx------", permissions(tmp.resolve("cache")));
    assertEquals("rwx------", permissions(tmp.resolve("cache/pincette/opencl")));
    assertEquals("rw-------", permissions(file));
    assertArrayEquals(bytes("binary"), CacheFiles.read(file));
    assertNull(CacheFiles.read(tmp.resolve("cache/missing.bin")));
  }

  /**
   * A folder of ours that our group or others may write (umask 002 on user-private groups, folders of earlier
   * versions) is tightened ({@code chmod go-w}) and used: each file's owner is checked anyway.
   */
  @Test
  void aFolderOfOursOthersCanWriteIsTightenedAndUsed() throws IOException {
    Path dir = tmp.resolve("shared");
    Path file = dir.resolve("program.bin");
    assertTrue(CacheFiles.write(file, bytes("ours")));
    for (String[] shared : new String[][] {{"rwxrwx---", "rwxr-x---"}, {"rwx---rwx", "rwx---r-x"},
        {"rwxrwxrwx", "rwxr-xr-x"}, {"rwxrwxr-x", "rwxr-xr-x"}}) {
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString(shared[0]));
      assertArrayEquals(bytes("ours"), CacheFiles.read(file), shared[0]);
      assertEquals(shared[1], permissions(dir), "tightened from " + shared[0]);
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString(shared[0]));
      assertTrue(CacheFiles.write(dir.resolve("other.bin"), bytes("x")), shared[0]);
      assertEquals(shared[1], permissions(dir), "tightened from " + shared[0]);
    }
  }

  /** A folder of another user that others may write is refused, not tightened: it is not ours to change. */
  @Test
  void aFolderOfAnotherUserOthersCanWriteIsRefused() throws IOException {
    Path dir = tmp.resolve("theirs");
    Path file = dir.resolve("program.bin");
    assertTrue(CacheFiles.write(file, bytes("x")));
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
    chownToNobody(dir);
    assertNull(CacheFiles.read(file));
    assertFalse(CacheFiles.write(dir.resolve("other.bin"), bytes("x")));
    assertFalse(Files.exists(dir.resolve("other.bin")));
    assertEquals("rwxrwxrwx", permissions(dir), "left as it was");
  }

  /**
   * A cache folder reached through a symbolic link (a CI cache mount) is judged by the folder it leads to (Linux
   * reports every link itself as rwxrwxrwx); a file that is a link is still refused.
   */
  @Test
  void aFolderReachedThroughASymbolicLinkIsJudgedByItsTarget() throws IOException {
    Path real = tmp.resolve("real");
    assertTrue(CacheFiles.write(real.resolve("calibration.properties"), bytes("a")));
    Path link = Files.createSymbolicLink(tmp.resolve("link"), real);
    assertArrayEquals(bytes("a"), CacheFiles.read(link.resolve("calibration.properties")));
    assertTrue(CacheFiles.write(link.resolve("program.bin"), bytes("b")));
    assertArrayEquals(bytes("b"), CacheFiles.read(real.resolve("program.bin")));
    assertTrue(CacheFiles.write(link.resolve("nested/deeper/program.bin"), bytes("c")));
    assertArrayEquals(bytes("c"), CacheFiles.read(link.resolve("nested/deeper/program.bin")));

    Path fileLink = Files.createSymbolicLink(real.resolve("linked.bin"), real.resolve("program.bin"));
    assertNull(CacheFiles.read(fileLink), "a file that is a link is not followed");

    chownToNobody(real);
    assertNull(CacheFiles.read(link.resolve("calibration.properties")), "a link to another user's folder");
  }

  private void chownToNobody(Path path) throws IOException {
    try {
      Files.setOwner(path, tmp.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody"));
    } catch (IOException | UnsupportedOperationException e) {
      Assumptions.abort("changing a file's owner needs root: " + e);
    }
  }

  /**
   * The owners Pincette accepts include whoever owns the files it creates: on Windows an elevated administrator's
   * new files belong to BUILTIN\Administrators, not to user.name, and would otherwise all be refused.
   */
  @Test
  void theOwnerOfFilesThisJvmCreatesIsAccepted() throws IOException {
    Path file = Files.createFile(tmp.resolve("mine"));
    assertTrue(CacheFiles.acceptedOwners().contains(Files.getOwner(file)), CacheFiles.acceptedOwners().toString());
    assertNull(CacheFiles.unsafeReason(file));
  }

  @Test
  void aFileOthersCanWriteIsRefusedAndAWriteReplacesIt() throws IOException {
    Path file = tmp.resolve("cache/calibration.properties");
    assertTrue(CacheFiles.write(file, bytes("overhead=1e-6")));
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-rw-rw-"));
    assertNull(CacheFiles.read(file));
    assertTrue(CacheFiles.write(file, bytes("overhead=2e-6")));
    assertEquals("rw-------", permissions(file));
    assertArrayEquals(bytes("overhead=2e-6"), CacheFiles.read(file));
  }

  @Test
  void aFolderOrFileOfAnotherUserIsRefused() throws IOException {
    Path file = tmp.resolve("cache/program.bin");
    assertTrue(CacheFiles.write(file, bytes("x")));
    UserPrincipal other;
    try {
      other = tmp.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName("nobody");
      Files.setOwner(file, other);
    } catch (IOException | UnsupportedOperationException e) {
      Assumptions.abort("changing a file's owner needs root: " + e);
      return;
    }
    assertTrue(CacheFiles.unsafeReason(file).startsWith("it belongs to nobody"), CacheFiles.unsafeReason(file));
    assertNull(CacheFiles.read(file));
  }

  @Test
  void aFailedWriteLeavesNoTemporaryFileBehind() throws IOException {
    Path dir = tmp.resolve("cache");
    assertTrue(CacheFiles.write(dir.resolve("a.bin"), bytes("a")));
    // A folder where the file should go: the final move fails after the temporary file was written.
    Path blocked = dir.resolve("blocked.bin");
    Files.createDirectories(blocked.resolve("inside"));
    assertFalse(CacheFiles.write(blocked, bytes("b")));
    try (var entries = Files.list(dir)) {
      assertEquals(List.of("a.bin", "blocked.bin"), entries.map(p -> p.getFileName().toString()).sorted().toList());
    }
  }

  @Test
  void anEmptyCacheDirPropertyIsNotTheWorkingDirectory() {
    String before = System.getProperty("pincette.cache.dir");
    try {
      for (String empty : new String[] {"", "  "}) {
        System.setProperty("pincette.cache.dir", empty);
        Path root = CacheFiles.root();
        assertNotEquals(Path.of("").toAbsolutePath(), root.toAbsolutePath(), "'" + empty + "'");
        assertEquals("pincette", root.getFileName().toString());
        assertEquals(root, CostModel.defaultCacheDir());
      }
      System.setProperty("pincette.cache.dir", tmp.toString());
      assertEquals(tmp, CacheFiles.root());
    } finally {
      if (before == null) System.clearProperty("pincette.cache.dir");
      else System.setProperty("pincette.cache.dir", before);
    }
  }

  @Test
  void theCacheFolderIsThePlatformsOwn() {
    Map<String, String> none = Map.of();
    Map<String, String> set = Map.of("LOCALAPPDATA", "C:\\Users\\ada\\AppData\\Local", "XDG_CACHE_HOME", "/xdg");
    assertEquals(Path.of("/home/ada", ".cache"), CacheFiles.platformCacheDir("Linux", none::get, "/home/ada"));
    assertEquals(Path.of("/xdg"), CacheFiles.platformCacheDir("Linux", set::get, "/home/ada"));
    assertEquals(Path.of("/Users/ada", "Library", "Caches"),
        CacheFiles.platformCacheDir("Mac OS X", set::get, "/Users/ada"));
    assertEquals(Path.of(set.get("LOCALAPPDATA")),
        CacheFiles.platformCacheDir("Windows 11", set::get, "C:\\Users\\ada"));
    assertEquals(Path.of("C:\\Users\\ada", "AppData", "Local"),
        CacheFiles.platformCacheDir("Windows Server 2022", none::get, "C:\\Users\\ada"));
  }

  /** Values no calibration writes are refused with a log line, not taken: overhead=Infinity switched a backend off. */
  @Test
  void aCalibrationWithImpossibleValuesIsIgnored() throws IOException {
    Path file = tmp.resolve("cache/calibration.properties");
    Curve curve = new Curve(new double[] {1e3, 1e9}, new double[] {1e-6, 1e-1});
    BackendModel good = new BackendModel("dev|drv", 3e-6, Double.POSITIVE_INFINITY, Map.of(CallCost.MATMUL, curve));
    assertTrue(good.save(file));
    assertEquals(Double.POSITIVE_INFINITY, BackendModel.load(file, "dev|drv").bytesPerSecond(),
        "an infinite bandwidth (inputs used in place) is a real value");
    String text = Files.readString(file, StandardCharsets.ISO_8859_1);
    String overhead = text.lines().filter(l -> l.startsWith("overhead=")).findFirst().orElseThrow();
    String bandwidth = text.lines().filter(l -> l.startsWith("bandwidth=")).findFirst().orElseThrow();
    String points = text.lines().filter(l -> l.startsWith("curve.")).findFirst().orElseThrow();
    for (String[] bad : new String[][] {{overhead, "overhead=Infinity"}, {overhead, "overhead=NaN"},
        {overhead, "overhead=-1e-6"}, {bandwidth, "bandwidth=NaN"}, {bandwidth, "bandwidth=0"},
        {bandwidth, "bandwidth=-Infinity"}, {points, "curve.matmul=1000:Infinity,1e9:0.1"},
        {points, "curve.matmul=1000:-1,1e9:0.1"}}) {
      assertTrue(CacheFiles.write(file, text.replace(bad[0], bad[1]).getBytes(StandardCharsets.ISO_8859_1)));
      assertNull(BackendModel.load(file, "dev|drv"), bad[1]);
    }
  }
}
