package org.modalgrid.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.modalgrid.data.Task;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

class LateFusionTrainerTest {

  private final LateFusionTrainer trainer = new LateFusionTrainer();

  // --------------------------------------------------------------------------------- regression

  /** y = c + Σ a_k·x_k + noise: the trained end-to-end predictor is the least-squares fit. */
  @Test
  void linearRegressionConvergesToLeastSquares() {
    SplittableRandom rng = new SplittableRandom(1);
    int[] dims = {3, 4};
    double[] coef = {1.0, -2.0, 0.5, 1.5, 0.0, -1.0, 2.5};
    Regression d = regression(rng, dims, coef, 7.0, 0.5, 300, 200);
    TrainSpec spec = new TrainSpec(1500, 300, 0.01, 0.9, 0.999, 1e-8, 0.0, 500, true);
    Trainer.TrainResult r = trainer.train(d.data, ModelSpec.linear(4), spec, 3, TrainingListener.NONE);

    double[] ls = leastSquares(d.data.trainX(), d.data.trainTargets());
    double[] lsPred = predict(ls, d.data.testX());
    LateFusionModel m = (LateFusionModel) r.model();
    float[] pred = m.outputs(d.data.testX()).data().asFloat();
    double lsMse = 0;
    double maxDiff = 0;
    for (int i = 0; i < pred.length; i++) {
      double e = lsPred[i] - d.data.testTargets()[i];
      lsMse += e * e;
      maxDiff = Math.max(maxDiff, Math.abs(pred[i] - lsPred[i]));
    }
    lsMse /= pred.length;
    // predictions agree with least squares to a small fraction of the noise (sd 0.5)
    assertTrue(maxDiff < 0.02, "max |model - least squares| = " + maxDiff);
    assertEquals(lsMse, r.test().mse(), 0.01 * lsMse);
    // the training loss is the least-squares residual variance, ~ 0.25 here
    double lsTrain = 0;
    double[] lsTrainPred = predict(ls, d.data.trainX());
    for (int i = 0; i < lsTrainPred.length; i++) {
      double e = lsTrainPred[i] - d.data.trainTargets()[i];
      lsTrain += e * e;
    }
    lsTrain /= lsTrainPred.length;
    assertEquals(lsTrain, r.finalTrainLoss(), 0.01 * lsTrain);
    assertEquals(r.test().mse(), r.history().get(r.history().size() - 1).testMetric(), 1e-12);
    assertTrue(Double.isNaN(r.test().accuracy()));
  }

  /** An exact linear target without target standardization: test MSE ≈ 0 relative to Var(y). */
  @Test
  void exactLinearTargetIsLearnedWithoutStandardization() {
    SplittableRandom rng = new SplittableRandom(2);
    int[] dims = {4, 2};
    double[] coef = {0.5, -1.0, 2.0, 0.3, -0.7, 1.2};
    Regression d = regression(rng, dims, coef, -1.0, 0.0, 256, 128);
    TrainSpec spec = new TrainSpec(800, 128, 0.01, 0.9, 0.999, 1e-8, 0.0, 100, false);
    Trainer.TrainResult r = trainer.train(d.data, ModelSpec.linear(3), spec, 9, TrainingListener.NONE);
    double var = variance(d.data.testTargets());
    assertTrue(r.test().mse() < 1e-4 * var, "test MSE " + r.test().mse() + " vs Var(y) " + var);
  }

  // ----------------------------------------------------------------------------- classification

  @Test
  void separableBlobsAreClassified() {
    Classification d = blobs(new SplittableRandom(4), new int[] {5, 8}, 3, 3.0, 600, 300);
    TrainSpec spec = new TrainSpec(30, 128, 0.01, 0.9, 0.999, 1e-8, 1e-4, 7, true);
    List<EpochStat> seen = new ArrayList<>();
    Trainer.TrainResult r = trainer.train(d.data, ModelSpec.linear(6), spec, 5, seen::add);

    assertTrue(r.test().accuracy() >= 98.0, "accuracy " + r.test().accuracy());
    assertTrue(r.test().crossEntropy() < 0.1, "cross-entropy " + r.test().crossEntropy());
    assertTrue(Double.isNaN(r.test().mse()));
    assertEquals(30, r.history().size());
    assertEquals(r.history(), seen);
    for (EpochStat s : r.history()) {
      boolean evaluated = s.epoch() % 7 == 0 || s.epoch() == 30;
      if (evaluated) assertNotNull(s.testMetric(), "epoch " + s.epoch());
      else assertNull(s.testMetric(), "epoch " + s.epoch());
    }
    assertTrue(r.history().get(29).trainLoss() < 0.2 * r.history().get(0).trainLoss());
    assertEquals(r.history().get(29).trainLoss(), r.finalTrainLoss());
    // the returned model scores the test split as the trainer did
    Evaluation again = r.model().evaluate(d.data.testX(), d.data.testLabels(), null);
    assertEquals(r.test().accuracy(), again.accuracy(), 1e-9);
    assertEquals(r.test().crossEntropy(), again.crossEntropy(), 1e-9);
  }

