package org.modalgrid.run;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.modalgrid.data.DataException;
import org.modalgrid.data.DatasetCache;
import org.modalgrid.data.FreshSampler;
import org.modalgrid.data.MultimodalDataset;
import org.modalgrid.data.Sampling;
import org.modalgrid.data.Seeds;
import org.modalgrid.data.Standardizer;
import org.modalgrid.data.Task;
import org.modalgrid.latent.LatentQuality;
import org.modalgrid.latent.ProbeResult;
import org.modalgrid.model.Trainer;
import org.modalgrid.model.TrainingData;
import org.modalgrid.model.TrainingListener;
import org.modalgrid.protocol.Cell;
import org.modalgrid.protocol.RunResult;
import org.modalgrid.protocol.RunSpec;

/**
 * One run, start to finish (PAPER.md section 3): load the dataset, take the cell's training sample,
 * standardize with that sample's statistics, train end to end, then freeze the encoder and
 * estimate the latent quality eta. Plain Java on the calling thread.
 *
 * <p>Seeds: the training sample depends on (fraction, seed) only, so every subset of a cell
 * trains on the same rows S; initialisation, batch order and probe folds have their own streams
 * derived from the seed.
 */
public final class RunExecutor implements RunExecution {

  static final long SAMPLE_STREAM = 1;
  static final long INIT_STREAM = 2;
  static final long PROBE_STREAM = 3;
  static final long FRESH_FIT_STREAM = 4;
  static final long FRESH_SCORE_STREAM = 5;

  private final DatasetCache cache;
  private final Trainer trainer;

  public RunExecutor(DatasetCache cache, Trainer trainer) {
    this.cache = cache;
    this.trainer = trainer;
  }

  @Override
  public RunResult execute(RunSpec spec, TrainingListener listener) {
    long t0 = System.currentTimeMillis();
    Cell cell = spec.cell();
    Config datasetConfig = ConfigFactory.parseMap(spec.dataset(), "run " + spec.runId() + " dataset");
    MultimodalDataset ds = cache.get(datasetConfig, cell.seed());
    for (String m : cell.subset()) {
      if (!ds.modalities().contains(m)) {
        throw new DataException(ds.name() + ": no modality '" + m + "'; it has " + ds.modalities());
      }
    }
    boolean cls = ds.task() == Task.CLASSIFICATION;
    int[] sample = Sampling.stratifiedSample(ds.trainRows(), cls ? ds.labels() : null, cell.fraction(),
        Seeds.mix(cell.seed(), SAMPLE_STREAM));
    int[] test = ds.testRows();

    List<Standardizer> standardizers = new ArrayList<>();
    List<org.nd4j.linalg.api.ndarray.INDArray> trainX = new ArrayList<>();
    List<org.nd4j.linalg.api.ndarray.INDArray> testX = new ArrayList<>();
    for (String m : cell.subset()) {
      Standardizer st = Standardizer.fit(ds.features(m), sample);
      standardizers.add(st);
      trainX.add(st.apply(ds.features(m), sample));
      testX.add(st.apply(ds.features(m), test));
    }
    TrainingData data = new TrainingData(ds.task(), ds.numClasses(), trainX,
        cls ? pick(ds.labels(), sample) : null, cls ? null : pick(ds.targets(), sample),
        testX, cls ? pick(ds.labels(), test) : null, cls ? null : pick(ds.targets(), test));

    long tTrain = System.currentTimeMillis();
    Trainer.TrainResult trained = trainer.train(data, spec.model(), spec.train(), Seeds.mix(cell.seed(), INIT_STREAM), listener);
    long trainMillis = System.currentTimeMillis() - tTrain;

    Map<String, Double> metrics = new LinkedHashMap<>();
    Map<String, Double> eta = new LinkedHashMap<>();
    long tProbe = System.currentTimeMillis();
    if (cls) {
      metrics.put("accuracy", trained.test().accuracy());
      metrics.put("test_error", trained.test().errorRate());
      metrics.put("test_ce", trained.test().crossEntropy());
      ProbeResult probe = LatentQuality.classificationEta(trained.model(), testX, data.testLabels(), ds.numClasses(),
          spec.probe(), Seeds.mix(cell.seed(), PROBE_STREAM));
      eta.put("eta_error", probe.errorRate());
      eta.put("eta_ce", probe.crossEntropy());
    } else {
      metrics.put("test_mse", trained.test().mse());
      FreshSampler fresh = ds.freshSampler().orElse(null);
      if (fresh != null) {
        FreshSampler.Sample fit = fresh.draw(spec.probe().fitRows(), Seeds.mix(cell.seed(), FRESH_FIT_STREAM));
        FreshSampler.Sample score = fresh.draw(spec.probe().scoreRows(), Seeds.mix(cell.seed(), FRESH_SCORE_STREAM));
        double value = LatentQuality.regressionEta(trained.model(), standardize(fit, cell, standardizers), fit.targets(),
            standardize(score, cell, standardizers), score.targets(), spec.probe(), ds.oracleRisk());
        eta.put("eta", value);
        eta.put("probe_mse", value + ds.oracleRisk());
      } else {
        // No generator: cross-fit the least-squares head on the test split's latent codes; the
        // oracle risk is unknown, so eta is the probe MSE (up to that constant, which cancels in gamma).
        double probeMse = crossFitLeastSquares(trained.model().encode(testX), data.testTargets(), spec.probe(),
            Seeds.mix(cell.seed(), PROBE_STREAM));
        eta.put("eta", probeMse);
        eta.put("probe_mse", probeMse);
      }
    }
    long probeMillis = System.currentTimeMillis() - tProbe;
    return new RunResult(metrics, eta, sample.length, trained.history(), trainMillis, probeMillis,
        System.currentTimeMillis() - t0);
  }

