package org.modalgrid.orchestrator;

/**
 * One try at a run.
 *
 * @param number     1-based
 * @param status     running, succeeded, failed, cancelled or lost
 * @param kind       failure kind (diverged, data, worker-lost, ...), null unless failed
 * @param finishedAt null while running
 */
public record Attempt(int number, String workerId, String device, long startedAt, Long finishedAt,
    String status, String kind, String error) {

  public Attempt finish(String status, String kind, String error, long at) {
    return new Attempt(number, workerId, device, startedAt, at, status, kind, error);
  }
}
