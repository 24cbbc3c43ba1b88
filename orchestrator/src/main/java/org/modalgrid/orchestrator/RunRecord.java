package org.modalgrid.orchestrator;

import java.util.ArrayList;
import java.util.List;
import org.modalgrid.model.EpochStat;
import org.modalgrid.protocol.Cell;
import org.modalgrid.protocol.RunResult;

/**
 * Everything known about one run: its cell, state, every attempt with its error, the current
 * attempt's per-epoch history, and the result once it succeeded. Immutable; updates return a
 * new record.
 */
public record RunRecord(String runId, String experimentId, Cell cell, RunState state, List<Attempt> attempts,
    List<EpochStat> history, RunResult result, String error, long queuedAt, Long startedAt, Long finishedAt) {

  public RunRecord {
    attempts = List.copyOf(attempts);
    history = List.copyOf(history);
  }

  public static RunRecord queued(String runId, String experimentId, Cell cell, long at) {
    return new RunRecord(runId, experimentId, cell, RunState.QUEUED, List.of(), List.of(), null, null, at, null, null);
  }

  public Attempt lastAttempt() {
    return attempts.isEmpty() ? null : attempts.get(attempts.size() - 1);
  }

  public String workerId() {
    Attempt a = lastAttempt();
    return a == null ? null : a.workerId();
  }

  public String device() {
    Attempt a = lastAttempt();
    return a == null ? null : a.device();
  }

  public RunRecord started(int attempt, String workerId, String device, long at) {
    List<Attempt> as = new ArrayList<>(attempts);
    as.add(new Attempt(attempt, workerId, device, at, null, "running", null, null));
    return new RunRecord(runId, experimentId, cell, RunState.RUNNING, as, List.of(), null, null, queuedAt, at, null);
  }

  public RunRecord epoch(EpochStat stat) {
    List<EpochStat> h = new ArrayList<>(history);
    h.add(stat);
    return new RunRecord(runId, experimentId, cell, state, attempts, h, result, error, queuedAt, startedAt, finishedAt);
  }

  public RunRecord succeeded(RunResult r, long at) {
    return new RunRecord(runId, experimentId, cell, RunState.SUCCEEDED, finishLast("succeeded", null, null, at),
        r.history(), r, null, queuedAt, startedAt, at);
  }

  /** A failed attempt; {@code requeued} keeps the run queued for another attempt. */
  public RunRecord failed(String kind, String reason, boolean requeued, long at) {
    String status = kind.equals("worker-lost") || kind.equals(RESTART_KIND) ? "lost"
        : kind.equals("cancelled") ? "cancelled" : "failed";
    RunState next = requeued ? RunState.QUEUED : kind.equals("cancelled") ? RunState.CANCELLED : RunState.FAILED;
    return new RunRecord(runId, experimentId, cell, next, finishLast(status, kind, reason, at), history, null,
        reason, requeued ? at : queuedAt, startedAt, requeued ? null : at);
  }

  /** The failure kind of an attempt that was running when the orchestrator stopped. */
  public static final String RESTART_KIND = "orchestrator-restart";

  /**
   * This record as a restarted orchestrator takes it over: a run that was running has its open
   * attempt closed as lost and is queued again; every other record is unchanged.
   */
  public RunRecord resumed(long at) {
    if (state != RunState.RUNNING) return this;
    return failed(RESTART_KIND, "the orchestrator stopped while this attempt ran", true, at);
  }

  /** The same record as seen from another experiment that shares the run. */
  public RunRecord inExperiment(String id) {
    return id.equals(experimentId) ? this
        : new RunRecord(runId, id, cell, state, attempts, history, result, error, queuedAt, startedAt, finishedAt);
  }

  /** Cancelled before any worker took it. */
  public RunRecord cancelledWhileQueued(long at) {
    return new RunRecord(runId, experimentId, cell, RunState.CANCELLED, attempts, history, null,
        "cancelled before it started", queuedAt, startedAt, at);
  }

  /** Back in the queue after a manual retry; attempts and their errors are kept. */
  public RunRecord requeued(long at) {
    return new RunRecord(runId, experimentId, cell, RunState.QUEUED, attempts, List.of(), null, null, at, null, null);
  }

  private List<Attempt> finishLast(String status, String kind, String err, long at) {
    List<Attempt> as = new ArrayList<>(attempts);
    if (!as.isEmpty() && as.get(as.size() - 1).finishedAt() == null) {
      as.set(as.size() - 1, as.get(as.size() - 1).finish(status, kind, err, at));
    }
    return as;
  }
}
