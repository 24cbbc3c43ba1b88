package org.modalgrid.run;

import org.modalgrid.model.TrainingListener;
import org.modalgrid.protocol.RunResult;
import org.modalgrid.protocol.RunSpec;

/** Executes one run to completion on the calling thread. Plain Java: no actors in here. */
@FunctionalInterface
public interface RunExecution {

  RunResult execute(RunSpec spec, TrainingListener listener);
}
