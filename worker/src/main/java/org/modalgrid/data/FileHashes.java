package org.modalgrid.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * SHA-256 of files, remembered per (path, inode, size, modification time) so that a file read by
 * every run of an experiment is hashed once while it stays unchanged.
 */
public final class FileHashes {

  private record Stamp(Object fileKey, long size, long modifiedNanos) {}

  private record Known(Stamp stamp, String sha256) {}

  private static final Map<Path, Known> KNOWN = new ConcurrentHashMap<>();

  private FileHashes() {}

  /** Lower-case hex SHA-256 of the file's content. */
  public static String sha256(Path file) {
    Path abs = file.toAbsolutePath().normalize();
    try {
      Stamp before = stamp(abs);
      Known k = KNOWN.get(abs);
      if (k != null && k.stamp().equals(before)) return k.sha256();
      String hash;
      try (InputStream in = Files.newInputStream(abs)) {
        hash = sha256(in);
      }
      if (stamp(abs).equals(before)) KNOWN.put(abs, new Known(before, hash));
      return hash;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + abs + ": " + e.getMessage(), e);
    }
  }

  /** Lower-case hex SHA-256 of everything the stream holds (read to its end, not closed). */
  public static String sha256(InputStream in) throws IOException {
    MessageDigest md = digest();
    byte[] buf = new byte[1 << 16];
    for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
    return HexFormat.of().formatHex(md.digest());
  }

  public static String sha256(byte[] bytes) {
    return HexFormat.of().formatHex(digest().digest(bytes));
  }

  /** True for 64 lower-case hex digits. */
  public static boolean isSha256(String s) {
    return s != null && s.matches("[0-9a-f]{64}");
  }

  static MessageDigest digest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static Stamp stamp(Path p) throws IOException {
    BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class);
    return new Stamp(a.fileKey(), a.size(), a.lastModifiedTime().to(java.util.concurrent.TimeUnit.NANOSECONDS));
  }
}
