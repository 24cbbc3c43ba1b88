package org.modalgrid.http;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.List;
import org.modalgrid.analysis.Tables;
import org.modalgrid.data.Task;
import org.modalgrid.grid.ExperimentPlan;
import org.modalgrid.model.EpochStat;
import org.modalgrid.orchestrator.Aggregator;
import org.modalgrid.orchestrator.ExperimentSupervisor;
import org.modalgrid.orchestrator.RunRecord;
import org.modalgrid.results.Json;

/** JSON bodies of the HTTP API and of its event stream. */
public final class ApiJson {

  private ApiJson() {}

  public static ObjectNode error(String error, Object detail) {
    ObjectNode o = Json.MAPPER.createObjectNode();
    o.put("error", error);
    if (detail == null) o.putNull("detail");
    else o.set("detail", Json.MAPPER.valueToTree(detail));
    return o;
  }

  public static ObjectNode summary(Aggregator.ExperimentSummary s) {
    ObjectNode o = Json.MAPPER.createObjectNode();
    o.put("id", s.experimentId());
    o.put("name", s.name());
    o.put("source", s.source());
    o.put("task", s.task());
    o.put("status", s.status());
    o.put("created_at", s.createdAt());
    o.put("total", s.total());
    ObjectNode counts = o.putObject("counts");
    s.counts().forEach(counts::put);
    if (s.etaMillis() == null) o.putNull("eta_ms"); else o.put("eta_ms", s.etaMillis());
    if (s.resultsDir() == null) o.putNull("results_dir"); else o.put("results_dir", s.resultsDir());
    ExperimentPlan p = s.plan();
    ArrayNode mods = o.putArray("modalities");
    p.modalities().forEach(mods::add);
    ArrayNode subsets = o.putArray("subsets");
    p.subsets().forEach(x -> subsets.add(String.join("+", x)));
    ArrayNode fractions = o.putArray("fractions");
    p.config().grid().fractions().forEach(fractions::add);
    ArrayNode seeds = o.putArray("seeds");
    p.config().grid().seeds().forEach(seeds::add);
    ObjectNode axes = o.putObject("axes");
    p.config().grid().axes().forEach((k, v) -> axes.set(k, Json.MAPPER.valueToTree(v)));
    o.put("epochs", p.config().train().epochs());
    boolean cls = p.task() == Task.CLASSIFICATION;
    o.put("metric", Tables.testMetrics(p.task()).get(0));
    o.put("higher_is_better", cls);
    o.put("eta_metric", Tables.etaMetrics(p.task()).get(0));
    return o;
  }

  public static ObjectNode experiments(List<Aggregator.ExperimentSummary> list) {
    ObjectNode o = Json.MAPPER.createObjectNode();
    ArrayNode a = o.putArray("experiments");
    list.forEach(s -> a.add(summary(s)));
    return o;
  }

  public static ObjectNode runs(List<RunRecord> runs) {
    ObjectNode o = Json.MAPPER.createObjectNode();
    ArrayNode a = o.putArray("runs");
    runs.forEach(r -> a.add(Json.run(r, false)));
    return o;
  }

  public static ObjectNode epoch(String experimentId, String runId, int attempt, EpochStat e) {
    ObjectNode o = Json.epoch(e);
    o.put("experiment", experimentId);
    o.put("run", runId);
    o.put("attempt", attempt);
    return o;
  }

  public static ObjectNode reply(ExperimentSupervisor.Reply r) {
    ObjectNode o = Json.MAPPER.createObjectNode();
    o.put("status", r.status());
    o.put("message", r.message());
    ArrayNode a = o.putArray("runs");
    r.runIds().forEach(a::add);
    return o;
  }

  public static ObjectNode workers(List<ExperimentSupervisor.SlotInfo> slots) {
    ObjectNode o = Json.MAPPER.createObjectNode();
    o.put("slots_total", slots.size());
    o.put("slots_busy", (int) slots.stream().filter(ExperimentSupervisor.SlotInfo::busy).count());
    ArrayNode nodes = o.putArray("nodes");
    java.util.Map<String, ArrayNode> byNode = new java.util.LinkedHashMap<>();
    for (ExperimentSupervisor.SlotInfo s : slots) {
      ArrayNode list = byNode.computeIfAbsent(s.node(), n -> {
        ObjectNode node = nodes.addObject();
        node.put("node", n);
        node.put("reachable", s.reachable());
        node.put("draining", s.draining());
        node.put("quarantined", s.quarantined());
        return node.putArray("slots");
      });
      ObjectNode so = list.addObject();
      so.put("worker", s.worker());
      so.put("device", s.device());
      so.put("busy", s.busy());
      if (s.runId() == null) so.putNull("run"); else so.put("run", s.runId());
    }
    for (var n : nodes) {
      ObjectNode node = (ObjectNode) n;
      boolean busy = false;
      for (var slot : node.get("slots")) busy |= slot.get("busy").asBoolean();
      String state = !node.get("reachable").asBoolean() ? "unreachable"
          : node.get("quarantined").asBoolean() ? "quarantined"
          : node.get("draining").asBoolean() ? (busy ? "draining" : "drained")
          : "active";
      node.put("state", state);
    }
    return o;
  }
}
