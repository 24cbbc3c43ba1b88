package org.modalgrid.cli;

import java.io.PrintStream;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.apache.pekko.actor.typed.Behavior;
import org.apache.pekko.actor.typed.javadsl.Behaviors;
import org.modalgrid.orchestrator.Aggregator;
import org.modalgrid.orchestrator.RunRecord;
import org.modalgrid.orchestrator.RunState;

/** Prints a line per finished run of one experiment and completes a future when it completes. */
final class ProgressPrinter {

  static Behavior<Aggregator.Update> create(String experimentId, PrintStream out,
      CompletableFuture<Aggregator.ExperimentCompleted> done) {
    return Behaviors.receive(Aggregator.Update.class)
        .onMessage(Aggregator.RunChanged.class, u -> {
          if (out != null && u.experimentId().equals(experimentId) && u.record().state().terminal()) {
            out.println(line(u.record(), u.summary()));
            out.flush();
          }
          return Behaviors.same();
        })
        .onMessage(Aggregator.ExperimentCompleted.class, u -> {
          if (u.experimentId().equals(experimentId)) done.complete(u);
          return Behaviors.same();
        })
        .onAnyMessage(u -> Behaviors.same())
        .build();
  }

  static String line(RunRecord r, Aggregator.ExperimentSummary s) {
    int finished = s.counts().getOrDefault("succeeded", 0) + s.counts().getOrDefault("failed", 0)
        + s.counts().getOrDefault("cancelled", 0);
    int width = String.valueOf(s.total()).length();
    StringBuilder sb = new StringBuilder();
    sb.append(String.format(Locale.ROOT, "[%" + width + "d/%d] ", finished, s.total()));
    sb.append(String.format(Locale.ROOT, "%-9s ", r.state() == RunState.SUCCEEDED ? "ok" : r.state().label().toUpperCase(Locale.ROOT)));
    sb.append(r.runId()).append("  ").append(r.cell().label());
    if (r.result() != null) {
      for (Map.Entry<String, Double> e : r.result().allValues().entrySet()) {
        if (e.getKey().equals("test_error") || e.getKey().equals("probe_mse")) continue;
        sb.append(String.format(Locale.ROOT, "  %s %.4g", e.getKey(), e.getValue()));
      }
      sb.append(String.format(Locale.ROOT, "  %.1fs", r.result().totalMillis() / 1000.0));
    }
    if (r.device() != null) sb.append("  ").append(r.device());
    if (r.error() != null) sb.append("  error: ").append(r.error());
    return sb.toString();
  }

  private ProgressPrinter() {}
}
