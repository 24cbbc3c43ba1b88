package org.modalgrid.store;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.HashSet;
import java.util.Set;

/**
 * The single-writer guard of an embedded store: an exclusive OS lock on a sibling file
 * ({@code modalgrid.db.lock}) that names its holder. The OS releases it when the process ends,
 * however it ends, so a killed orchestrator never leaves a stale lock. The file itself is left in
 * place (deleting it would let two processes lock two different files).
 */
final class StoreLock implements AutoCloseable {

  /** Locks held by this JVM: a second lock on the same file here must not close the first one's channel. */
  private static final Set<Path> HELD = new HashSet<>();

  private final Path path;
  private final FileChannel channel;
  private final FileLock lock;

  private StoreLock(Path path, FileChannel channel, FileLock lock) {
    this.path = path;
    this.channel = channel;
    this.lock = lock;
  }

  /** Takes the lock or refuses, naming the holder. */
  static StoreLock acquire(Path store) {
    Path path = store.resolveSibling(store.getFileName() + ".lock").toAbsolutePath().normalize();
    synchronized (HELD) {
      if (HELD.contains(path)) {
        throw refused(store, "this same process (pid " + ProcessHandle.current().pid() + ")");
      }
      FileChannel ch;
      try {
        ch = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
      } catch (IOException e) {
        throw new StoreException("cannot open the lock file " + path + " of store " + store + ": " + e.getMessage(), e);
      }
      FileLock lock;
      try {
        lock = ch.tryLock();
      } catch (IOException | OverlappingFileLockException e) {
        lock = null;
      }
      if (lock == null) {
        String holder = readHolder(ch);
        closeQuietly(ch);
        throw refused(store, holder.isBlank() ? "another process" : holder);
      }
      try {
        byte[] me = (describeMe() + "\n").getBytes(StandardCharsets.UTF_8);
        ch.truncate(0);
        ch.write(ByteBuffer.wrap(me), 0);
        ch.force(false);
      } catch (IOException e) {
        // the lock holds; only the holder's description is missing
      }
      HELD.add(path);
      return new StoreLock(path, ch, lock);
    }
  }

  private static StoreException refused(Path store, String holder) {
    return new StoreException("the store " + store + " is in use by " + holder + ". A store has one writer: "
        + "stop that orchestrator first, or choose another store with --store");
  }

  private static String readHolder(FileChannel ch) {
    try {
      ByteBuffer buf = ByteBuffer.allocate(512);
      int n = ch.read(buf, 0);
      return n <= 0 ? "" : new String(buf.array(), 0, n, StandardCharsets.UTF_8).strip();
    } catch (IOException e) {
      return "";
    }
  }

  private static String describeMe() {
    String host;
    try {
      host = InetAddress.getLocalHost().getHostName();
    } catch (IOException e) {
      host = "this host";
    }
    String cmd = ProcessHandle.current().info().command().map(c -> Path.of(c).getFileName().toString()).orElse("java");
    return "modalgrid (pid " + ProcessHandle.current().pid() + " on " + host + ", " + cmd + ", since "
        + Instant.ofEpochMilli(ManagementFactory.getRuntimeMXBean().getStartTime()) + ")";
  }

  private static void closeQuietly(FileChannel ch) {
    try {
      ch.close();
    } catch (IOException ignored) {
      // nothing to release
    }
  }

  Path path() {
    return path;
  }

  @Override
  public void close() {
    synchronized (HELD) {
      try {
        if (lock.isValid()) lock.release();
      } catch (IOException ignored) {
        // closing the channel releases it too
      }
      closeQuietly(channel);
      HELD.remove(path);
    }
  }
}
