package dev.pincette.internal;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.nio.file.attribute.UserPrincipal;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.UnaryOperator;

/**
 * The user's cache folder, and the one way Pincette reads and writes files in it. A cached program binary is handed
 * to the OpenCL driver, which runs it, and a calibration decides where calls run: a file someone else could write (a
 * shared CI cache, a folder under {@code /tmp}) must feed neither. So folders are created readable by their owner
 * only; a folder or file another user owns is refused, with a warning logged once; a file whose group or others may
 * write it is refused too, while such a folder of the user's own is tightened ({@code chmod go-w}, logged once) and
 * used, since each file in it is checked. A folder is judged by what a symbolic link to it leads to; a file that is a
 * link is refused. Writes go to a temporary file in the same folder, moved into place at once, and deleted when
 * anything fails.
 *
 * <p>"Another user" is anyone but {@code user.name} and the owner of the files this JVM creates (see
 * {@link #acceptedOwners}). On file systems without POSIX permissions (Windows) folders are created with the default
 * access of their parent (the user's profile, private to the user, for the default location), and only the owner of
 * folders and files is checked: Pincette does not read ACLs, so a cache folder there must not be one that other
 * users may write. An elevated administrator's files belong to {@code BUILTIN\Administrators}: a cache written
 * elevated is refused by the same user's unelevated runs, which then need a {@code pincette.cache.dir} of their own.
 */
