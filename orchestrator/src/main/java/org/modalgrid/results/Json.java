package org.modalgrid.results;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import org.modalgrid.model.EpochStat;
import org.modalgrid.orchestrator.Attempt;
import org.modalgrid.orchestrator.RunRecord;
import org.modalgrid.protocol.Cell;

/** The JSON form of run records: one line of {@code runs.jsonl}, and the API's run object. */
public final class Json {

  public static final ObjectMapper MAPPER = new ObjectMapper();

  private Json() {}

  public static ObjectNode cell(Cell c) {
    ObjectNode o = MAPPER.createObjectNode();
    o.put("subset", c.subsetLabel());
    ArrayNode mods = o.putArray("modalities");
    c.subset().forEach(mods::add);
    o.put("fraction", c.fraction());
    o.put("seed", c.seed());
    ObjectNode axes = o.putObject("axes");
    c.axes().forEach((k, v) -> axes.set(k, MAPPER.valueToTree(v)));
    return o;
  }

  /**
   * A run record: id, experiment, cell, status, attempts (each with its error), metrics, eta,
   * timing, worker, device, error, and optionally the per-epoch history.
   */
  public static ObjectNode run(RunRecord r, boolean withHistory) {
    ObjectNode o = MAPPER.createObjectNode();
    o.put("id", r.runId());
    o.put("experiment", r.experimentId());
    o.set("cell", cell(r.cell()));
    o.put("status", r.state().label());
    ArrayNode attempts = o.putArray("attempts");
    for (Attempt a : r.attempts()) {
      ObjectNode ao = attempts.addObject();
      ao.put("number", a.number());
      ao.put("worker", a.workerId());
      ao.put("device", a.device());
      ao.put("status", a.status());
      ao.put("started_at", a.startedAt());
      if (a.finishedAt() == null) ao.putNull("finished_at"); else ao.put("finished_at", a.finishedAt());
      if (a.kind() != null) ao.put("kind", a.kind());
      if (a.error() != null) ao.put("error", a.error());
    }
    ObjectNode metrics = o.putObject("metrics");
    ObjectNode eta = o.putObject("eta");
    ObjectNode timing = o.putObject("timing");
    timing.put("queued_at", r.queuedAt());
    putNullable(timing, "started_at", r.startedAt());
    putNullable(timing, "finished_at", r.finishedAt());
    if (r.result() != null) {
      putAll(metrics, r.result().metrics());
      putAll(eta, r.result().eta());
      o.put("train_rows", r.result().trainRows());
      timing.put("train_ms", r.result().trainMillis());
      timing.put("probe_ms", r.result().probeMillis());
      timing.put("total_ms", r.result().totalMillis());
    }
    if (r.workerId() == null) o.putNull("worker"); else o.put("worker", r.workerId());
    if (r.device() == null) o.putNull("device"); else o.put("device", r.device());
    if (r.error() == null) o.putNull("error"); else o.put("error", r.error());
    if (withHistory) o.set("history", history(r));
    return o;
  }

  public static ArrayNode history(RunRecord r) {
    ArrayNode h = MAPPER.createArrayNode();
    for (EpochStat e : r.history()) h.add(epoch(e));
    return h;
  }

  public static ObjectNode epoch(EpochStat e) {
    ObjectNode eo = MAPPER.createObjectNode();
    eo.put("epoch", e.epoch());
    putDouble(eo, "loss", e.trainLoss());
    if (e.testMetric() == null) eo.putNull("test"); else putDouble(eo, "test", e.testMetric());
    eo.put("ms", e.elapsedMillis());
    return eo;
  }

  private static void putAll(ObjectNode o, Map<String, Double> values) {
    values.forEach((k, v) -> putDouble(o, k, v));
  }

  public static void putDouble(ObjectNode o, String k, Double v) {
    if (v == null || v.isNaN() || v.isInfinite()) o.putNull(k); else o.put(k, v);
  }

  private static void putNullable(ObjectNode o, String k, Long v) {
    if (v == null) o.putNull(k); else o.put(k, v);
  }
}
