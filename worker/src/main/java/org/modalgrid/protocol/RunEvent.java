package org.modalgrid.protocol;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import org.modalgrid.model.EpochStat;

/** What a worker reports about a run it was given. Summaries only, never tensors. */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, property = "type")
@JsonSubTypes({
    @JsonSubTypes.Type(value = RunEvent.Started.class, name = "started"),
    @JsonSubTypes.Type(value = RunEvent.Epoch.class, name = "epoch"),
    @JsonSubTypes.Type(value = RunEvent.Succeeded.class, name = "succeeded"),
    @JsonSubTypes.Type(value = RunEvent.Failed.class, name = "failed")
})
public sealed interface RunEvent extends CborSerializable {

  String runId();

  int attempt();

  /** The worker accepted the run and started it. */
  record Started(String runId, int attempt, String workerId, String device, long atMillis) implements RunEvent {}

  /** One training epoch finished. */
  record Epoch(String runId, int attempt, EpochStat stat) implements RunEvent {}

  /** The run finished and its numbers are in {@code result}. */
  record Succeeded(String runId, int attempt, String workerId, RunResult result, long atMillis) implements RunEvent {}

  /**
   * The run failed.
   *
   * @param reason    for a person: what went wrong
   * @param kind      {@code diverged}, {@code data}, {@code cancelled}, {@code worker-lost},
   *                  {@code resources} or {@code error}
   * @param retryable whether trying again may succeed (resources, lost worker)
   */
  record Failed(String runId, int attempt, String workerId, String reason, String kind, boolean retryable,
      long atMillis) implements RunEvent {}
}