public final class CacheFiles {
  private static final System.Logger LOG = System.getLogger("dev.pincette");
  private static final Set<PosixFilePermission> OTHERS_WRITE = Set.of(PosixFilePermission.GROUP_WRITE,
      PosixFilePermission.OTHERS_WRITE);
  /** Paths whose refusal was logged already: once each, not at every call. */
  private static final Set<Path> REPORTED = ConcurrentHashMap.newKeySet();
  /** Folders whose tightening was logged already. */
  private static final Set<Path> TIGHTENED = ConcurrentHashMap.newKeySet();

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
   * owns it or its folder, or its group or others may write it (a folder of the user's own is tightened instead).
   */
  public static byte[] read(Path file) {
    if (!Files.isRegularFile(file, LinkOption.NOFOLLOW_LINKS)) return null;
    Path dir = realFolder(file);
    if (dir == null || !trustedFolder(dir)) return null;
    Path real = dir.resolve(file.getFileName());
    if (!trusted(real)) return null;
    try {
      return Files.readAllBytes(real);
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
      dir = dir.toRealPath();
      if (!trustedFolder(dir)) return false;
      tmp = Files.createTempFile(dir, file.getFileName().toString(), ".tmp", ownerOnly(dir, false));
      Files.write(tmp, content);
      Files.move(tmp, dir.resolve(file.getFileName()), StandardCopyOption.REPLACE_EXISTING,
          StandardCopyOption.ATOMIC_MOVE);
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

  /** One lock per lock file and JVM: a file lock belongs to the whole JVM, so its threads queue here first. */
  private static final Map<Path, ReentrantLock> LOCKS = new ConcurrentHashMap<>();

  /**
   * Runs {@code work} holding an exclusive lock on {@code lockFile} (an empty file created owner-only in a trusted
   * cache folder, and left there), so that threads and JVMs sharing the cache do the same work one at a time: the
   * later ones find its result (e.g. a calibration file) once they get the lock. Runs it anyway, unlocked, after
   * {@code maxWaitMillis} without the lock, when interrupted while waiting (the interrupt stays set), or where the
   * folder or the lock file is refused or cannot be locked. A thread that holds the lock already runs {@code work} at
   * once.
   *
   * @return whether {@code work} ran holding the lock
   */
  public static boolean exclusive(Path lockFile, long maxWaitMillis, Runnable work) {
    long deadline = System.nanoTime() + maxWaitMillis * 1_000_000L;
    Path real = lockPath(lockFile);
    if (real == null) {
      work.run();
      return false;
    }
    ReentrantLock local = LOCKS.computeIfAbsent(real, p -> new ReentrantLock());
    if (local.isHeldByCurrentThread()) {
      work.run();
      return true;
    }
    boolean locally = false;
    try {
      locally = local.tryLock(maxWaitMillis, TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (!locally) {
      LOG.log(Level.DEBUG, "pincette: working without the lock " + real + " (another thread holds it)");
      work.run();
      return false;
    }
    FileChannel channel = null;
    try {
      channel = lockChannel(real);
      FileLock lock = channel == null ? null : fileLock(channel, deadline);
      if (lock == null) LOG.log(Level.DEBUG, "pincette: working without the lock " + real);
      work.run();
      return lock != null;
    } finally {
      try {
        if (channel != null) channel.close();   // releases the file lock too
      } catch (IOException e) {
        LOG.log(Level.DEBUG, "pincette: could not close " + real + ": " + e);
      }
      local.unlock();
    }
  }

  /** The lock file's path in its folder, links resolved (created owner-only), or null when the folder is refused. */
  private static Path lockPath(Path lockFile) {
    try {
      Path dir = lockFile.toAbsolutePath().getParent();
      createDirectories(dir);
      dir = dir.toRealPath();
      return trustedFolder(dir) ? dir.resolve(lockFile.getFileName()) : null;
    } catch (IOException | RuntimeException e) {
      LOG.log(Level.DEBUG, "pincette: could not resolve the folder of the lock " + lockFile + ": " + e);
      return null;
    }
  }

  /**
   * The lock file opened for writing (created owner-only; never through a link), or null when an existing one is
   * refused ({@link #trusted}) or it cannot be opened.
   */
  private static FileChannel lockChannel(Path file) {
    try {
      if (Files.exists(file, LinkOption.NOFOLLOW_LINKS) && !trusted(file)) return null;
      return FileChannel.open(file, Set.of(StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          LinkOption.NOFOLLOW_LINKS), ownerOnly(file.getParent(), false));
    } catch (IOException | RuntimeException e) {
      LOG.log(Level.DEBUG, "pincette: could not open the lock " + file + ": " + e);
      return null;
    }
  }

  /** An exclusive lock on {@code channel}'s file, polled until {@code deadline}; null when there is none by then. */
  private static FileLock fileLock(FileChannel channel, long deadline) {
    while (true) {
      try {
        FileLock lock = channel.tryLock();
        if (lock != null) return lock;
      } catch (IOException | OverlappingFileLockException e) {
        return null;
      }
      if (System.nanoTime() > deadline) return null;
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return null;
      }
    }
  }

  /**
   * The folder holding {@code file}, links resolved, or null when it cannot be resolved. Folders are judged by what a
   * link leads to (Linux reports every link itself as {@code rwxrwxrwx}, and a CI cache is often mounted through
   * one); the file itself is never followed.
   */
  private static Path realFolder(Path file) {
    try {
      return file.toAbsolutePath().getParent().toRealPath();
    } catch (IOException | RuntimeException e) {
      LOG.log(Level.DEBUG, "pincette: could not resolve the folder of " + file + ": " + e);
      return null;
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
    Set<UserPrincipal> accepted = acceptedOwners();
    if (!accepted.isEmpty() && !accepted.contains(owner)) {
      return "it belongs to " + owner.getName() + ", not to " + System.getProperty("user.name");
    }
    if (posix(path)) {
      Set<PosixFilePermission> permissions = Files.getPosixFilePermissions(path, LinkOption.NOFOLLOW_LINKS);
      for (PosixFilePermission p : OTHERS_WRITE) {
        if (permissions.contains(p)) {
          return "its group or other users may write it (" + PosixFilePermissions.toString(permissions) + ")";
        }
      }
    }
    return null;
  }

  /** Owners accepted, found once: see {@link #acceptedOwners}. */
  private static volatile Set<UserPrincipal> acceptedOwners;

  /**
   * The owners whose folders and files are trusted: the user this JVM runs as ({@code user.name}), and whoever owns
   * the files it creates (found from a temporary file). They differ on Windows for an administrator running elevated,
   * whose new files belong to {@code BUILTIN\Administrators}; checked against {@code user.name} alone, every file
   * Pincette wrote there was refused. Empty when the file system can say neither (then owners are not checked).
   */
  static Set<UserPrincipal> acceptedOwners() {
    Set<UserPrincipal> owners = acceptedOwners;
    if (owners != null) return owners;
    Set<UserPrincipal> found = new java.util.HashSet<>();
    try {
      found.add(FileSystems.getDefault().getUserPrincipalLookupService().lookupPrincipalByName(
          System.getProperty("user.name")));
    } catch (IOException | RuntimeException e) {
      LOG.log(Level.DEBUG, "pincette: no principal for user.name: " + e);
    }
    Path probe = null;
    try {
      probe = Files.createTempFile("pincette-owner", ".tmp");
      found.add(Files.getOwner(probe));
    } catch (IOException | RuntimeException e) {
      LOG.log(Level.DEBUG, "pincette: could not find the owner of new files: " + e);
    } finally {
      if (probe != null) {
        try {
          Files.deleteIfExists(probe);
        } catch (IOException | RuntimeException e) {
          LOG.log(Level.DEBUG, "pincette: could not delete " + probe + ": " + e);
        }
      }
    }
    return acceptedOwners = Set.copyOf(found);
  }

  private static boolean posix(Path path) throws IOException {
    return Files.getFileStore(path).supportsFileAttributeView(java.nio.file.attribute.PosixFileAttributeView.class);
  }

  /**
   * Removes write access for group and others from {@code dir} when it belongs to an accepted owner: folders made
   * under {@code umask 002} (user-private groups on Debian and Ubuntu) or by earlier versions of Pincette were refused
   * outright, losing every binary and calibration in them. Safe because each file's own owner and permissions are
   * still checked: a file someone else put there while they could is refused. Logged once per folder.
   */
  private static void tightenIfOurs(Path dir) {
    try {
      if (!posix(dir)) return;
      Set<UserPrincipal> accepted = acceptedOwners();
      if (accepted.isEmpty() || !accepted.contains(Files.getOwner(dir, LinkOption.NOFOLLOW_LINKS))) return;
      Set<PosixFilePermission> before = Files.getPosixFilePermissions(dir, LinkOption.NOFOLLOW_LINKS);
      Set<PosixFilePermission> after = java.util.EnumSet.noneOf(PosixFilePermission.class);
      after.addAll(before);
      if (!after.removeAll(OTHERS_WRITE)) return;
      Files.setPosixFilePermissions(dir, after);
      if (TIGHTENED.add(dir)) {
        LOG.log(Level.INFO, "pincette: the cache folder " + dir + " was writable by its group or others ("
            + PosixFilePermissions.toString(before) + "); made it " + PosixFilePermissions.toString(after)
            + " (chmod go-w). Files in it that another user owns or may write are still refused");
      }
    } catch (IOException | RuntimeException e) {
      LOG.log(Level.DEBUG, "pincette: could not tighten " + dir + ": " + e);
    }
  }

  /** Whether the folder {@code dir} (links resolved) may be used, once tightened if it is ours. */
  private static boolean trustedFolder(Path dir) {
    tightenIfOurs(dir);
    return trusted(dir);
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
