package org.modalgrid.latent;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class LeastSquaresProbeTest {

  /** Four points solved by hand: slope 2.3, intercept 0.8, residuals 0.2, −0.1, −0.4, 0.3. */
  @Test
  void tinyProblemSolvedByHand() {
    INDArray z = Nd4j.createFromArray(new float[][] {{0}, {1}, {2}, {3}});
    float[] y = {1, 3, 5, 8};
    LeastSquaresProbe.Fit fit = LeastSquaresProbe.fit(z, y, 0.0);
    assertEquals(2.3, fit.weights()[0], 1e-9);
    assertEquals(0.8, fit.intercept(), 1e-9);
    assertEquals(0.075, fit.mse(z, y), 1e-9);
  }

  @Test
  void exactLinearRelationHasZeroError() {
    SplittableRandom rng = new SplittableRandom(1);
    int n = 2000;
    int p = 12;
    double[] beta = rng.doubles(p, -2, 2).toArray();
    INDArray z = gaussian(rng, n, p, 3.0, 5.0);
    float[] y = linear(z, beta, -4.0, 0, rng);
    LeastSquaresProbe.Fit fit = LeastSquaresProbe.fit(z, y, 1e-12);
    for (int j = 0; j < p; j++) assertEquals(beta[j], fit.weights()[j], 1e-5, "weight " + j);
    assertEquals(-4.0, fit.intercept(), 1e-4);
    INDArray zs = gaussian(rng, 500, p, 3.0, 5.0);
    double mse = fit.mse(zs, linear(zs, beta, -4.0, 0, rng));
    assertTrue(mse < 1e-8, "MSE " + mse);
  }

  /** Noise of variance 0.25: the out-of-sample MSE is 0.25·(1 + O(p/n)), within sampling error. */
  @Test
  void noiseVarianceIsTheResidualRisk() {
    SplittableRandom rng = new SplittableRandom(2);
    int p = 20;
    double[] beta = rng.doubles(p, -1, 1).toArray();
    INDArray zFit = gaussian(rng, 20000, p, 1.0, 0.0);
    INDArray zScore = gaussian(rng, 20000, p, 1.0, 0.0);
    double mse = LeastSquaresProbe.fitAndScore(zFit, linear(zFit, beta, 1.0, 0.5, rng),
        zScore, linear(zScore, beta, 1.0, 0.5, rng), 1e-6);
    // sd of the mean of 20 000 squared N(0, 0.25) draws: 0.25·√(2/20000) = 0.0025
    assertEquals(0.25, mse, 0.01);
  }

  /** A duplicated column makes ZᵀZ singular; the jitter still gives the least-squares predictions. */
  @Test
  void rankDeficientCodesStillFit() {
    SplittableRandom rng = new SplittableRandom(3);
    INDArray base = gaussian(rng, 500, 3, 1.0, 0.0);
    INDArray z = Nd4j.hstack(base, base.getColumn(0, true));
    double[] beta = {1.0, -1.0, 2.0};
    float[] y = linear(base, beta, 0.5, 0, rng);
    LeastSquaresProbe.Fit fit = LeastSquaresProbe.fit(z, y, 0.0);
    assertTrue(fit.mse(z, y) < 1e-8, "MSE " + fit.mse(z, y));
    assertEquals(1.0, fit.weights()[0] + fit.weights()[3], 1e-4);
  }

  @Test
  void mismatchedTargetsAreRejected() {
    INDArray z = Nd4j.createFromArray(new float[][] {{0}, {1}});
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> LeastSquaresProbe.fit(z, new float[] {1, 2, 3}, 0));
    assertTrue(e.getMessage().contains("one target per latent row (2)"), e.getMessage());
  }

  static INDArray gaussian(SplittableRandom rng, int n, int p, double sd, double mean) {
    float[][] v = new float[n][p];
    for (float[] r : v) for (int j = 0; j < p; j++) r[j] = (float) (mean + sd * rng.nextGaussian());
    return Nd4j.createFromArray(v);
  }

  static float[] linear(INDArray z, double[] beta, double intercept, double noise, SplittableRandom rng) {
    int n = (int) z.rows();
    float[] y = new float[n];
    for (int i = 0; i < n; i++) {
      double v = intercept + noise * rng.nextGaussian();
      for (int j = 0; j < beta.length; j++) v += beta[j] * z.getDouble(i, j);
      y[i] = (float) v;
    }
    return y;
  }
}
