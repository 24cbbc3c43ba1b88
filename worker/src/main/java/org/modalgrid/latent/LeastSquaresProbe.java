package org.modalgrid.latent;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.modalgrid.model.HostCopy;
import org.modalgrid.model.ThreadBudget;

/**
 * Closed-form least squares with an intercept on latent codes (PAPER.md §3, regression).
 *
 * <p>Solves min over (β, b) of (1/n)·Σ (zᵢᵀβ + b − yᵢ)² + ridge·‖β‖² in double precision: the
 * codes are centred (which leaves the intercept unpenalised: b = ȳ − z̄ᵀβ), the normal equations
 * (ZcᵀZc/n + ridge·I)·β = Zcᵀ(y − ȳ)/n are formed with an ND4J gemm and solved by Cholesky.
 * The ridge acts on the normal equations of the <em>mean</em> loss, so it is a relative guard that
 * does not grow with n. If the matrix is still not positive definite (codes of rank below p with
 * ridge 0) a jitter of 10⁻¹², 10⁻¹¹, … times the mean diagonal is added until it is.
 */
public final class LeastSquaresProbe {

  private LeastSquaresProbe() {}

  /** A fitted linear head: ŷ = zᵀ·weights + intercept. */
  public record Fit(double[] weights, double intercept) {

    /** Predictions for the rows of {@code z} (n × p). */
    public double[] predict(INDArray z) {
      if (z.columns() != weights.length) {
        throw new IllegalArgumentException("the probe was fitted on " + weights.length
            + " latent columns, got " + z.columns());
      }
      int n = (int) z.rows();
      INDArray zd = toDouble(z);
      INDArray beta = Nd4j.create(DataType.DOUBLE, new long[] {weights.length, 1}, 'f');
      HostCopy.write(weights, beta);
      INDArray pred = Nd4j.create(DataType.DOUBLE, new long[] {n, 1}, 'f');
      Nd4j.gemm(zd, beta, pred, false, false, 1.0, 0.0);
      double[] out = new double[n];
      HostCopy.read(pred, out);
      for (int i = 0; i < n; i++) out[i] += intercept;
      return out;
    }

    /** Mean squared error on the rows of {@code z} with targets {@code y}. */
    public double mse(INDArray z, float[] y) {
      double[] pred = predict(z);
      checkRows(pred.length, y);
      double se = 0;
      for (int i = 0; i < pred.length; i++) {
        double r = pred[i] - y[i];
        se += r * r;
      }
      return se / pred.length;
    }
  }

  /** Fits the head on {@code z} (n × p) and targets {@code y}. */
  public static Fit fit(INDArray z, float[] y, double ridge) {
    ThreadBudget.applyDefaultIfUnset();
    int n = (int) z.rows();
    int p = (int) z.columns();
    checkRows(n, y);
    if (n < 1) throw new IllegalArgumentException("least squares needs at least one row");
    INDArray zc = toDouble(z);
    INDArray mean = zc.mean(true, 0);
    zc.subiRowVector(mean);
    double ybar = 0;
    for (float v : y) ybar += v;
    ybar /= n;
    double[] yc = new double[n];
    for (int i = 0; i < n; i++) yc[i] = y[i] - ybar;
    INDArray ycol = Nd4j.create(DataType.DOUBLE, new long[] {n, 1}, 'f');
    HostCopy.write(yc, ycol);

    INDArray gram = Nd4j.create(DataType.DOUBLE, new long[] {p, p}, 'f');
    Nd4j.gemm(zc, zc, gram, true, false, 1.0 / n, 0.0);
    INDArray rhs = Nd4j.create(DataType.DOUBLE, new long[] {p, 1}, 'f');
    Nd4j.gemm(zc, ycol, rhs, true, false, 1.0 / n, 0.0);
    double[] a = new double[p * p];
    HostCopy.read(gram, a);
    double[] b = new double[p];
    HostCopy.read(rhs, b);

    double[] beta = solveSymmetric(a, b, p, ridge);
    double[] mu = new double[p];
    HostCopy.read(mean, mu);
    double intercept = ybar;
    for (int j = 0; j < p; j++) intercept -= mu[j] * beta[j];
    return new Fit(beta, intercept);
  }

  /** Fits on ({@code zFit}, {@code yFit}) and returns the MSE on ({@code zScore}, {@code yScore}). */
  public static double fitAndScore(INDArray zFit, float[] yFit, INDArray zScore, float[] yScore, double ridge) {
    return fit(zFit, yFit, ridge).mse(zScore, yScore);
  }

  /**
   * Solves (A + ridge·I)·x = b for symmetric positive semi-definite A (p × p, column-major; the
   * matrix is symmetric so the order does not matter) by Cholesky, with escalating jitter when
   * needed.
   */
  static double[] solveSymmetric(double[] a, double[] b, int p, double ridge) {
    double meanDiag = 0;
    for (int j = 0; j < p; j++) meanDiag += a[j * p + j];
    meanDiag = Math.max(meanDiag / Math.max(p, 1), Double.MIN_NORMAL);
    double jitter = 0;
    for (int attempt = 0; attempt < 14; attempt++) {
      double[] l = cholesky(a, p, ridge + jitter);
      if (l != null) return cholSolve(l, b, p);
      jitter = jitter == 0 ? 1e-12 * meanDiag : jitter * 10;
    }
    throw new ArithmeticException("least-squares probe: the normal equations are not positive definite"
        + " even with a jitter of " + jitter + " (latent codes contain NaN or infinity?)");
  }

  /** Lower Cholesky factor of A + shift·I (row-major p × p), or null when not positive definite. */
  private static double[] cholesky(double[] a, int p, double shift) {
    double[] l = new double[p * p];
    for (int i = 0; i < p; i++) {
      for (int j = 0; j <= i; j++) {
        double s = a[i * p + j] + (i == j ? shift : 0);
        for (int k = 0; k < j; k++) s -= l[i * p + k] * l[j * p + k];
        if (i == j) {
          if (!(s > 0) || !Double.isFinite(s)) return null;
          l[i * p + i] = Math.sqrt(s);
        } else {
          l[i * p + j] = s / l[j * p + j];
        }
      }
    }
    return l;
  }

  private static double[] cholSolve(double[] l, double[] b, int p) {
    double[] y = new double[p];
    for (int i = 0; i < p; i++) {
      double s = b[i];
      for (int k = 0; k < i; k++) s -= l[i * p + k] * y[k];
      y[i] = s / l[i * p + i];
    }
    double[] x = new double[p];
    for (int i = p - 1; i >= 0; i--) {
      double s = y[i];
      for (int k = i + 1; k < p; k++) s -= l[k * p + i] * x[k];
      x[i] = s / l[i * p + i];
    }
    return x;
  }

  /** A fresh DOUBLE copy of {@code z}, safe to modify in place. */
  static INDArray toDouble(INDArray z) {
    if (z.rank() != 2) {
      throw new IllegalArgumentException("latent codes must be a rows x p matrix, got shape "
          + java.util.Arrays.toString(z.shape()));
    }
    return z.dataType() == DataType.DOUBLE ? z.dup() : z.castTo(DataType.DOUBLE);
  }

  private static void checkRows(int n, float[] y) {
    if (y == null || y.length != n) {
      throw new IllegalArgumentException("need one target per latent row (" + n + "), got "
          + (y == null ? "none" : String.valueOf(y.length)));
    }
  }
}
