package org.modalgrid.latent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.modalgrid.data.Task;
import org.modalgrid.model.LateFusionTrainer;
import org.modalgrid.model.ModelSpec;
import org.modalgrid.model.TrainSpec;
import org.modalgrid.model.TrainedModel;
import org.modalgrid.model.TrainingData;
import org.modalgrid.model.TrainingListener;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class LatentQualityTest {

  private static final ProbeSpec SPEC = new ProbeSpec(2, 1e-3, 500, 1e-6, 20000, 20000, 1e-6);

  /**
   * PAPER.md §2b with K = 2, d_s = d_u = 5, w = 0.5, σ = 0: an encoder of m1 alone cannot see
   * u₂, so η({m1}) = (1 − w)²·‖θ₂ᵘ‖²; the encoder of both modalities has η ≈ 0.
   */
  @Test
  void regressionEtaMatchesThePopulationValue() {
    Overlap gen = new Overlap(new SplittableRandom(1), 5, 0.5);
    Overlap.Sample train = gen.draw(4000, 2);
    Overlap.Sample test = gen.draw(500, 3);
    Overlap.Sample fit = gen.draw(SPEC.fitRows(), 4);
    Overlap.Sample score = gen.draw(SPEC.scoreRows(), 5);
    TrainSpec spec = new TrainSpec(200, 1000, 0.01, 0.9, 0.999, 1e-8, 0.0, 50, true);
    LateFusionTrainer trainer = new LateFusionTrainer();

    TrainedModel m1 = trainer.train(new TrainingData(Task.REGRESSION, 0, List.of(train.x.get(0)), null, train.y,
        List.of(test.x.get(0)), null, test.y), ModelSpec.linear(8), spec, 1, TrainingListener.NONE).model();
    double eta1 = LatentQuality.regressionEta(m1, List.of(fit.x.get(0)), fit.y, List.of(score.x.get(0)), score.y, SPEC, 0.0);
    double population = 0.25 * gen.uniqueNorm2(1);
    assertEquals(population, eta1, 0.03 * population, "population eta " + population);

    TrainedModel both = trainer.train(new TrainingData(Task.REGRESSION, 0, train.x, null, train.y, test.x, null, test.y),
        ModelSpec.linear(8), spec, 1, TrainingListener.NONE).model();
    double etaBoth = LatentQuality.regressionEta(both, fit.x, fit.y, score.x, score.y, SPEC, 0.0);
    assertEquals(0.0, etaBoth, 1e-3 * population);
    // the oracle risk is subtracted
    assertEquals(etaBoth - 0.5, LatentQuality.regressionEta(both, fit.x, fit.y, score.x, score.y, SPEC, 0.5), 1e-12);
  }

  @Test
  void classificationEtaIsTheCrossFittedProbeOnTheCodes() {
    SplittableRandom rng = new SplittableRandom(2);
    int n = 900;
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) labels[i] = i % 3;
    INDArray informative = LogisticProbeTest.mixture(rng, n, 6, 3, 1.2).z();
    INDArray noise = LogisticProbeTest.mixture(rng, n, 6, 3, 0.0).z();
    int[] tr = java.util.stream.IntStream.range(0, 600).toArray();
    int[] te = java.util.stream.IntStream.range(600, n).toArray();
    int[] yTr = java.util.Arrays.copyOfRange(labels, 0, 600);
    int[] yTe = java.util.Arrays.copyOfRange(labels, 600, n);
    TrainSpec spec = new TrainSpec(40, 128, 0.01, 0.9, 0.999, 1e-8, 0.0, 40, true);
    List<ProbeResult> results = new ArrayList<>();
    for (INDArray x : List.of(informative, noise)) {
      List<INDArray> xTr = List.of(Nd4j.pullRows(x, 1, tr));
      List<INDArray> xTe = List.of(Nd4j.pullRows(x, 1, te));
      TrainedModel m = new LateFusionTrainer().train(new TrainingData(Task.CLASSIFICATION, 3, xTr, yTr, null, xTe, yTe, null),
          ModelSpec.linear(4), spec, 1, TrainingListener.NONE).model();
      ProbeResult r = LatentQuality.classificationEta(m, xTe, yTe, 3, SPEC, 7);
      assertEquals(LogisticProbe.crossFit(m.encode(xTe), yTe, 3, SPEC, 7), r);
      results.add(r);
    }
    assertTrue(results.get(0).crossEntropy() < results.get(1).crossEntropy() - 0.3, results.toString());
    assertTrue(results.get(0).errorRate() < results.get(1).errorRate() - 20, results.toString());
  }

  /** The synthetic-overlap generator of PAPER.md §2b for K = 2, d_s = d_u = d, σ = 0. */
  static final class Overlap {
    final int d;
    final double w;
    final double[][] thetaS;
    final double[][] thetaU;

    Overlap(SplittableRandom rng, int d, double w) {
      this.d = d;
      this.w = w;
      thetaS = new double[2][d];
      thetaU = new double[2][d];
      for (int k = 0; k < 2; k++) {
        for (int j = 0; j < d; j++) {
          thetaS[k][j] = rng.nextGaussian();
          thetaU[k][j] = rng.nextGaussian();
        }
      }
    }

    double uniqueNorm2(int k) {
      double s = 0;
      for (double v : thetaU[k]) s += v * v;
      return s;
    }

    record Sample(List<INDArray> x, float[] y) {}

    Sample draw(int n, long seed) {
      SplittableRandom rng = new SplittableRandom(seed);
      float[][][] x = new float[2][n][2 * d];
      float[] y = new float[n];
      for (int i = 0; i < n; i++) {
        double[] s = new double[d];
        for (int j = 0; j < d; j++) s[j] = rng.nextGaussian();
        double target = 0;
        for (int k = 0; k < 2; k++) {
          for (int j = 0; j < d; j++) {
            double u = rng.nextGaussian();
            x[k][i][j] = (float) (w * s[j]);
            x[k][i][d + j] = (float) ((1 - w) * u);
            target += thetaS[k][j] * w * s[j] + thetaU[k][j] * (1 - w) * u;
          }
        }
        y[i] = (float) target;
      }
      return new Sample(List.of(Nd4j.createFromArray(x[0]), Nd4j.createFromArray(x[1])), y);
    }
  }
}