  /** XOR of two signs needs the hidden ReLU layer: the linear encoder cannot separate it. */
  @Test
  void mlpEncoderLearnsWhatALinearOneCannot() {
    SplittableRandom rng = new SplittableRandom(8);
    int train = 800;
    int test = 400;
    float[][] x = new float[train + test][2];
    int[] y = new int[train + test];
    for (int i = 0; i < x.length; i++) {
      x[i][0] = (float) (2 * rng.nextDouble() - 1);
      x[i][1] = (float) (2 * rng.nextDouble() - 1);
      y[i] = x[i][0] * x[i][1] > 0 ? 1 : 0;
    }
    INDArray all = Nd4j.createFromArray(x);
    INDArray noise = gaussian(rng, train + test, 3);
    TrainingData data = new TrainingData(Task.CLASSIFICATION, 2,
        List.of(rows(all, 0, train), rows(noise, 0, train)), java.util.Arrays.copyOfRange(y, 0, train), null,
        List.of(rows(all, train, train + test), rows(noise, train, train + test)),
        java.util.Arrays.copyOfRange(y, train, train + test), null);
    TrainSpec spec = new TrainSpec(150, 200, 0.02, 0.9, 0.999, 1e-8, 0.0, 50, true);
    double mlp = trainer.train(data, new ModelSpec("mlp", List.of(32), 8), spec, 1, TrainingListener.NONE).test().accuracy();
    double linear = trainer.train(data, ModelSpec.linear(8), spec, 1, TrainingListener.NONE).test().accuracy();
    assertTrue(mlp > 93, "mlp accuracy " + mlp);
    assertTrue(linear < 70, "linear accuracy " + linear);
  }

  // ------------------------------------------------------------------------ failure and control

  @Test
  void infiniteInputsDivergeAtTheFirstEpoch() {
    Classification d = blobs(new SplittableRandom(5), new int[] {4, 4}, 2, 2.0, 100, 50);
    d.data.trainX().get(1).putScalar(17, 2, Float.POSITIVE_INFINITY);
    TrainSpec spec = new TrainSpec(5, 32, 0.01, 0.9, 0.999, 1e-8, 0.0, 1, true);
    TrainingDivergedException e = assertThrows(TrainingDivergedException.class,
        () -> trainer.train(d.data, ModelSpec.linear(3), spec, 1, TrainingListener.NONE));
    assertEquals("training loss became NaN at epoch 1", e.getMessage());
  }

  /** Adam moves each weight by about lr per step: 1e10 overflows float at the first epoch. */
  @Test
  void absurdLearningRateDiverges() {
    Regression d = regression(new SplittableRandom(6), new int[] {3, 3}, new double[] {1, 2, 3, 4, 5, 6}, 0, 0.1, 200, 50);
    TrainSpec spec = new TrainSpec(50, 50, 1e10, 0.9, 0.999, 1e-8, 0.0, 10, true);
    TrainingDivergedException e = assertThrows(TrainingDivergedException.class,
        () -> trainer.train(d.data, ModelSpec.linear(4), spec, 1, TrainingListener.NONE));
    assertTrue(e.getMessage().matches("training loss became (NaN|infinite) at epoch 1"), e.getMessage());
  }

