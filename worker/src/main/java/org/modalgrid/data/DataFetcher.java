package org.modalgrid.data;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.HexFormat;
import java.util.Map;
import org.modalgrid.protocol.RunSpec;

/**
 * Brings the files of a run's dataset to this node, so that workers need no shared disk.
 *
 * <p>A run that reads files carries their SHA-256 ({@link RunSpec#files()}). When the files are
 * where the dataset block says and have those hashes (one machine, or a shared disk), the run is
 * left as it is. Otherwise each file is fetched from the orchestrator by its hash
 * ({@code GET <dataUrl>/api/v1/data/<sha256>}) into a content-addressed cache
 * ({@code <cache>/blobs/<sha256>}), checked, and linked under its name into
 * {@code <cache>/datasets/<hash of the file list>/}; the run's dataset folder is pointed there. A
 * file whose content does not hash to the expected value is never trained on.
 */
public final class DataFetcher {

  private final Path cacheDir;
  private final HttpClient http;

  public DataFetcher(Path cacheDir) {
    this.cacheDir = cacheDir.toAbsolutePath().normalize();
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10))
        .followRedirects(HttpClient.Redirect.NEVER).build();
  }

  /** {@code $XDG_CACHE_HOME/modalgrid}, else {@code ~/.cache/modalgrid}. */
  public static Path defaultCacheDir() {
    String xdg = System.getenv("XDG_CACHE_HOME");
    Path base = xdg != null && !xdg.isBlank() ? Path.of(xdg) : Path.of(System.getProperty("user.home"), ".cache");
    return base.resolve("modalgrid");
  }

  public Path cacheDir() { return cacheDir; }

  /**
   * The run to train: {@code spec} itself when it reads no files or finds them here unchanged,
   * else {@code spec} with its dataset folder pointed at checked copies fetched from
   * {@code dataUrl}.
   *
   * @param dataUrl the orchestrator's HTTP address ({@code http://host:port}); null when there is
   *                none to fetch from (the files must then be here)
   * @throws DataException      a file differs from what was planned, or a name is not a plain relative path
   * @throws DataFetchException a file could not be fetched (worth trying again)
   */
  public RunSpec localize(RunSpec spec, String dataUrl) {
    Map<String, String> files = spec.files();
    if (files.isEmpty()) return spec;
    String source = String.valueOf(spec.dataset().get("source"));
    String key = DataFiles.folderKey(source);
    if (key == null) {
      throw new DataException("run " + spec.runId() + ": dataset source '" + source + "' reads no files, yet the run lists "
          + files.keySet());
    }
    Object folderValue = spec.dataset().get(key);
    Path folder = Path.of(folderValue == null || folderValue.toString().isBlank() ? "." : folderValue.toString());

    String mismatch = localMismatch(folder, files);
    if (mismatch == null) return spec;
    if (dataUrl == null || dataUrl.isBlank()) {
      throw new DataException("dataset." + key + ": " + mismatch + "; the file changed since the experiment was"
          + " submitted. Submit the experiment again to train on the new content");
    }
    Path dir = materialize(files, dataUrl);
    return spec.withDatasetValue(key, dir.toString());
  }

  /** Null when every file is in {@code folder} with its expected hash, else what is wrong. */
  private static String localMismatch(Path folder, Map<String, String> files) {
    for (var e : files.entrySet()) {
      Path f = folder.resolve(e.getKey());
      if (!Files.isRegularFile(f)) return f.toAbsolutePath().normalize() + " is not on this node";
      String actual;
      try {
        actual = FileHashes.sha256(f);
      } catch (UncheckedIOException ex) {
        return ex.getMessage();
      }
      if (!actual.equals(e.getValue())) {
        return f.toAbsolutePath().normalize() + " has sha256 " + actual + ", expected " + e.getValue();
      }
    }
    return null;
  }

  private Path materialize(Map<String, String> files, String dataUrl) {
    String manifestHash = FileHashes.sha256(manifestText(files).getBytes(java.nio.charset.StandardCharsets.UTF_8));
    Path dir = cacheDir.resolve("datasets").resolve(manifestHash);
    for (String name : files.keySet()) checkName(name);
    for (var e : files.entrySet()) {
      String name = e.getKey();
      String sha = e.getValue();
      Path blob = blob(name, sha, dataUrl);
      Path target = dir.resolve(name);
      try {
        if (!Files.isRegularFile(target) || !FileHashes.sha256(target).equals(sha)) {
          Files.createDirectories(target.getParent());
          Path tmp = Files.createTempFile(target.getParent(), ".link-", ".tmp");
          Files.delete(tmp);
          try {
            Files.createLink(tmp, blob);
          } catch (IOException | UnsupportedOperationException linkFailed) {
            Files.copy(blob, tmp);
          }
          Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        }
      } catch (IOException ex) {
        throw new DataFetchException("cannot place dataset file '" + name + "' in " + dir + ": " + ex.getMessage(), ex);
      }
      String actual = FileHashes.sha256(target);
      if (!actual.equals(sha)) {
        throw new DataException("dataset file '" + name + "' in the cache " + target + " has sha256 " + actual
            + ", expected " + sha + "; refusing to train on it");
      }
    }
    return dir;
  }

  /** The checked cached copy of a file, fetched when absent or damaged. */
  private Path blob(String name, String sha, String dataUrl) {
    Path blob = cacheDir.resolve("blobs").resolve(sha);
    if (Files.isRegularFile(blob)) {
      if (FileHashes.sha256(blob).equals(sha)) return blob;
      try {
        Files.deleteIfExists(blob); // damaged in the cache: fetch it again
      } catch (IOException e) {
        throw new DataFetchException("cannot replace the damaged cache file " + blob + ": " + e.getMessage(), e);
      }
    }
    String url = dataUrl.replaceAll("/+$", "") + "/api/v1/data/" + sha;
    try {
      Files.createDirectories(blob.getParent());
      Path tmp = Files.createTempFile(blob.getParent(), sha.substring(0, 12) + "-", ".part");
      try {
        HttpResponse<InputStream> resp = http.send(HttpRequest.newBuilder(URI.create(url))
            .timeout(Duration.ofMinutes(30)).GET().build(), HttpResponse.BodyHandlers.ofInputStream());
        String actual;
        try (InputStream in = resp.body()) {
          if (resp.statusCode() != 200) {
            String body = new String(in.readNBytes(300), java.nio.charset.StandardCharsets.UTF_8);
            throw new DataFetchException("cannot fetch dataset file '" + name + "' (sha256 " + sha + ") from " + url
                + ": HTTP " + resp.statusCode() + (body.isBlank() ? "" : " " + body.strip()), null);
          }
          MessageDigest md = FileHashes.digest();
          try (OutputStream out = new DigestOutputStream(Files.newOutputStream(tmp), md)) {
            in.transferTo(out);
          }
          actual = HexFormat.of().formatHex(md.digest());
        }
        if (!actual.equals(sha)) {
          throw new DataException("dataset file '" + name + "' fetched from " + url + " has sha256 " + actual
              + ", expected " + sha + "; refusing to train on it (the file on the orchestrator changed since the"
              + " experiment was submitted, or it was damaged on the way)");
        }
        try {
          Files.move(tmp, blob, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException raced) {
          // another slot fetched it meanwhile; both copies are checked
        }
        return blob;
      } finally {
        Files.deleteIfExists(tmp);
      }
    } catch (IOException e) {
      throw new DataFetchException("cannot fetch dataset file '" + name + "' (sha256 " + sha + ") from " + url + ": "
          + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()), e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new DataFetchException("interrupted while fetching dataset file '" + name + "' from " + url, e);
    }
  }

  /** A file name must stay inside the dataset folder: relative, no {@code ..}, no empty parts. */
  static void checkName(String name) {
    boolean ok = !name.isBlank() && !name.startsWith("/") && !name.contains("\\");
    if (ok) {
      for (String part : name.split("/", -1)) {
        if (part.isEmpty() || part.equals(".") || part.equals("..")) ok = false;
      }
    }
    if (!ok) throw new DataException("dataset file name '" + name + "' is not a plain relative path inside the dataset folder");
  }

  private static String manifestText(Map<String, String> files) {
    StringBuilder sb = new StringBuilder();
    new java.util.TreeMap<>(files).forEach((n, h) -> sb.append(h).append("  ").append(n).append('\n'));
    return sb.toString();
  }

  /** The cache folder configured by {@code modalgrid.worker.cache-dir} (empty: {@link #defaultCacheDir()}). */
  public static Path configuredCacheDir(com.typesafe.config.Config config) {
    String dir = config.hasPath("modalgrid.worker.cache-dir") ? config.getString("modalgrid.worker.cache-dir") : "";
    return dir.isBlank() ? defaultCacheDir() : Path.of(dir);
  }
}
