package org.modalgrid.store;

import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.modalgrid.grid.ExperimentPlan;
import org.modalgrid.orchestrator.RunRecord;

/**
 * Where experiments, runs, attempts, per-epoch histories and results are kept, durably: an
 * embedded SQLite file by default, or a PostgreSQL database. Plain Java over JDBC, no actors. Every
 * write is one transaction, committed before the method returns; a failure throws a
 * {@link StoreException} and leaves what was committed before intact.
 *
 * <p>A store opened for writing has one writer: the orchestrator that opened it. A second one is
 * refused (an OS file lock beside an SQLite file, an advisory lock on PostgreSQL).
 */
public interface ResultStore extends AutoCloseable {

  /** The embedded store used when none is named. */
  String DEFAULT_LOCATION = "runs/modalgrid.db";

  /**
   * Opens (creating or migrating as needed) the store at {@code location} for writing: a file path
   * or {@code jdbc:sqlite:PATH} for SQLite, {@code jdbc:postgresql://...} for PostgreSQL.
   */
  static ResultStore open(String location) {
    return JdbcResultStore.open(location, true);
  }

  /** Opens a store to read it only: no lock is taken, nothing is migrated or written. */
  static ResultStore openForReading(String location) {
    return JdbcResultStore.open(location, false);
  }

  /** Where the store is, for people and for {@code experiment.json}: never with a password. */
  String location();

  /**
   * Saves an experiment, its runs and their membership (runs it shares with other experiments
   * are kept once), and the given records' states, in one transaction.
   */
  void saveExperiment(StoredExperiment experiment, ExperimentPlan plan, Collection<RunRecord> records);

  /** Saves a run's state, attempts and result (or its absence), and the given epochs, in one transaction. */
  void saveRun(RunRecord record, List<EpochRow> epochs);

  /** Saves epochs (a batch), in one transaction. */
  void saveEpochs(List<EpochRow> epochs);

  /** Every experiment, oldest first. */
  List<StoredExperiment> experiments();

  Optional<StoredExperiment> experiment(String id);

  /**
   * The stored records of the runs of {@code plan} that the store knows (whichever experiment they
   * were saved with), stamped with the plan's experiment id and cells; unknown runs are absent.
   */
  Map<String, RunRecord> runs(ExperimentPlan plan);

  @Override
  void close();
}
