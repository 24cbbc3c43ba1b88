package org.modalgrid.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.modalgrid.grid.ExperimentPlan;
import org.modalgrid.orchestrator.RunRecord;
import org.modalgrid.orchestrator.RunState;
import org.modalgrid.results.ResultsFolder;
import org.modalgrid.store.ResultStore;
import org.modalgrid.store.StoreException;
import org.modalgrid.store.StoredExperiment;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code modalgrid export ID --out DIR}: regenerate a results folder from the store, read directly. */
@Command(name = "export", mixinStandardHelpOptions = true,
    description = {"Write an experiment's results folder (config.conf, experiment.json, runs.jsonl, tables/) from the",
        "result store, read directly (a running orchestrator on the same store is fine). Exits 2 on a store problem."})
final class ExportCommand implements Callable<Integer> {

  @Parameters(index = "0", paramLabel = "ID", description = "Experiment id")
  String id;

  @Option(names = "--out", paramLabel = "DIR", required = true, description = "Folder to write")
  Path out;

  @Option(names = "--store", paramLabel = "PATH|JDBC-URL",
      description = "Result store (default: modalgrid.store.url, else " + ResultStore.DEFAULT_LOCATION + ")")
  String store;

  @Override
  public Integer call() {
    String location = StoreOption.location(store, Path.of(ResultStore.DEFAULT_LOCATION));
    try (ResultStore s = ResultStore.openForReading(location)) {
      StoredExperiment e = s.experiment(id).orElse(null);
      if (e == null) {
        List<String> ids = s.experiments().stream().map(StoredExperiment::id).toList();
        System.err.println("modalgrid: the store " + s.location() + " has no experiment '" + id + "'"
            + (ids.isEmpty() ? "; it is empty" : "; it has " + String.join(", ", ids)));
        return 2;
      }
      ExperimentPlan plan = e.plan();
      List<RunRecord> records = List.copyOf(s.runs(plan).values());
      ResultsFolder.export(out, plan, records, s.location(), e.extendsId());
      long ok = records.stream().filter(r -> r.state() == RunState.SUCCEEDED).count();
      System.out.println("exported " + id + " (" + ok + " of " + records.size() + " runs succeeded) to "
          + out.toAbsolutePath().normalize());
      return 0;
    } catch (StoreException | java.io.UncheckedIOException ex) {
      System.err.println("modalgrid: " + ex.getMessage());
      return 2;
    }
  }
}
