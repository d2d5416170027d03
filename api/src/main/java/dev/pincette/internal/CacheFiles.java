package dev.pincette.internal;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;

/**
 * The user's cache folder, and the one way Pincette reads and writes files in it. A cached program binary is handed
 * to the OpenCL driver, which runs it, and a calibration decides where calls run: a file someone else could write (a
 * shared CI cache, a folder under {@code /tmp}) must feed neither. So folders are created readable by their owner
 * only, and a folder or file is refused, with a warning logged once, when another user owns it or when its group or
 * others may write it ({@code chmod go-w} makes it usable again). Writes go to a temporary file in the same folder,
 * moved into place at once, and deleted when anything fails.
 *
 * <p>On file systems without POSIX permissions (Windows) folders are created with the default access of their parent
 * (the user's profile, private to the user, for the default location), and only the owner of folders and files is
 * checked: Pincette does not read ACLs, so a cache folder there must not be one that other users may write.
 */
public final class CacheFiles {
  private static final System.Logger LOG = System.getLogger("dev.pincette");
  private static final Set<PosixFilePermission> OTHERS_WRITE = Set.of(PosixFilePermission.GROUP_WRITE,
      PosixFilePermission.OTHERS_WRITE);
  /** Paths whose refusal was logged already: once each, not at every call. */
  private static final Set<Path> REPORTED = ConcurrentHashMap.newKeySet();

  private CacheFiles() {}

  /**
   * The cache folder: {@code pincette.cache.dir} unless blank (an empty value once meant the working directory),
   * else {@code pincette} in the platform's cache folder ({@link #platformCacheDir}).
   */
  public static Path root() {
    String dir = System.getProperty("pincette.cache.dir");
    if (dir != null && !dir.isBlank()) return Path.of(dir.strip());
    return platformCacheDir(System.getProperty("os.name", ""), System::getenv, System.getProperty("user.home"))
        .resolve("pincette");
  }

  /**
   * The user's cache folder on {@code osName}: {@code %LOCALAPPDATA%} on Windows, {@code ~/Library/Caches} on macOS,
   * else {@code $XDG_CACHE_HOME} or {@code ~/.cache}.
   */
  static Path platformCacheDir(String osName, UnaryOperator<String> env, String home) {
    String os = osName.toLowerCase(Locale.ROOT);
    if (os.startsWith("windows")) {
      String local = env.apply("LOCALAPPDATA");
      return local != null && !local.isBlank() ? Path.of(local) : Path.of(home, "AppData", "Local");
    }
    if (os.startsWith("mac")) return Path.of(home, "Library", "Caches");
    String xdg = env.apply("XDG_CACHE_HOME");
    return xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(home, ".cache");
  }

  /**
   * The contents of {@code file}, or null when it is missing, cannot be read, or is refused (logged): another user
   * owns it or its folder, or their group or others may write either.
   */
  public static byte[] read(Path file) {
    if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) return null;
    if (!trusted(file.toAbsolutePath().getParent()) || !trusted(file)) return null;
    try {
      return Files.readAllBytes(file);
    } catch (IOException | RuntimeException e) {
      LOG.log(Level.DEBUG, "pincette: could not read " + file + ": " + e);
      return null;
    }
  }

  /**
   * Writes {@code content} to {@code file} through a temporary file in the same folder, moved into place in one step,
   * so that readers see the old file or the new one; the folder is created owner-only when missing. Returns false,
   * having left no temporary file behind, when the folder is refused (logged) or the write fails (logged at debug).
   */
  public static boolean write(Path file, byte[] content) {
    Path dir = file.toAbsolutePath().getParent();
    Path tmp = null;
    try {
      createDirectories(dir);
      if (!trusted(dir)) return false;
      tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp", ownerOnly(dir, false));
      Files.write(tmp, content);
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      tmp = null;
      return true;
    } catch (IOException | RuntimeException e) {
      LOG.log(Level.DEBUG, "pincette: could not write " + file + ": " + e);
      return false;
    } finally {
      if (tmp != null) {
        try {
          Files.deleteIfExists(tmp);
        } catch (IOException | RuntimeException e) {
          LOG.log(Level.DEBUG, "pincette: could not delete " + tmp + ": " + e);
        }
      }
    }
  }

  /** Creates {@code dir} and its missing parents, each readable by the owner only where permissions exist. */
  private static void createDirectories(Path dir) throws IOException {
    if (Files.isDirectory(dir)) return;
    Files.createDirectories(dir, ownerOnly(dir, true));
  }

  private static FileAttribute<?>[] ownerOnly(Path near, boolean directory) throws IOException {
    Path existing = near;
    while (existing != null && !Files.exists(existing)) existing = existing.getParent();
    boolean posix = existing != null
        && Files.getFileStore(existing).supportsFileAttributeView(java.nio.file.attribute.PosixFileAttributeView.class);
    if (!posix) return new FileAttribute<?>[0];
    return new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString(
        directory ? "rwx------" : "rw-------"))};
  }

  /**
   * Why {@code path} must not be trusted, or null when it may be: another user owns it, or (with POSIX permissions)
   * its group or others may write it.
   */
  static String unsafeReason(Path path) throws IOException {
    UserPrincipal owner = Files.getOwner(path, LinkOption.NOFOLLOW_LINKS);
    UserPrincipal me = currentUser(path);
    if (me != null && !me.equals(owner)) return "it belongs to " + owner.getName() + ", not to " + me.getName();
    if (Files.getFileStore(path).supportsFileAttributeView(java.nio.file.attribute.PosixFileAttributeView.class)) {
      Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS);
      for (PosixFilePermission p : OTHERS_WRITE) {
        if (permissions.contains(p)) {
          return "its group or other users may write it (" + PosixFilePermissions.toString(permissions) + ")";
        }
      }
    }
    return null;
  }

  /** The user this JVM runs as, or null when the file system cannot say. */
  private static UserPrincipal currentUser(Path near) {
    try {
      return near.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(
          System.getProperty("user.name"));
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  private static boolean trusted(Path path) {
    String why;
    try {
      why = unsafeReason(path);
    } catch (NoSuchFileException e) {
      return false;
    } catch (FileSystemException e) {
      why = "its owner and permissions cannot be read: " + e.getMessage();
    } catch (IOException | RuntimeException e) {
      why = "its owner and permissions cannot be read: " + e;
    }
    if (why == null) return true;
    if (REPORTED.add(path)) {
      LOG.log(Level.WARNING, "pincette: not using the cache " + (Files.isDirectory(path) ? "folder " : "file ") + path
          + ": " + why + "; a file others can write could feed the OpenCL driver a program of theirs (make it yours"
          + " and chmod go-w, or set pincette.cache.dir to a folder of your own)");
    }
    return false;
  }
}
