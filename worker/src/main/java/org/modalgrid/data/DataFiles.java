package org.modalgrid.data;

import com.typesafe.config.Config;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The files a dataset block reads, so that they can be shipped to worker nodes without a shared
 * disk. File-based sources name a folder ({@code dataset.path} for mfeat, {@code dataset.dir} for
 * multiview-files) and files in it; generated sources read no files.
 */
public final class DataFiles {

  private DataFiles() {}

  /** The key of the dataset block that names the folder, or null when the source reads no files. */
  public static String folderKey(String source) {
    return switch (source == null ? "" : source.trim()) {
      case MfeatSource.NAME -> "path";
      case MultiviewFilesSource.NAME -> "dir";
      default -> null;
    };
  }

  /** The folder of a file-based dataset block, as written (relative paths are taken from the working directory). */
  public static Path folder(Config dataset) {
    String key = folderKey(dataset.getString("source"));
    if (key == null) return null;
    String dir = dataset.getString(key);
    return Path.of(dir.isBlank() ? "." : dir);
  }

  /**
   * The files the dataset reads, by name relative to its folder (with '/' separators), in name
   * order; empty for generated data. The files must exist (the dataset was loaded once).
   */
  public static Map<String, Path> locate(Config dataset) {
    Map<String, Path> out = new TreeMap<>();
    switch (DatasetSources.source(dataset).name()) {
      case MfeatSource.NAME -> {
        MfeatSource.Params p = MfeatSource.Params.from(dataset);
        for (MfeatSource.View v : p.views()) {
          Path f = MfeatSource.locate(p.path(), v);
          out.put(f.getFileName().toString(), f);
        }
      }
      case MultiviewFilesSource.NAME -> {
        MultiviewFilesSource.Params p = MultiviewFilesSource.Params.from(dataset);
        for (MultiviewFilesSource.Modality m : p.modalities()) out.put(name(m.file()), p.dir().resolve(m.file()));
        out.put(name(p.labels()), p.dir().resolve(p.labels()));
        if (!p.split().isEmpty()) out.put(name(p.split()), p.dir().resolve(p.split()));
      }
      default -> { }
    }
    return out;
  }

  /** Name → SHA-256 of every file the dataset reads (empty for generated data). */
  public static Map<String, String> manifest(Config dataset) {
    Map<String, String> out = new LinkedHashMap<>();
    locate(dataset).forEach((name, file) -> out.put(name, FileHashes.sha256(file)));
    return out;
  }

  private static String name(String file) {
    return Path.of(file).normalize().toString().replace('\\', '/');
  }
}