  private static List<org.nd4j.linalg.api.ndarray.INDArray> standardize(FreshSampler.Sample s, Cell cell,
      List<Standardizer> standardizers) {
    List<org.nd4j.linalg.api.ndarray.INDArray> out = new ArrayList<>();
    for (int i = 0; i < cell.subset().size(); i++) {
      out.add(standardizers.get(i).apply(s.features().get(cell.subset().get(i))));
    }
    return out;
  }

  /** Least-squares head cross-fitted over {@code probe.folds} random folds of the rows; mean held-out MSE. */
  static double crossFitLeastSquares(org.nd4j.linalg.api.ndarray.INDArray z, float[] y, org.modalgrid.latent.ProbeSpec probe,
      long seed) {
    int n = y.length;
    int folds = Math.min(probe.folds(), n);
    int[] perm = new int[n];
    java.util.Arrays.setAll(perm, i -> i);
    java.util.Random rnd = new java.util.Random(seed);
    for (int i = n - 1; i > 0; i--) {
      int j = rnd.nextInt(i + 1);
      int t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
    }
    double sse = 0;
    for (int f = 0; f < folds; f++) {
      List<Integer> fit = new ArrayList<>();
      List<Integer> held = new ArrayList<>();
      for (int i = 0; i < n; i++) (i % folds == f ? held : fit).add(perm[i]);
      if (fit.isEmpty() || held.isEmpty()) continue;
      int[] fi = fit.stream().mapToInt(Integer::intValue).toArray();
      int[] hi = held.stream().mapToInt(Integer::intValue).toArray();
      double mse = org.modalgrid.latent.LeastSquaresProbe.fitAndScore(rows(z, fi), pick(y, fi), rows(z, hi), pick(y, hi),
          probe.ridge());
      sse += mse * hi.length;
    }
    return sse / n;
  }

  private static org.nd4j.linalg.api.ndarray.INDArray rows(org.nd4j.linalg.api.ndarray.INDArray z, int[] idx) {
    return org.nd4j.linalg.factory.Nd4j.pullRows(z, 1, idx, 'c');
  }

  static int[] pick(int[] values, int[] rows) {
    int[] out = new int[rows.length];
    for (int i = 0; i < rows.length; i++) out[i] = values[rows[i]];
    return out;
  }

  static float[] pick(float[] values, int[] rows) {
    float[] out = new float[rows.length];
    for (int i = 0; i < rows.length; i++) out[i] = values[rows[i]];
    return out;
  }
}