  /** Inputs that turn infinite after epoch 3 (the shuffle re-reads them each epoch): epoch 4 diverges. */
  @Test
  void divergenceNamesTheEpochItHappensIn() {
    Classification d = blobs(new SplittableRandom(12), new int[] {4, 4}, 2, 2.0, 100, 50);
    TrainSpec spec = new TrainSpec(10, 32, 0.01, 0.9, 0.999, 1e-8, 0.0, 1, true);
    List<EpochStat> seen = new ArrayList<>();
    TrainingListener poisonAfterThree = stat -> {
      seen.add(stat);
      assertTrue(Double.isFinite(stat.trainLoss()));
      if (stat.epoch() == 3) d.data.trainX().get(0).putScalar(5, 1, Float.NEGATIVE_INFINITY);
    };
    TrainingDivergedException e = assertThrows(TrainingDivergedException.class,
        () -> trainer.train(d.data, ModelSpec.linear(3), spec, 1, poisonAfterThree));
    assertEquals("training loss became NaN at epoch 4", e.getMessage());
    assertEquals(3, seen.size());
  }

  @Test
  void listenerCanStopTraining() {
    Classification d = blobs(new SplittableRandom(7), new int[] {4}, 2, 2.0, 64, 32);
    List<EpochStat> seen = new ArrayList<>();
    TrainingListener stopAfterThree = new TrainingListener() {
      @Override public void onEpoch(EpochStat stat) { seen.add(stat); }
      @Override public boolean stopRequested() { return seen.size() >= 3; }
    };
    TrainSpec spec = new TrainSpec(100, 16, 0.01, 0.9, 0.999, 1e-8, 0.0, 1, true);
    TrainingCancelledException e = assertThrows(TrainingCancelledException.class,
        () -> trainer.train(d.data, ModelSpec.linear(2), spec, 1, stopAfterThree));
    assertEquals(3, seen.size());
    assertTrue(e.getMessage().contains("before epoch 4"), e.getMessage());
  }

  @Test
  void sameSeedSameHistoryOtherSeedOtherHistory() {
    Classification d = blobs(new SplittableRandom(9), new int[] {6, 3}, 4, 1.0, 500, 100);
    TrainSpec spec = new TrainSpec(8, 64, 0.01, 0.9, 0.999, 1e-8, 1e-3, 2, true);
    ModelSpec model = new ModelSpec("mlp", List.of(10), 5);
    Trainer.TrainResult a = trainer.train(d.data, model, spec, 42, TrainingListener.NONE);
    Trainer.TrainResult b = trainer.train(d.data, model, spec, 42, TrainingListener.NONE);
    Trainer.TrainResult c = trainer.train(d.data, model, spec, 43, TrainingListener.NONE);
    assertArrayEquals(losses(a), losses(b));
    assertArrayEquals(((LateFusionModel) a.model()).flatParameters().data().asFloat(),
        ((LateFusionModel) b.model()).flatParameters().data().asFloat());
    assertFalse(java.util.Arrays.equals(losses(a), losses(c)));
  }

  /** The factored and the plain pass compute the same gradients: the runs agree to float rounding. */
  @Test
  void factoredAndPlainTrainingAgree() {
    Classification d = blobs(new SplittableRandom(13), new int[] {12, 7}, 3, 0.8, 400, 100);
    TrainSpec spec = new TrainSpec(5, 64, 0.01, 0.9, 0.999, 1e-8, 1e-3, 5, true);
    for (ModelSpec model : List.of(ModelSpec.linear(16), new ModelSpec("mlp", List.of(10), 16))) {
      Trainer.TrainResult factored = new LateFusionTrainer(true).train(d.data, model, spec, 3, TrainingListener.NONE);
      Trainer.TrainResult plain = new LateFusionTrainer(false).train(d.data, model, spec, 3, TrainingListener.NONE);
      double[] a = losses(factored);
      double[] b = losses(plain);
      for (int e = 0; e < a.length; e++) assertEquals(b[e], a[e], 1e-4 * b[e], model.encoder() + " epoch " + (e + 1));
      assertFalse(java.util.Arrays.equals(a, b), "the two passes should round differently");
      INDArray pa = ((LateFusionModel) factored.model()).flatParameters();
      INDArray pb = ((LateFusionModel) plain.model()).flatParameters();
      assertTrue(pa.sub(pb).amaxNumber().doubleValue() < 1e-3, model.encoder());
    }
  }

