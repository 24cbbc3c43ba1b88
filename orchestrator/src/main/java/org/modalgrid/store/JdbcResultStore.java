package org.modalgrid.store;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeSet;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.FlywayException;
import org.flywaydb.core.api.MigrationInfo;
import org.flywaydb.core.api.MigrationState;
import org.modalgrid.data.Task;
import org.modalgrid.grid.ExperimentPlan;
import org.modalgrid.model.EpochStat;
import org.modalgrid.orchestrator.Attempt;
import org.modalgrid.orchestrator.RunRecord;
import org.modalgrid.orchestrator.RunState;
import org.modalgrid.protocol.Cell;
import org.modalgrid.protocol.RunResult;
import org.modalgrid.protocol.RunSpec;
import org.modalgrid.results.Json;

/**
 * The {@link ResultStore} over JDBC: SQLite (a file) or PostgreSQL, behind the same SQL. Opening
 * checks, in this order, that this process may write (the single-writer lock), that the file is an
 * SQLite database that is readable and either empty or modalgrid's, that its schema is not newer
 * than this version knows, and then migrates it (Flyway). Nothing is written before every check
 * passed.
 */
public final class JdbcResultStore implements ResultStore {

  enum Dialect { SQLITE, POSTGRESQL }

  private static final byte[] SQLITE_HEADER = "SQLite format 3\0".getBytes(StandardCharsets.US_ASCII);
  private static final String HISTORY_TABLE = "flyway_schema_history";
  private static final int ADVISORY_KEY = 0x6d67_7264; // "mgrd"
  private static final int CHUNK = 400;

  private final Dialect dialect;
  private final String location;
  private final Connection conn;
  private final StoreLock fileLock;

  private JdbcResultStore(Dialect dialect, String location, Connection conn, StoreLock fileLock) {
    this.dialect = dialect;
    this.location = location;
    this.conn = conn;
    this.fileLock = fileLock;
  }

  static JdbcResultStore open(String location, boolean write) {
    if (location == null || location.isBlank()) location = DEFAULT_LOCATION;
    String loc = location.strip();
    if (loc.startsWith("jdbc:postgresql:")) return openPostgres(loc, write);
    if (loc.startsWith("jdbc:sqlite:")) return openSqlite(Path.of(loc.substring("jdbc:sqlite:".length())), write);
    if (loc.startsWith("jdbc:")) {
      throw new StoreException("unsupported store '" + redact(loc) + "': expected a file path (SQLite), "
          + "jdbc:sqlite:PATH or jdbc:postgresql://HOST:PORT/DATABASE?user=...&password=...");
    }
    return openSqlite(Path.of(loc), write);
  }

  // ---------------------------------------------------------------- opening: SQLite

  private static JdbcResultStore openSqlite(Path file, boolean write) {
    Path path = file.toAbsolutePath().normalize();
    String shown = file.toString();
    if (Files.isDirectory(path)) {
      throw new StoreException("the store " + shown + " is a folder; name a file, e.g. " + path.resolve("modalgrid.db"));
    }
    if (!write && !Files.exists(path)) {
      throw new StoreException("no store at " + shown + " (pass --store to name another)");
    }
    if (write) {
      try {
        Files.createDirectories(path.getParent());
      } catch (IOException e) {
        throw new StoreException("cannot create the folder of store " + shown + ": " + e.getMessage(), e);
      }
    }
    StoreLock lock = write ? StoreLock.acquire(path) : null;
    Connection c = null;
    try {
      checkSqliteHeader(path, shown);
      String url = "jdbc:sqlite:" + path;
      c = DriverManager.getConnection(url);
      inspectSqlite(c, shown);
      try (Statement st = c.createStatement()) {
        st.execute("PRAGMA busy_timeout = 10000");
        if (write) {
          // WAL: readers (sqlite3, export) never block the orchestrator; FULL: a commit survives power loss.
          st.execute("PRAGMA journal_mode = WAL");
          st.execute("PRAGMA synchronous = FULL");
        }
        st.execute("PRAGMA foreign_keys = ON");
      }
      JdbcResultStore store = new JdbcResultStore(Dialect.SQLITE, shown, c, lock);
      store.schema(url, null, write);
      c.setAutoCommit(false);
      return store;
    } catch (SQLException e) {
      closeQuietly(c);
      if (lock != null) lock.close();
      throw new StoreException("cannot open the store " + shown + ": " + sqliteReason(e)
          + ". The file was left as it is", e);
    } catch (RuntimeException e) {
      closeQuietly(c);
      if (lock != null) lock.close();
      throw e;
    }
  }

