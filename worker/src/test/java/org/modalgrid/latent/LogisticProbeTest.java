package org.modalgrid.latent;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class LogisticProbeTest {

  private static final ProbeSpec SPEC = new ProbeSpec(2, 1e-3, 500, 1e-6, 1, 1, 1e-6);

  /** At the returned parameters the gradient of the penalised loss, recomputed here, is ~0 (KKT). */
  @Test
  void fittedProbeIsStationary() {
    SplittableRandom rng = new SplittableRandom(1);
    int n = 400;
    int p = 6;
    int c = 3;
    Data d = mixture(rng, n, p, c, 1.0);
    // one constant column: centred, not scaled
    for (int i = 0; i < n; i++) d.z.putScalar(i, 2, 4.5f);
    double l2 = 0.05;
    LogisticProbe.Model m = LogisticProbe.fit(d.z, d.labels, c, l2, 500, 1e-8);
    assertTrue(m.converged(), "not converged after " + m.iterations() + " iterations");

    // standardization from the fitting rows, computed independently
    double[][] x = new double[n][p];
    for (int j = 0; j < p; j++) {
      double mean = 0;
      for (int i = 0; i < n; i++) mean += d.z.getDouble(i, j);
      mean /= n;
      double ss = 0;
      for (int i = 0; i < n; i++) ss += Math.pow(d.z.getDouble(i, j) - mean, 2);
      double sd = Math.sqrt(ss / n);
      assertEquals(mean, m.mean()[j], 1e-9 * Math.max(1, Math.abs(mean)));
      assertEquals(j == 2 ? 1.0 : sd, m.scale()[j], 1e-9);
      for (int i = 0; i < n; i++) x[i][j] = (d.z.getDouble(i, j) - mean) / (j == 2 ? 1.0 : sd);
    }
    double[][] gw = new double[p][c];
    double[] gb = new double[c];
    double loss = 0;
    for (int i = 0; i < n; i++) {
      double[] logit = new double[c];
      for (int k = 0; k < c; k++) {
        logit[k] = m.intercepts()[k];
        for (int j = 0; j < p; j++) logit[k] += x[i][j] * m.weight(j, k);
      }
      double lse = logSumExp(logit);
      loss += lse - logit[d.labels[i]];
      for (int k = 0; k < c; k++) {
        double r = Math.exp(logit[k] - lse) - (k == d.labels[i] ? 1 : 0);
        gb[k] += r / n;
        for (int j = 0; j < p; j++) gw[j][k] += r * x[i][j] / n;
      }
    }
    double penalty = 0;
    double maxGrad = 0;
    for (int j = 0; j < p; j++) {
      for (int k = 0; k < c; k++) {
        penalty += m.weight(j, k) * m.weight(j, k);
        maxGrad = Math.max(maxGrad, Math.abs(gw[j][k] + l2 * m.weight(j, k)));
      }
    }
    for (int k = 0; k < c; k++) maxGrad = Math.max(maxGrad, Math.abs(gb[k]));
    assertTrue(maxGrad < 1e-7, "gradient max-norm " + maxGrad);
    assertEquals(loss / n + 0.5 * l2 * penalty, m.objective(), 1e-10);
    // the constant column carries no weight at the optimum (its standardized value is 0)
    for (int k = 0; k < c; k++) assertEquals(0.0, m.weight(2, k), 1e-12);
  }

  /** crossFit = fit on the other folds and score each fold, averaged over rows, recomputed by hand. */
  @Test
  void crossFitMatchesFoldByFoldComputation() {
    SplittableRandom rng = new SplittableRandom(2);
    int n = 301;
    int c = 4;
    Data d = mixture(rng, n, 5, c, 0.7);
    ProbeSpec spec = new ProbeSpec(3, 1e-2, 500, 1e-6, 1, 1, 1e-6);
    ProbeResult r = LogisticProbe.crossFit(d.z, d.labels, c, spec, 17);

    int[] fold = LogisticProbe.stratifiedFolds(d.labels, c, 3, 17);
    double ce = 0;
    int errors = 0;
    for (int f = 0; f < 3; f++) {
      final int ff = f;
      int[] fitRows = java.util.stream.IntStream.range(0, n).filter(i -> fold[i] != ff).toArray();
      int[] scoreRows = java.util.stream.IntStream.range(0, n).filter(i -> fold[i] == ff).toArray();
      int[] fitLabels = java.util.Arrays.stream(fitRows).map(i -> d.labels[i]).toArray();
      LogisticProbe.Model m = LogisticProbe.fit(Nd4j.pullRows(d.z, 1, fitRows), fitLabels, c, spec);
      for (int i : scoreRows) {
        double[] logit = new double[c];
        for (int k = 0; k < c; k++) {
          logit[k] = m.intercepts()[k];
          for (int j = 0; j < 5; j++) logit[k] += (d.z.getDouble(i, j) - m.mean()[j]) / m.scale()[j] * m.weight(j, k);
        }
        ce += logSumExp(logit) - logit[d.labels[i]];
        int arg = 0;
        for (int k = 1; k < c; k++) if (logit[k] > logit[arg]) arg = k;
        if (arg != d.labels[i]) errors++;
      }
    }
    assertEquals(ce / n, r.crossEntropy(), 1e-9);
    assertEquals(100.0 * errors / n, r.errorRate(), 1e-9);
    assertTrue(r.errorRate() > 0 && r.errorRate() < 100 * (c - 1.0) / c);
  }

  @Test
  void foldsAreStratifiedBalancedAndSeeded() {
    int[] labels = new int[103];
    for (int i = 0; i < labels.length; i++) labels[i] = i < 60 ? 0 : (i < 95 ? 1 : 2);
    int[] a = LogisticProbe.stratifiedFolds(labels, 3, 2, 5);
    assertArrayEquals(a, LogisticProbe.stratifiedFolds(labels, 3, 2, 5));
    assertFalse(java.util.Arrays.equals(a, LogisticProbe.stratifiedFolds(labels, 3, 2, 6)));
    int[][] counts = new int[3][2];
    for (int i = 0; i < labels.length; i++) counts[labels[i]][a[i]]++;
    assertArrayEquals(new int[] {30, 30}, counts[0]);
    assertEquals(1, Math.abs(counts[1][0] - counts[1][1]));
    assertTrue(Math.abs(counts[2][0] - counts[2][1]) <= 1);
    int fold0 = counts[0][0] + counts[1][0] + counts[2][0];
    assertTrue(Math.abs(2 * fold0 - labels.length) <= 1, "fold sizes " + fold0 + " / " + (labels.length - fold0));
  }

  /**
   * Two classes N(±μ·e₁, I) in 3 dimensions, equal priors: the Bayes posterior is logistic in x₁
   * with slope 2μ. The cross-fitted probe risk is the Bayes risk on the same rows up to estimation
   * error (4 parameters from 3 000 rows).
   */
  @Test
  void twoGaussiansReachTheBayesRisk() {
    SplittableRandom rng = new SplittableRandom(3);
    int n = 6000;
    double mu = 1.0;
    float[][] v = new float[n][3];
    int[] labels = new int[n];
    double bayesCe = 0;
    int bayesErrors = 0;
    for (int i = 0; i < n; i++) {
      labels[i] = i % 2;
      double sign = labels[i] == 1 ? 1 : -1;
      for (int j = 0; j < 3; j++) v[i][j] = (float) ((j == 0 ? sign * mu : 0) + rng.nextGaussian());
      double a = 2 * mu * v[i][0] * sign; // log-odds of the true class
      bayesCe += Math.log1p(Math.exp(-a));
      if (a < 0) bayesErrors++;
    }
    bayesCe /= n;
    ProbeResult r = LogisticProbe.crossFit(Nd4j.createFromArray(v), labels, 2,
        new ProbeSpec(2, 1e-6, 500, 1e-7, 1, 1, 0), 1);
    assertEquals(bayesCe, r.crossEntropy(), 0.005, "Bayes cross-entropy on these rows " + bayesCe);
    assertEquals(100.0 * bayesErrors / n, r.errorRate(), 0.5);
    // and the population values: error Φ(−1) = 15.87 %
    assertEquals(15.87, r.errorRate(), 1.5);
  }

  @Test
  void informativeCodesHaveLowerRiskThanNoise() {
    SplittableRandom rng = new SplittableRandom(4);
    Data good = mixture(rng, 600, 8, 3, 1.5);
    INDArray noise = mixture(rng, 600, 8, 3, 0.0).z;
    ProbeResult informative = LogisticProbe.crossFit(good.z, good.labels, 3, SPEC, 1);
    ProbeResult uninformative = LogisticProbe.crossFit(noise, good.labels, 3, SPEC, 1);
    assertTrue(informative.errorRate() < 10, "error " + informative.errorRate());
    assertTrue(uninformative.errorRate() > 50, "error " + uninformative.errorRate());
    assertTrue(uninformative.crossEntropy() > Math.log(3) - 0.05);
    assertTrue(informative.crossEntropy() < uninformative.crossEntropy() - 0.5);
  }

  record Data(INDArray z, int[] labels) {}

  /** Class means ~ N(0, separation²·I), unit-variance noise, labels i mod c. */
  static Data mixture(SplittableRandom rng, int n, int p, int c, double separation) {
    double[][] means = new double[c][p];
    for (double[] m : means) for (int j = 0; j < p; j++) m[j] = separation * rng.nextGaussian();
    float[][] v = new float[n][p];
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      labels[i] = i % c;
      for (int j = 0; j < p; j++) v[i][j] = (float) (means[labels[i]][j] + rng.nextGaussian());
    }
    return new Data(Nd4j.createFromArray(v), labels);
  }

  static double logSumExp(double[] v) {
    double max = Double.NEGATIVE_INFINITY;
    for (double x : v) max = Math.max(max, x);
    double s = 0;
    for (double x : v) s += Math.exp(x - max);
    return max + Math.log(s);
  }
}
