package org.modalgrid.results;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.modalgrid.analysis.Observation;
import org.modalgrid.analysis.Table;
import org.modalgrid.analysis.TableFormats;
import org.modalgrid.analysis.Tables;
import org.modalgrid.grid.ExperimentPlan;
import org.modalgrid.orchestrator.RunRecord;
import org.modalgrid.orchestrator.RunState;

/**
 * An experiment's results folder: {@code config.conf} (resolved), {@code experiment.json} (its id
 * and the store that holds it, for {@code --resume} and {@code --extend}), {@code runs.jsonl} (one
 * line per run) and {@code tables/} (each table as .md, .csv and .json). Lines are appended as runs
 * end; on completion the file is rewritten, atomically, with exactly one line per run. Everything
 * here can be regenerated from the store ({@code ./modalgrid export}).
 */
public final class ResultsFolder {

  private final Path dir;

  private ResultsFolder(Path dir) {
    this.dir = dir;
  }

  /** The file that names a folder's experiment and store. */
  public static final String EXPERIMENT_FILE = "experiment.json";

  public static ResultsFolder create(Path dir, ExperimentPlan plan) {
    return create(dir, plan, null, null);
  }

  /**
   * Creates (or takes over) the folder of {@code plan}, with no run lines yet.
   *
   * @param storeLocation the store that holds the experiment, or null for none
   * @param extendsId     the experiment it extends, or null
   */
  public static ResultsFolder create(Path dir, ExperimentPlan plan, String storeLocation, String extendsId) {
    try {
      Files.createDirectories(dir.resolve("tables"));
      write(dir.resolve("config.conf"), "# " + plan.experimentId() + " (from " + plan.config().source() + ")\n"
          + plan.config().render());
      ObjectNode about = Json.MAPPER.createObjectNode();
      about.put("experiment", plan.experimentId());
      about.put("name", plan.config().name());
      if (storeLocation == null) about.putNull("store"); else about.put("store", storeLocation);
      if (extendsId == null) about.putNull("extends"); else about.put("extends", extendsId);
      about.put("runs", plan.runs().size());
      write(dir.resolve(EXPERIMENT_FILE), Json.MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(about) + "\n");
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

  /** Rewrites {@code runs.jsonl} with one line per record given. */
  public void writeRuns(Collection<RunRecord> records) {
    try {
      StringBuilder sb = new StringBuilder();
      for (RunRecord r : records) sb.append(Json.MAPPER.writeValueAsString(Json.run(r, true))).append('\n');
      write(dir.resolve("runs.jsonl"), sb.toString());
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + dir.resolve("runs.jsonl") + ": " + e.getMessage(), e);
    }
  }

  /** Rewrites {@code runs.jsonl} (one line per run) and every table. */
  public void writeAll(Collection<RunRecord> records, Map<String, Table> tables) {
    writeRuns(records);
    try {
      for (Table t : tables.values()) {
        for (String f : TableFormats.FORMATS) {
          write(dir.resolve("tables").resolve(t.name() + "." + f), TableFormats.render(t, f));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write results to " + dir + ": " + e.getMessage(), e);
    }
  }

  /**
   * Writes the whole folder of an experiment from its records (every run of the plan, in plan
   * order): what {@code ./modalgrid export} does with the store's records.
   */
  public static ResultsFolder export(Path dir, ExperimentPlan plan, Collection<RunRecord> records, String storeLocation,
      String extendsId) {
    ResultsFolder f = create(dir, plan, storeLocation, extendsId);
    f.writeAll(records, tables(plan, records));
    return f;
  }

  /** The result tables of an experiment from its records (succeeded runs count). */
  public static Map<String, Table> tables(ExperimentPlan plan, Collection<RunRecord> records) {
    List<Observation> obs = new ArrayList<>();
    for (RunRecord r : records) {
      if (r.state() == RunState.SUCCEEDED && r.result() != null) obs.add(new Observation(r.cell(), r.result().allValues()));
    }
    return Tables.all(new Tables.Shape(plan.task(), plan.subsets(), plan.config().grid().axes(),
        plan.config().grid().fractions()), obs);
  }

  /** Reads a folder's {@code experiment.json}: the experiment id and its store. */
  public static About about(Path dir) {
    Path f = dir.resolve(EXPERIMENT_FILE);
    if (!Files.isRegularFile(f)) {
      throw new IllegalArgumentException(dir + " is not a results folder of a stored experiment: it has no "
          + EXPERIMENT_FILE);
    }
    try {
      JsonNode j = Json.MAPPER.readTree(Files.readString(f));
      String id = j.path("experiment").asText("");
      if (id.isEmpty()) throw new IllegalArgumentException(f + ": no 'experiment' field");
      return new About(id, j.path("store").isTextual() ? j.path("store").asText() : null);
    } catch (IOException e) {
      throw new IllegalArgumentException("cannot read " + f + ": " + e.getMessage(), e);
    }
  }

  /** What {@code experiment.json} says. @param store null when the experiment was not stored */
  public record About(String experimentId, String store) {}

  /** Writes through a temporary file and an atomic move, so a reader never sees half a file. */
  static void write(Path target, String text) throws IOException {
    Path tmp = target.resolveSibling(target.getFileName() + ".tmp");
    Files.writeString(tmp, text, StandardCharsets.UTF_8);
    Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
  }
}