  /** A non-empty file that is not an SQLite database is refused before SQLite touches it. */
  private static void checkSqliteHeader(Path path, String shown) {
    if (!Files.exists(path)) return;
    try {
      if (Files.size(path) == 0) return;
      byte[] head = new byte[SQLITE_HEADER.length];
      int n;
      try (InputStream in = Files.newInputStream(path)) {
        n = in.readNBytes(head, 0, head.length);
      }
      if (n < head.length || !Arrays.equals(head, SQLITE_HEADER)) {
        throw new StoreException("the store " + shown + " is not a modalgrid store: it is not an SQLite database "
            + "(foreign or damaged file). It was left as it is; move it away or choose another --store");
      }
    } catch (IOException e) {
      throw new StoreException("cannot read the store " + shown + ": " + e.getMessage(), e);
    }
  }

  /** Refuses damaged files and databases of other programs, before anything is written. */
  private static void inspectSqlite(Connection c, String shown) throws SQLException {
    List<String> problems = new ArrayList<>();
    try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("PRAGMA quick_check")) {
      while (rs.next()) {
        String s = rs.getString(1);
        if (!"ok".equalsIgnoreCase(s)) problems.add(s);
      }
    }
    if (!problems.isEmpty()) {
      throw new StoreException("the store " + shown + " is damaged (SQLite's check: "
          + String.join("; ", problems.subList(0, Math.min(3, problems.size()))) + "). It was left as it is; "
          + "restore it from a copy, or start a new store with --store");
    }
    List<String> tables = new ArrayList<>();
    try (Statement st = c.createStatement();
         ResultSet rs = st.executeQuery("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")) {
      while (rs.next()) tables.add(rs.getString(1));
    }
    refuseForeign(tables, shown);
  }

  private static void refuseForeign(List<String> tables, String shown) {
    if (!tables.isEmpty() && tables.stream().noneMatch(t -> t.equalsIgnoreCase(HISTORY_TABLE))) {
      throw new StoreException("the store " + shown + " is not a modalgrid store: it is a database of something else "
          + "(tables " + new TreeSet<>(tables) + ", no " + HISTORY_TABLE + "). It was left as it is; "
          + "choose another --store");
    }
  }

  private static String sqliteReason(SQLException e) {
    int code = e.getErrorCode() & 0xff;
    String m = e.getMessage();
    return switch (code) {
      case 13 -> "the disk is full, or the store reached its size limit (" + m + ")";
      case 11, 26 -> "the file is damaged or not an SQLite database (" + m + ")";
      case 5, 6 -> "the database is locked by another program (" + m + ")";
      case 8 -> "the file is read-only (" + m + ")";
      case 10 -> "an I/O error (" + m + ")";
      case 14 -> "the file cannot be opened (" + m + ")";
      default -> m;
    };
  }

  // ---------------------------------------------------------------- opening: PostgreSQL

  private static JdbcResultStore openPostgres(String url, boolean write) {
    String shown = redact(url);
    Properties props = new Properties();
    props.setProperty("ApplicationName", "modalgrid");
    Connection c = null;
    try {
      c = DriverManager.getConnection(url, props);
      if (write) lockPostgres(c, shown);
      List<String> tables = new ArrayList<>();
      try (Statement st = c.createStatement();
           ResultSet rs = st.executeQuery("SELECT table_name FROM information_schema.tables "
               + "WHERE table_schema = current_schema()")) {
        while (rs.next()) tables.add(rs.getString(1));
      }
      refuseForeign(tables, shown);
      JdbcResultStore store = new JdbcResultStore(Dialect.POSTGRESQL, shown, c, null);
      store.schema(url, props, write);
      c.setAutoCommit(false);
      return store;
    } catch (SQLException e) {
      closeQuietly(c);
      throw new StoreException("cannot open the store " + shown + ": " + postgresReason(e), e);
    } catch (RuntimeException e) {
      closeQuietly(c);
      throw e;
    }
  }

  /** A session-level advisory lock, held by this connection until it closes (or the process dies). */
  private static void lockPostgres(Connection c, String shown) throws SQLException {
    int key;
    try (Statement st = c.createStatement();
         // the schema the store lives in; before Flyway created it, the first one of the search path
         ResultSet rs = st.executeQuery("SELECT hashtext(current_database() || '/' || coalesce(current_schema(), "
             + "trim(both '\"' from trim(split_part(current_setting('search_path'), ',', 1)))))")) {
      rs.next();
      key = rs.getInt(1);
    }
    // A holder that just closed or died releases its lock when its server process ends: a moment later.
    long deadline = System.currentTimeMillis() + 2000;
    while (true) {
      try (PreparedStatement ps = c.prepareStatement("SELECT pg_try_advisory_lock(?, ?)")) {
        ps.setInt(1, ADVISORY_KEY);
        ps.setInt(2, key);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          if (rs.getBoolean(1)) return;
        }
      }
      if (System.currentTimeMillis() > deadline) break;
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    }
    String holder = "another orchestrator";
    try (PreparedStatement ps = c.prepareStatement("SELECT a.pid, a.application_name, a.client_addr, a.backend_start "
        + "FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' "
        + "AND l.classid::bigint = ? AND l.objid::bigint = ? AND l.objsubid = 2 AND l.granted")) {
      ps.setLong(1, ADVISORY_KEY & 0xffffffffL);
      ps.setLong(2, key & 0xffffffffL);
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          holder = "another orchestrator (" + rs.getString(2) + ", PostgreSQL backend pid " + rs.getInt(1)
              + ", client " + (rs.getString(3) == null ? "local" : rs.getString(3)) + ", since " + rs.getTimestamp(4) + ")";
        }
      }
    }
    throw new StoreException("the store " + shown + " is in use by " + holder + ". A store has one writer: "
        + "stop that orchestrator first, or choose another store with --store");
  }

  private static String postgresReason(SQLException e) {
    String state = e.getSQLState() == null ? "" : e.getSQLState();
    String m = e.getMessage();
    if (state.startsWith("53")) return "the server is out of disk space or memory (" + m + ")";
    if (state.startsWith("08")) return "the connection to the server failed (" + m + ")";
    if (state.startsWith("28")) return "the server refused the login (" + m + ")";
    if (state.startsWith("3D")) return "no such database (" + m + ")";
    return m;
  }

  /** Hides a password in a JDBC URL. */
  static String redact(String url) {
    return url.replaceAll("(?i)(password=)[^&;]*", "$1***").replaceAll("//([^/:@]+):[^/@]*@", "//$1:***@");
  }

  // ---------------------------------------------------------------- schema

  /** Refuses a schema newer than this version knows; migrates an older one (write) or refuses it (read). */
  private void schema(String url, Properties props, boolean write) {
    Flyway flyway = Flyway.configure(JdbcResultStore.class.getClassLoader())
        .dataSource(url, null, null)
        .locations("classpath:db/migration")
        .table(HISTORY_TABLE)
        .baselineOnMigrate(false)
        .validateMigrationNaming(true)
        .load();
    try {
      MigrationInfo[] applied = flyway.info().applied();
      List<String> future = new ArrayList<>();
      for (MigrationInfo m : applied) {
        if (m.getState() == MigrationState.FUTURE_SUCCESS || m.getState() == MigrationState.FUTURE_FAILED) {
          future.add(String.valueOf(m.getVersion()));
        }
      }
      if (!future.isEmpty()) {
        MigrationInfo current = flyway.info().current();
        throw new StoreException("the store " + location + " was written by a newer modalgrid (schema version "
            + (current == null ? future.get(future.size() - 1) : current.getVersion()) + "; this one knows up to "
            + latestKnown(flyway) + "). It was left as it is; use that newer modalgrid, or another --store");
      }
      for (MigrationInfo m : applied) {
        if (m.getState() == MigrationState.FAILED) {
          throw new StoreException("the store " + location + " has a failed schema migration (version "
              + m.getVersion() + "); it was left as it is");
        }
      }
      int pending = flyway.info().pending().length;
      if (pending > 0 && !write) {
        throw new StoreException("the store " + location + " has an older schema; open it once with "
            + "'./modalgrid serve --store' or 'run --store' to migrate it");
      }
      if (write && pending > 0) flyway.migrate();
      else if (write) flyway.validate();
    } catch (FlywayException e) {
      throw new StoreException("the store " + location + " failed its schema check: " + e.getMessage()
          + ". It was left as it is", e);
    }
  }

  private static String latestKnown(Flyway flyway) {
    String latest = "none";
    for (MigrationInfo m : flyway.info().all()) {
      if (m.getState() != MigrationState.FUTURE_SUCCESS && m.getState() != MigrationState.FUTURE_FAILED
          && m.getVersion() != null) {
        latest = m.getVersion().toString();
      }
    }
    return latest;
  }

  // ---------------------------------------------------------------- transactions

  @FunctionalInterface
  private interface Work<T> {
    T run(Connection c) throws SQLException;
  }

  private synchronized <T> T tx(String what, Work<T> work) {
    try {
      T out = work.run(conn);
      conn.commit();
      return out;
    } catch (SQLException e) {
      reset();
      throw new StoreException("cannot " + what + " in the store " + location + ": "
          + (dialect == Dialect.SQLITE ? sqliteReason(e) : postgresReason(e)), e);
    } catch (RuntimeException e) {
      reset();
      throw e;
    }
  }

  /** Rolls back, and starts the driver's transaction bookkeeping afresh (SQLite may have rolled back already). */
  private void reset() {
    try {
      conn.rollback();
    } catch (SQLException ignored) {
      // nothing to undo
    }
    try {
      conn.setAutoCommit(true);
    } catch (SQLException ignored) {
      // no transaction was open
    }
    try {
      conn.setAutoCommit(false);
    } catch (SQLException ignored) {
      // the next transaction reports it, if the connection is gone
    }
  }

  @Override
  public String location() {
    return location;
  }

  String dialect() {
    return dialect.name().toLowerCase(Locale.ROOT);
  }

  // ---------------------------------------------------------------- writes

  @Override
  public void saveExperiment(StoredExperiment e, ExperimentPlan plan, Collection<RunRecord> records) {
    tx("save experiment " + e.id(), c -> {
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO experiments (id, name, source, config, modalities, "
          + "task, num_classes, extends_id, results_dir, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
          + "ON CONFLICT (id) DO UPDATE SET results_dir = excluded.results_dir")) {
        ps.setString(1, e.id());
        ps.setString(2, e.name());
        ps.setString(3, e.source());
        ps.setString(4, e.config());
        ps.setString(5, json(e.modalities()));
        ps.setString(6, e.taskLabel());
        ps.setInt(7, e.numClasses());
        ps.setString(8, e.extendsId());
        ps.setString(9, e.resultsDir());
        ps.setLong(10, e.createdAt());
        ps.executeUpdate();
      }
      Map<String, RunRecord> byId = new HashMap<>();
      for (RunRecord r : records) byId.put(r.runId(), r);
      try (PreparedStatement run = c.prepareStatement("INSERT INTO runs (id, subset, fraction, seed, cell, spec, state, "
          + "error, queued_at, started_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING");
           PreparedStatement member = c.prepareStatement("INSERT INTO experiment_runs (experiment_id, run_id, position) "
               + "VALUES (?, ?, ?) ON CONFLICT (experiment_id, run_id) DO NOTHING")) {
        int pos = 0;
        for (RunSpec s : plan.runs()) {
          RunRecord r = byId.get(s.runId());
          run.setString(1, s.runId());
          run.setString(2, s.cell().subsetLabel());
          run.setDouble(3, s.cell().fraction());
          run.setInt(4, s.cell().seed());
          run.setString(5, Json.MAPPER.writeValueAsString(Json.cell(s.cell())));
          run.setString(6, json(specContent(s)));
          run.setString(7, r == null ? RunState.QUEUED.label() : r.state().label());
          run.setString(8, r == null ? null : r.error());
          run.setLong(9, r == null ? e.createdAt() : r.queuedAt());
          setLong(run, 10, r == null ? null : r.startedAt());
          setLong(run, 11, r == null ? null : r.finishedAt());
          run.addBatch();
          member.setString(1, e.id());
          member.setString(2, s.runId());
          member.setInt(3, pos++);
          member.addBatch();
        }
        run.executeBatch();
        member.executeBatch();
      } catch (JsonProcessingException ex) {
        throw new IllegalStateException(ex);
      }
      writeRuns(c, records);
      return null;
    });
  }

  @Override
  public void saveRun(RunRecord record, List<EpochRow> epochs) {
    tx("save run " + record.runId(), c -> {
      writeRuns(c, List.of(record));
      writeEpochs(c, epochs);
      return null;
    });
  }

  @Override
  public void saveEpochs(List<EpochRow> epochs) {
    if (epochs.isEmpty()) return;
    tx("save " + epochs.size() + " epochs", c -> {
      writeEpochs(c, epochs);
      return null;
    });
  }

  private void writeRuns(Connection c, Collection<RunRecord> records) throws SQLException {
    if (records.isEmpty()) return;
    try (PreparedStatement run = c.prepareStatement("UPDATE runs SET state = ?, error = ?, queued_at = ?, "
        + "started_at = ?, finished_at = ? WHERE id = ?");
         PreparedStatement attempt = c.prepareStatement("INSERT INTO attempts (run_id, number, worker, device, status, "
             + "kind, error, started_at, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, number) "
             + "DO UPDATE SET worker = excluded.worker, device = excluded.device, status = excluded.status, "
             + "kind = excluded.kind, error = excluded.error, started_at = excluded.started_at, "
             + "finished_at = excluded.finished_at");
         PreparedStatement result = c.prepareStatement("INSERT INTO results (run_id, attempt, train_rows, train_ms, "
             + "probe_ms, total_ms, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id) DO UPDATE SET "
             + "attempt = excluded.attempt, train_rows = excluded.train_rows, train_ms = excluded.train_ms, "
             + "probe_ms = excluded.probe_ms, total_ms = excluded.total_ms, finished_at = excluded.finished_at");
         PreparedStatement dropValues = c.prepareStatement("DELETE FROM result_values WHERE run_id = ?");
         PreparedStatement dropResult = c.prepareStatement("DELETE FROM results WHERE run_id = ?");
         PreparedStatement value = c.prepareStatement("INSERT INTO result_values (run_id, test_condition, name, kind, "
             + "position, value) VALUES (?, '', ?, ?, ?, ?)")) {
      List<EpochRow> history = new ArrayList<>();
      for (RunRecord r : records) {
        run.setString(1, r.state().label());
        run.setString(2, r.error());
        run.setLong(3, r.queuedAt());
        setLong(run, 4, r.startedAt());
        setLong(run, 5, r.finishedAt());
        run.setString(6, r.runId());
        if (run.executeUpdate() != 1) {
          throw new StoreException("cannot save run " + r.runId() + " in the store " + location
              + ": the run is not in the store (its experiment was not saved)");
        }
        for (Attempt a : r.attempts()) {
          attempt.setString(1, r.runId());
          attempt.setInt(2, a.number());
          attempt.setString(3, a.workerId());
          attempt.setString(4, a.device());
          attempt.setString(5, a.status());
          attempt.setString(6, a.kind());
          attempt.setString(7, a.error());
          attempt.setLong(8, a.startedAt());
          setLong(attempt, 9, a.finishedAt());
          attempt.addBatch();
        }
        dropValues.setString(1, r.runId());
        dropValues.addBatch();
        RunResult res = r.result();
        if (res == null) {
          dropResult.setString(1, r.runId());
          dropResult.addBatch();
          continue;
        }
        int attemptNo = r.lastAttempt() == null ? 1 : r.lastAttempt().number();
        result.setString(1, r.runId());
        result.setInt(2, attemptNo);
        result.setInt(3, res.trainRows());
        result.setLong(4, res.trainMillis());
        result.setLong(5, res.probeMillis());
        result.setLong(6, res.totalMillis());
        result.setLong(7, r.finishedAt() == null ? System.currentTimeMillis() : r.finishedAt());
        result.addBatch();
        int pos = 0;
        for (var kind : List.of(Map.entry("metric", res.metrics()), Map.entry("eta", res.eta()))) {
          for (var m : kind.getValue().entrySet()) {
            value.setString(1, r.runId());
            value.setString(2, m.getKey());
            value.setString(3, kind.getKey());
            value.setInt(4, pos++);
            setDouble(value, 5, m.getValue());
            value.addBatch();
          }
        }
        for (EpochStat s : res.history()) history.add(new EpochRow(r.runId(), attemptNo, s));
      }
      attempt.executeBatch();
      dropValues.executeBatch();
      dropResult.executeBatch();
      result.executeBatch();
      value.executeBatch();
      writeEpochs(c, history);
    }
  }

  private void writeEpochs(Connection c, List<EpochRow> epochs) throws SQLException {
    if (epochs.isEmpty()) return;
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO epochs (run_id, attempt, epoch, loss, test, elapsed_ms) "
        + "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, attempt, epoch) DO UPDATE SET loss = excluded.loss, "
        + "test = excluded.test, elapsed_ms = excluded.elapsed_ms")) {
      for (EpochRow e : epochs) {
        ps.setString(1, e.runId());
        ps.setInt(2, e.attempt());
        ps.setInt(3, e.stat().epoch());
        setDouble(ps, 4, e.stat().trainLoss());
        setDouble(ps, 5, e.stat().testMetric());
        ps.setLong(6, e.stat().elapsedMillis());
        ps.addBatch();
      }
      ps.executeBatch();
    }
  }

  // ---------------------------------------------------------------- reads

  @Override
  public List<StoredExperiment> experiments() {
    return tx("list experiments", c -> readExperiments(c, null));
  }

  @Override
  public Optional<StoredExperiment> experiment(String id) {
    return tx("read experiment " + id, c -> readExperiments(c, id)).stream().findFirst();
  }

  private List<StoredExperiment> readExperiments(Connection c, String id) throws SQLException {
    String sql = "SELECT id, name, source, config, modalities, task, num_classes, extends_id, results_dir, created_at "
        + "FROM experiments" + (id == null ? "" : " WHERE id = ?") + " ORDER BY created_at, id";
    List<StoredExperiment> out = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      if (id != null) ps.setString(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          List<String> modalities;
          try {
            modalities = Json.MAPPER.readValue(rs.getString(5), new TypeReference<List<String>>() {});
          } catch (JsonProcessingException e) {
            throw new StoreException("experiment " + rs.getString(1) + " in the store " + location
                + " has unreadable modalities: " + e.getOriginalMessage(), e);
          }
          out.add(new StoredExperiment(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), modalities,
              Task.valueOf(rs.getString(6).toUpperCase(Locale.ROOT)), rs.getInt(7), rs.getString(8), rs.getString(9),
              rs.getLong(10)));
        }
      }
    }
    return out;
  }

  private record RunRow(RunState state, String error, long queuedAt, Long startedAt, Long finishedAt) {}

  private record ResultRow(int attempt, int trainRows, long trainMs, long probeMs, long totalMs) {}

  @Override
  public Map<String, RunRecord> runs(ExperimentPlan plan) {
    Map<String, Cell> cells = new LinkedHashMap<>();
    for (RunSpec s : plan.runs()) cells.put(s.runId(), s.cell());
    List<String> ids = new ArrayList<>(cells.keySet());
    return tx("read the runs of " + plan.experimentId(), c -> {
      Map<String, RunRow> rows = new HashMap<>();
      Map<String, List<Attempt>> attempts = new HashMap<>();
      Map<String, ResultRow> results = new HashMap<>();
      Map<String, Map<String, Double>> metrics = new HashMap<>();
      Map<String, Map<String, Double>> etas = new HashMap<>();
      Map<String, Map<Integer, List<EpochStat>>> epochs = new HashMap<>();
      for (int from = 0; from < ids.size(); from += CHUNK) {
        List<String> chunk = ids.subList(from, Math.min(ids.size(), from + CHUNK));
        String in = "(" + String.join(", ", java.util.Collections.nCopies(chunk.size(), "?")) + ")";
        query(c, "SELECT id, state, error, queued_at, started_at, finished_at FROM runs WHERE id IN " + in, chunk, rs ->
            rows.put(rs.getString(1), new RunRow(RunState.parse(rs.getString(2)), rs.getString(3), rs.getLong(4),
                getLong(rs, 5), getLong(rs, 6))));
        query(c, "SELECT run_id, number, worker, device, status, kind, error, started_at, finished_at FROM attempts "
            + "WHERE run_id IN " + in + " ORDER BY run_id, number", chunk, rs ->
            attempts.computeIfAbsent(rs.getString(1), k -> new ArrayList<>()).add(new Attempt(rs.getInt(2),
                rs.getString(3), rs.getString(4), rs.getLong(8), getLong(rs, 9), rs.getString(5), rs.getString(6),
                rs.getString(7))));
        query(c, "SELECT run_id, attempt, train_rows, train_ms, probe_ms, total_ms FROM results WHERE run_id IN " + in,
            chunk, rs -> results.put(rs.getString(1), new ResultRow(rs.getInt(2), rs.getInt(3), rs.getLong(4),
                rs.getLong(5), rs.getLong(6))));
        query(c, "SELECT run_id, name, kind, value FROM result_values WHERE test_condition = '' AND run_id IN " + in
            + " ORDER BY run_id, position", chunk, rs -> {
              Double v = getDouble(rs, 4);
              (rs.getString(3).equals("eta") ? etas : metrics).computeIfAbsent(rs.getString(1), k -> new LinkedHashMap<>())
                  .put(rs.getString(2), v == null ? Double.NaN : v);
            });
        query(c, "SELECT run_id, attempt, epoch, loss, test, elapsed_ms FROM epochs WHERE run_id IN " + in
            + " ORDER BY run_id, attempt, epoch", chunk, rs -> {
              Double loss = getDouble(rs, 4);
              epochs.computeIfAbsent(rs.getString(1), k -> new HashMap<>()).computeIfAbsent(rs.getInt(2), k -> new ArrayList<>())
                  .add(new EpochStat(rs.getInt(3), loss == null ? Double.NaN : loss, getDouble(rs, 5), rs.getLong(6)));
            });
      }
      Map<String, RunRecord> out = new LinkedHashMap<>();
      for (String id : ids) {
        RunRow row = rows.get(id);
        if (row == null) continue;
        List<Attempt> as = attempts.getOrDefault(id, List.of());
        ResultRow rr = results.get(id);
        Map<Integer, List<EpochStat>> byAttempt = epochs.getOrDefault(id, Map.of());
        RunResult result = null;
        List<EpochStat> history;
        if (rr != null && row.state() == RunState.SUCCEEDED) {
          history = byAttempt.getOrDefault(rr.attempt(), List.of());
          result = new RunResult(metrics.getOrDefault(id, Map.of()), etas.getOrDefault(id, Map.of()), rr.trainRows(),
              history, rr.trainMs(), rr.probeMs(), rr.totalMs());
        } else {
          history = as.isEmpty() ? List.of() : byAttempt.getOrDefault(as.get(as.size() - 1).number(), List.of());
        }
        out.put(id, new RunRecord(id, plan.experimentId(), cells.get(id), row.state(), as, history, result, row.error(),
            row.queuedAt(), row.startedAt(), row.finishedAt()));
      }
      return out;
    });
  }

  @FunctionalInterface
  private interface RowHandler {
    void accept(ResultSet rs) throws SQLException;
  }

  private static void query(Connection c, String sql, List<String> params, RowHandler h) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < params.size(); i++) ps.setString(i + 1, params.get(i));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) h.accept(rs);
      }
    }
  }

  // ---------------------------------------------------------------- helpers

  private static Map<String, Object> specContent(RunSpec s) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("dataset", s.dataset());
    m.put("model", s.model());
    m.put("train", s.train());
    m.put("probe", s.probe());
    return m;
  }

  private static String json(Object o) {
    try {
      return Json.MAPPER.writeValueAsString(o);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void setLong(PreparedStatement ps, int i, Long v) throws SQLException {
    if (v == null) ps.setNull(i, Types.BIGINT); else ps.setLong(i, v);
  }

  private static void setDouble(PreparedStatement ps, int i, Double v) throws SQLException {
    if (v == null || v.isNaN() || v.isInfinite()) ps.setNull(i, Types.DOUBLE); else ps.setDouble(i, v);
  }

  private static Long getLong(ResultSet rs, int i) throws SQLException {
    long v = rs.getLong(i);
    return rs.wasNull() ? null : v;
  }

  private static Double getDouble(ResultSet rs, int i) throws SQLException {
    double v = rs.getDouble(i);
    return rs.wasNull() ? null : v;
  }

  private static void closeQuietly(Connection c) {
    if (c == null) return;
    try {
      c.close();
    } catch (SQLException ignored) {
      // closing anyway
    }
  }

  /**
   * Caps the SQLite file at its current size, so that the next write that needs a new page fails
   * as on a full disk. For tests of what a full disk does; SQLite only.
   */
  public void capSizeAtCurrent() {
    if (dialect != Dialect.SQLITE) throw new UnsupportedOperationException("SQLite only");
    tx("cap the store's size", c -> {
      try (Statement st = c.createStatement()) {
        long pages;
        try (ResultSet rs = st.executeQuery("PRAGMA page_count")) {
          rs.next();
          pages = rs.getLong(1);
        }
        st.execute("PRAGMA max_page_count = " + pages);
      }
      return null;
    });
  }

  @Override
  public synchronized void close() {
    if (dialect == Dialect.POSTGRESQL) {
      try (Statement st = conn.createStatement()) {
        conn.rollback();
        st.execute("SELECT pg_advisory_unlock_all()");
        conn.commit();
      } catch (SQLException ignored) {
        // closing the connection releases it too, a moment later
      }
    }
    closeQuietly(conn);
    if (fileLock != null) fileLock.close();
  }
}
