package org.modalgrid.results;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Collection;
import java.util.Map;
import org.modalgrid.analysis.Table;
import org.modalgrid.analysis.TableFormats;
import org.modalgrid.grid.ExperimentPlan;
import org.modalgrid.orchestrator.RunRecord;

/**
 * An experiment's results folder: {@code config.conf} (resolved), {@code runs.jsonl} (one line
 * per run) and {@code tables/} (each table as .md, .csv and .json). Lines are appended as runs
 * end; on completion the file is rewritten, atomically, with exactly one line per run.
 */
public final class ResultsFolder {

  private final Path dir;

  private ResultsFolder(Path dir) {
    this.dir = dir;
  }

  public static ResultsFolder create(Path dir, ExperimentPlan plan) {
    try {
      Files.createDirectories(dir.resolve("tables"));
      write(dir.resolve("config.conf"), "# " + plan.experimentId() + " (from " + plan.config().source() + ")\n"
          + plan.config().render());
      Files.deleteIfExists(dir.resolve("runs.jsonl"));
      Files.createFile(dir.resolve("runs.jsonl"));
      return new ResultsFolder(dir);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create the results folder " + dir + ": " + e.getMessage(), e);
    }
  }

  public Path dir() {
    return dir;
  }

  /** Appends one record to {@code runs.jsonl}. */
  public void append(RunRecord r) {
    try {
      Files.writeString(dir.resolve("runs.jsonl"), Json.MAPPER.writeValueAsString(Json.run(r, true)) + "\n",
          StandardCharsets.UTF_8, StandardOpenOption.APPEND, StandardOpenOption.CREATE);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot append to " + dir.resolve("runs.jsonl") + ": " + e.getMessage(), e);
    }
  }

  /** Rewrites {@code runs.jsonl} (one line per run) and every table. */
  public void writeAll(Collection<RunRecord> records, Map<String, Table> tables) {
    try {
      StringBuilder sb = new StringBuilder();
      for (RunRecord r : records) sb.append(Json.MAPPER.writeValueAsString(Json.run(r, true))).append('\n');
      write(dir.resolve("runs.jsonl"), sb.toString());
      for (Table t : tables.values()) {
        for (String f : TableFormats.FORMATS) {
          write(dir.resolve("tables").resolve(t.name() + "." + f), TableFormats.render(t, f));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write results to " + dir + ": " + e.getMessage(), e);
    }
  }

  /** Writes through a temporary file and an atomic move, so a reader never sees half a file. */
  static void write(Path target, String text) throws IOException {
    Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
    Files.writeString(tmp, text, StandardCharsets.UTF_8);
    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
