package org.modalgrid.model;

import org.nd4j.linalg.factory.Environment;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.nativeblas.NativeOpsHolder;

/**
 * The process-wide CPU thread budget of ND4J. ND4J keeps its thread counts in global native
 * state, so this is a setting of the whole JVM, not of one training run: call it once at start-up
 * (and again only when no training is running).
 *
 * <p>In ND4J 1.0.0-M2.1 three libraries decide how many cores an op uses: libnd4j's own thread
 * pool ({@code Environment.setMaxMasterThreads}), its OpenMP loops ({@code
 * NativeOps.setOmpNumThreads}) and OpenBLAS ({@code openblas_set_num_threads}, reached through
 * {@code Nd4j.factory().blas().setMaxThreads}). {@code apply(n)} gives libnd4j's pool and OpenBLAS
 * {@code n} threads (libnd4j caps its pool at the processor count; {@code
 * Environment.setMaxThreads}, also called, only ever raises the pool size).
 *
 * <p>OpenMP gets 1 thread unless the environment sets {@code OMP_WAIT_POLICY=passive}: by default
 * libgomp's idle workers spin after every parallel loop and take the cores away from the OpenBLAS
 * threads of the next matrix product. Measured on 2 cores (IEMOCAP-shaped epoch, 13 200 rows,
 * plain pass): 2 OpenMP threads 270–550 ms, 1 OpenMP thread 140–170 ms; small models 3–5 ms
 * against 1 ms per step. The element-wise work left to OpenMP here (bias rows, ReLU, Adam on ~10⁵
 * numbers, row gathers) is small or memory-bound.
 *
 * <p>Several runs training at once in one process share the budget: with s concurrent runs on p
 * cores, {@code apply(max(1, p / s))} avoids oversubscription.
 */
public final class ThreadBudget {

  private static volatile boolean applied;

  private ThreadBudget() {}

  /**
   * Applies a budget of all available processors unless {@link #apply} was called already.
   * The trainer and the probes call this first, so that a process that never chose a budget does
   * not run with ND4J's defaults (whose spinning OpenMP workers halve the speed here).
   */
  public static void applyDefaultIfUnset() {
    if (!applied) {
      synchronized (ThreadBudget.class) {
        if (!applied) apply(Runtime.getRuntime().availableProcessors());
      }
    }
  }

  /** Sets the ND4J, OpenMP and BLAS thread counts of this process for a budget of {@code threads} cores. */
  public static synchronized void apply(int threads) {
    if (threads < 1) throw new IllegalArgumentException("threads: must be >= 1, got " + threads);
    Environment env = Nd4j.getEnvironment(); // first: initialises the backend that NativeOpsHolder needs
    env.setMaxThreads(threads);
    env.setMaxMasterThreads(threads);
    NativeOpsHolder.getInstance().getDeviceNativeOps().setOmpNumThreads(ompThreads(threads));
    Nd4j.factory().blas().setMaxThreads(threads);
    applied = true;
  }

  /** OpenMP threads for a budget: the budget when idle OpenMP workers sleep, else 1. */
  static int ompThreads(int threads) {
    String policy = System.getenv("OMP_WAIT_POLICY");
    return policy != null && policy.trim().equalsIgnoreCase("passive") ? threads : 1;
  }

  /** The counts in effect, as the native libraries report them. */
  public static Counts current() {
    Environment env = Nd4j.getEnvironment();
    return new Counts(env.maxThreads(), env.maxMasterThreads(),
        NativeOpsHolder.getInstance().getDeviceNativeOps().ompGetMaxThreads(),
        Nd4j.factory().blas().getMaxThreads());
  }

  /** Thread counts as reported by libnd4j, OpenMP and the BLAS library. */
  public record Counts(int nd4jThreads, int nd4jMasterThreads, int ompThreads, int blasThreads) {
    /** True when these are the counts {@link #apply}{@code (threads)} sets. */
    public boolean matches(int threads) {
      return nd4jMasterThreads == threads && ompThreads == ThreadBudget.ompThreads(threads) && blasThreads == threads;
    }
  }
}
