package org.modalgrid.orchestrator;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.modalgrid.analysis.Observation;
import org.modalgrid.analysis.Table;
import org.modalgrid.analysis.Tables;
import org.modalgrid.grid.ExperimentPlan;
import org.modalgrid.results.ResultsFolder;

/** The aggregator's state of one experiment: its plan and a record per run, in plan order. */
final class ExperimentView {

  final ExperimentPlan plan;
  final Map<String, RunRecord> records = new LinkedHashMap<>();
  ResultsFolder folder;
  final long createdAt;
  boolean completed;

  ExperimentView(ExperimentPlan plan, ResultsFolder folder, long createdAt) {
    this.plan = plan;
    this.folder = folder;
    this.createdAt = createdAt;
    plan.runs().forEach(r -> records.put(r.runId(), RunRecord.queued(r.runId(), plan.experimentId(), r.cell(), createdAt)));
  }

  Tables.Shape shape() {
    return new Tables.Shape(plan.task(), plan.subsets(), plan.config().grid().axes(), plan.config().grid().fractions());
  }

  List<Observation> observations() {
    List<Observation> obs = new ArrayList<>();
    for (RunRecord r : records.values()) {
      if (r.state() == RunState.SUCCEEDED && r.result() != null) obs.add(new Observation(r.cell(), r.result().allValues()));
    }
    return obs;
  }

  Map<String, Table> tables() {
    return Tables.all(shape(), observations());
  }

  Map<RunState, Integer> counts() {
    Map<RunState, Integer> c = new EnumMap<>(RunState.class);
    for (RunState s : RunState.values()) c.put(s, 0);
    for (RunRecord r : records.values()) c.merge(r.state(), 1, Integer::sum);
    return c;
  }

  boolean allTerminal() {
    return records.values().stream().allMatch(r -> r.state().terminal());
  }

  boolean allSucceeded() {
    return records.values().stream().allMatch(r -> r.state() == RunState.SUCCEEDED);
  }
}
