-- modalgrid's result store, version 1. The same SQL runs on SQLite and PostgreSQL.
-- Times are milliseconds since the epoch (UTC); JSON columns hold what the API shows.

-- One row per experiment: enough to rebuild its plan (the same run ids) without loading data.
CREATE TABLE experiments (
  id          VARCHAR(200) PRIMARY KEY,
  name        VARCHAR(200) NOT NULL,
  source      TEXT         NOT NULL,  -- where the config came from (a file, "request body")
  config      TEXT         NOT NULL,  -- the fully resolved config (HOCON)
  modalities  TEXT         NOT NULL,  -- JSON array, the dataset's modalities in order
  task        VARCHAR(32)  NOT NULL,  -- classification or regression
  num_classes INTEGER      NOT NULL,
  extends_id  VARCHAR(200),           -- the experiment this one extended, if any
  results_dir TEXT,                   -- the results folder regenerated from this store
  created_at  BIGINT       NOT NULL
);

-- One row per run, shared by every experiment that plans it (ids are content-derived).
CREATE TABLE runs (
  id          VARCHAR(64)  PRIMARY KEY,
  subset      VARCHAR(400) NOT NULL,  -- modality names joined by '+'
  fraction    DOUBLE PRECISION NOT NULL,
  seed        INTEGER      NOT NULL,
  cell        TEXT         NOT NULL,  -- JSON: subset, modalities, fraction, seed, axes
  spec        TEXT         NOT NULL,  -- JSON: the dataset, model, train and probe settings the id derives from
  state       VARCHAR(16)  NOT NULL,  -- queued, running, succeeded, failed, cancelled
  error       TEXT,
  queued_at   BIGINT       NOT NULL,
  started_at  BIGINT,
  finished_at BIGINT
);
CREATE INDEX runs_state ON runs (state);

-- Which runs an experiment consists of, in plan order.
CREATE TABLE experiment_runs (
  experiment_id VARCHAR(200) NOT NULL REFERENCES experiments (id),
  run_id        VARCHAR(64)  NOT NULL REFERENCES runs (id),
  position      INTEGER      NOT NULL,
  PRIMARY KEY (experiment_id, run_id)
);
CREATE INDEX experiment_runs_run ON experiment_runs (run_id);

-- Every try at a run.
CREATE TABLE attempts (
  run_id      VARCHAR(64)  NOT NULL REFERENCES runs (id),
  number      INTEGER      NOT NULL,  -- 1-based
  worker      VARCHAR(400),
  device      VARCHAR(100),
  status      VARCHAR(16)  NOT NULL,  -- running, succeeded, failed, cancelled, lost
  kind        VARCHAR(64),            -- failure kind (diverged, worker-lost, orchestrator-restart, ...)
  error       TEXT,
  started_at  BIGINT       NOT NULL,
  finished_at BIGINT,
  PRIMARY KEY (run_id, number)
);

-- Per-epoch training history of each attempt.
CREATE TABLE epochs (
  run_id     VARCHAR(64) NOT NULL REFERENCES runs (id),
  attempt    INTEGER     NOT NULL,
  epoch      INTEGER     NOT NULL,
  loss       DOUBLE PRECISION,
  test       DOUBLE PRECISION,        -- the test metric when evaluated that epoch
  elapsed_ms BIGINT      NOT NULL,
  PRIMARY KEY (run_id, attempt, epoch)
);

-- The committed result of a run that succeeded.
CREATE TABLE results (
  run_id      VARCHAR(64) PRIMARY KEY REFERENCES runs (id),
  attempt     INTEGER     NOT NULL,
  train_rows  INTEGER     NOT NULL,
  train_ms    BIGINT      NOT NULL,
  probe_ms    BIGINT      NOT NULL,
  total_ms    BIGINT      NOT NULL,
  finished_at BIGINT      NOT NULL
);

-- A result's numbers, one row each, so that they can be queried across experiments.
-- 'test_condition' names a test-time condition ('' = the standard test split), room for evaluations
-- such as a missing modality at test time.
CREATE TABLE result_values (
  run_id    VARCHAR(64)  NOT NULL REFERENCES runs (id),
  test_condition VARCHAR(100) NOT NULL DEFAULT '',
  name      VARCHAR(100) NOT NULL,
  kind      VARCHAR(16)  NOT NULL,   -- metric (test risk) or eta (latent quality)
  position  INTEGER      NOT NULL,
  value     DOUBLE PRECISION,         -- null for NaN or infinite
  PRIMARY KEY (run_id, test_condition, name)
);