  @Test
  void concurrentRunsMatchSequentialRuns() throws Exception {
    Classification d = blobs(new SplittableRandom(10), new int[] {20, 30}, 3, 1.0, 1000, 200);
    TrainSpec spec = new TrainSpec(6, 128, 0.01, 0.9, 0.999, 1e-8, 0.0, 3, true);
    ModelSpec model = ModelSpec.linear(16);
    double[] seq1 = losses(trainer.train(d.data, model, spec, 1, TrainingListener.NONE));
    double[] seq2 = losses(trainer.train(d.data, model, spec, 2, TrainingListener.NONE));
    ExecutorService pool = Executors.newFixedThreadPool(2);
    try {
      Future<Trainer.TrainResult> f1 = pool.submit(() -> new LateFusionTrainer().train(d.data, model, spec, 1, TrainingListener.NONE));
      Future<Trainer.TrainResult> f2 = pool.submit(() -> new LateFusionTrainer().train(d.data, model, spec, 2, TrainingListener.NONE));
      assertArrayEquals(seq1, losses(f1.get()));
      assertArrayEquals(seq2, losses(f2.get()));
    } finally {
      pool.shutdownNow();
    }
  }

  // ------------------------------------------------------------------------------- the encoder

  @Test
  void linearEncoderIsAffinePerModalityBlock() {
    Classification d = blobs(new SplittableRandom(11), new int[] {3, 5}, 2, 1.0, 50, 20);
    TrainSpec spec = new TrainSpec(3, 16, 0.01, 0.9, 0.999, 1e-8, 0.0, 3, true);
    TrainedModel m = trainer.train(d.data, ModelSpec.linear(4), spec, 1, TrainingListener.NONE).model();
    assertEquals(8, m.latentDim());
    List<INDArray> x = d.data.testX();
    INDArray z = m.encode(x);
    assertArrayEquals(new long[] {20, 8}, z.shape());
    // changing modality 1 leaves the codes of modality 0 alone
    INDArray z2 = m.encode(List.of(x.get(0), x.get(1).mul(2)));
    INDArray block0 = z.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 4));
    assertEquals(0.0, block0.sub(z2.get(NDArrayIndex.all(), NDArrayIndex.interval(0, 4))).amaxNumber().doubleValue(), 0.0);
    assertTrue(z.get(NDArrayIndex.all(), NDArrayIndex.interval(4, 8))
        .sub(z2.get(NDArrayIndex.all(), NDArrayIndex.interval(4, 8))).amaxNumber().doubleValue() > 1e-3);
    // affine: φ(½x + ½x') = ½φ(x) + ½φ(x')
    List<INDArray> y = List.of(x.get(0).mul(-3).addi(1), x.get(1).mul(0.5));
    INDArray mid = m.encode(List.of(x.get(0).add(y.get(0)).muli(0.5), x.get(1).add(y.get(1)).muli(0.5)));
    INDArray avg = z.add(m.encode(y)).muli(0.5);
    assertTrue(mid.sub(avg).amaxNumber().doubleValue() < 1e-5);
    // chunked encoding of many rows agrees with row-wise encoding
    INDArray big0 = Nd4j.rand(DataType.FLOAT, LateFusionTrainer.EVAL_CHUNK + 5, 3);
    INDArray big1 = Nd4j.rand(DataType.FLOAT, LateFusionTrainer.EVAL_CHUNK + 5, 5);
    INDArray zb = m.encode(List.of(big0, big1));
    int last = LateFusionTrainer.EVAL_CHUNK + 4;
    INDArray one = m.encode(List.of(rows(big0, last, last + 1), rows(big1, last, last + 1)));
    assertTrue(zb.getRow(last, true).sub(one).amaxNumber().doubleValue() < 1e-6);
  }

  // ------------------------------------------------------------------------------------ helpers

  record Regression(TrainingData data) {}

  record Classification(TrainingData data) {}

  static Regression regression(SplittableRandom rng, int[] dims, double[] coef, double intercept, double noise,
      int train, int test) {
    int n = train + test;
    List<INDArray> xs = new ArrayList<>();
    for (int d : dims) xs.add(gaussian(rng, n, d));
    float[] y = new float[n];
    for (int i = 0; i < n; i++) {
      double v = intercept + noise * rng.nextGaussian();
      int c = 0;
      for (INDArray x : xs) {
        for (int j = 0; j < x.columns(); j++) v += coef[c++] * x.getDouble(i, j);
      }
      y[i] = (float) v;
    }
    return new Regression(new TrainingData(Task.REGRESSION, 0,
        xs.stream().map(x -> rows(x, 0, train)).toList(), null, java.util.Arrays.copyOfRange(y, 0, train),
        xs.stream().map(x -> rows(x, train, n)).toList(), null, java.util.Arrays.copyOfRange(y, train, n)));
  }

  /** Gaussian blobs: class means drawn once per modality, scaled to {@code separation}. */
  static Classification blobs(SplittableRandom rng, int[] dims, int classes, double separation, int train, int test) {
    int n = train + test;
    int[] y = new int[n];
    for (int i = 0; i < n; i++) y[i] = i % classes;
    List<INDArray> xs = new ArrayList<>();
    for (int d : dims) {
      double[][] means = new double[classes][d];
      for (double[] m : means) for (int j = 0; j < d; j++) m[j] = separation * rng.nextGaussian();
      float[][] v = new float[n][d];
      for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) v[i][j] = (float) (means[y[i]][j] + rng.nextGaussian());
      xs.add(Nd4j.createFromArray(v));
    }
    return new Classification(new TrainingData(Task.CLASSIFICATION, classes,
        xs.stream().map(x -> rows(x, 0, train)).toList(), java.util.Arrays.copyOfRange(y, 0, train), null,
        xs.stream().map(x -> rows(x, train, n)).toList(), java.util.Arrays.copyOfRange(y, train, n), null));
  }

  static INDArray gaussian(SplittableRandom rng, int rows, int cols) {
    float[][] v = new float[rows][cols];
    for (float[] r : v) for (int j = 0; j < cols; j++) r[j] = (float) rng.nextGaussian();
    return Nd4j.createFromArray(v);
  }

  static INDArray rows(INDArray x, int from, int to) {
    return x.get(NDArrayIndex.interval(from, to), NDArrayIndex.all()).dup('c');
  }

  static double[] losses(Trainer.TrainResult r) {
    return r.history().stream().mapToDouble(EpochStat::trainLoss).toArray();
  }

  static double variance(float[] y) {
    double m = 0;
    for (float v : y) m += v;
    m /= y.length;
    double s = 0;
    for (float v : y) s += (v - m) * (v - m);
    return s / y.length;
  }

  /** Ordinary least squares with intercept on the concatenated inputs, by Gauss–Jordan elimination. */
  static double[] leastSquares(List<INDArray> xs, float[] y) {
    double[][] rows = design(xs);
    int p = rows[0].length;
    double[][] a = new double[p][p + 1];
    for (int i = 0; i < rows.length; i++) {
      for (int j = 0; j < p; j++) {
        for (int k = 0; k < p; k++) a[j][k] += rows[i][j] * rows[i][k];
        a[j][p] += rows[i][j] * y[i];
      }
    }
    for (int c = 0; c < p; c++) {
      int piv = c;
      for (int r = c + 1; r < p; r++) if (Math.abs(a[r][c]) > Math.abs(a[piv][c])) piv = r;
      double[] t = a[c];
      a[c] = a[piv];
      a[piv] = t;
      for (int r = 0; r < p; r++) {
        if (r == c) continue;
        double f = a[r][c] / a[c][c];
        for (int k = c; k <= p; k++) a[r][k] -= f * a[c][k];
      }
    }
    double[] beta = new double[p];
    for (int j = 0; j < p; j++) beta[j] = a[j][p] / a[j][j];
    return beta;
  }

  static double[] predict(double[] beta, List<INDArray> xs) {
    double[][] rows = design(xs);
    double[] out = new double[rows.length];
    for (int i = 0; i < rows.length; i++) {
      for (int j = 0; j < beta.length; j++) out[i] += beta[j] * rows[i][j];
    }
    return out;
  }

  private static double[][] design(List<INDArray> xs) {
    int n = (int) xs.get(0).rows();
    int p = 1 + xs.stream().mapToInt(x -> (int) x.columns()).sum();
    double[][] r = new double[n][p];
    for (int i = 0; i < n; i++) {
      r[i][0] = 1;
      int c = 1;
      for (INDArray x : xs) for (int j = 0; j < x.columns(); j++) r[i][c++] = x.getDouble(i, j);
    }
    return r;
  }
}
