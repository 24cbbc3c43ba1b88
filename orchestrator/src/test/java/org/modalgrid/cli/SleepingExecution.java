package org.modalgrid.cli;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.modalgrid.model.EpochStat;
import org.modalgrid.model.TrainingCancelledException;
import org.modalgrid.model.TrainingListener;
import org.modalgrid.protocol.RunResult;
import org.modalgrid.protocol.RunSpec;
import org.modalgrid.run.RunExecution;

/**
 * Training stand-in for worker JVMs in orchestration tests ({@code -Dmodalgrid.worker.execution-class}):
 * each epoch sleeps {@code modalgrid.test.epoch-millis} (default 150) and reports progress. It
 * counts the runs executing at once in this JVM and reports the most it saw during a run as the
 * metric {@code concurrent_peak}, so a test can tell from the results how many trained together.
 */
public final class SleepingExecution implements RunExecution {

  private static final AtomicInteger RUNNING = new AtomicInteger();
  private final long epochMillis = Long.getLong("modalgrid.test.epoch-millis", 150);

  @Override
  public RunResult execute(RunSpec spec, TrainingListener listener) {
    int peak = RUNNING.incrementAndGet();
    try {
      List<EpochStat> history = new ArrayList<>();
      for (int e = 1; e <= spec.train().epochs(); e++) {
        if (listener.stopRequested()) throw new TrainingCancelledException("cancelled at epoch " + e);
        try {
          Thread.sleep(epochMillis);
        } catch (InterruptedException ex) {
          Thread.currentThread().interrupt();
          throw new IllegalStateException("interrupted", ex);
        }
        peak = Math.max(peak, RUNNING.get());
        EpochStat s = new EpochStat(e, 1.0 / e, e == spec.train().epochs() ? 80.0 : null, e * epochMillis);
        history.add(s);
        listener.onEpoch(s);
      }
      double acc = 50 + 10 * spec.cell().subset().size() + spec.cell().seed() + 10 * spec.cell().fraction();
      return new RunResult(Map.of("accuracy", acc, "test_error", 100 - acc, "test_ce", 1.0 / acc,
          "concurrent_peak", (double) peak), Map.of("eta_error", 99 - acc, "eta_ce", 1.5 / acc), 10, history,
          epochMillis * spec.train().epochs(), 1, epochMillis * spec.train().epochs());
    } finally {
      RUNNING.decrementAndGet();
    }
  }
}
