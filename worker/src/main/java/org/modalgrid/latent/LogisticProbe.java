package org.modalgrid.latent;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.modalgrid.model.HostCopy;
import org.modalgrid.model.ThreadBudget;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Multinomial logistic regression on frozen latent codes (PAPER.md §3, classification).
 *
 * <p>The codes are standardized with the fitting rows' mean and standard deviation (a column
 * whose standard deviation is below 10⁻⁷·max(1, |mean|) is only centred). The probe minimises
 * <pre>  (1/n)·Σᵢ −log softmax(Wᵀzᵢ + b)_{yᵢ} + (l2/2)·‖W‖²</pre>
 * (intercepts b not penalised) by {@link Lbfgs} in double precision until the gradient's max-norm
 * is at most the tolerance or the iteration cap is reached. The two n × p by p × C products of
 * each evaluation are ND4J gemms; the softmax runs on the host.
 */
public final class LogisticProbe {

  private static final int MEMORY = 10;

  private LogisticProbe() {}

  /**
   * A fitted probe.
   *
   * @param mean            per-column centre of the fitting rows
   * @param scale           per-column divisor (standard deviation, or 1 for constant columns)
   * @param weights         p × C weights on standardized codes, column-major: weights[c·p + j]
   * @param intercepts      C intercepts
   * @param objective       the minimised objective (mean cross-entropy + penalty) on the fitting rows
   * @param gradientMaxNorm max-norm of the objective's gradient at the returned parameters
   * @param iterations      L-BFGS iterations taken
   * @param converged       true when the gradient tolerance was reached
   */
  public record Model(double[] mean, double[] scale, double[] weights, double[] intercepts,
      double objective, double gradientMaxNorm, int iterations, boolean converged) {

    public int features() { return mean.length; }
    public int classes() { return intercepts.length; }

    /** W[j][c] on standardized codes. */
    public double weight(int j, int c) { return weights[c * features() + j]; }

    /** Log-probabilities, row-major: result[i·C + c]. */
    public double[] logProbabilities(INDArray z) {
      int n = (int) z.rows();
      int p = features();
      int c = classes();
      if (z.columns() != p) {
        throw new IllegalArgumentException("the probe was fitted on " + p + " latent columns, got " + z.columns());
      }
      INDArray zs = standardize(z, mean, scale);
      INDArray w = Nd4j.create(DataType.DOUBLE, new long[] {p, c}, 'f');
      HostCopy.write(weights, w);
      INDArray logits = Nd4j.create(DataType.DOUBLE, new long[] {n, c}, 'f');
      Nd4j.gemm(zs, w, logits, false, false, 1.0, 0.0);
      double[] l = new double[n * c];
      HostCopy.read(logits, l);
      double[] out = new double[n * c];
      for (int i = 0; i < n; i++) {
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < c; k++) max = Math.max(max, l[k * n + i] + intercepts[k]);
        double sum = 0;
        for (int k = 0; k < c; k++) sum += Math.exp(l[k * n + i] + intercepts[k] - max);
        double lse = max + Math.log(sum);
        for (int k = 0; k < c; k++) out[i * c + k] = l[k * n + i] + intercepts[k] - lse;
      }
      return out;
    }

    /** Mean cross-entropy and error % on labelled rows. */
    public ProbeResult score(INDArray z, int[] labels) {
      double[] lp = logProbabilities(z);
      int n = (int) z.rows();
      checkLabels(labels, n, classes());
      Sums s = new Sums();
      s.add(lp, labels, classes());
      return new ProbeResult(s.ce / n, 100.0 * s.errors / n);
    }
  }

  /** Fits with the penalty, iteration cap and tolerance of {@code spec}. */
  public static Model fit(INDArray z, int[] labels, int numClasses, ProbeSpec spec) {
    return fit(z, labels, numClasses, spec.l2(), spec.maxIterations(), spec.tolerance());
  }

  /** Fits the probe on the rows of {@code z} (n × p). */
  public static Model fit(INDArray z, int[] labels, int numClasses, double l2, int maxIterations, double tolerance) {
    ThreadBudget.applyDefaultIfUnset();
    int n = (int) z.rows();
    int p = (int) z.columns();
    if (n < 1) throw new IllegalArgumentException("the logistic probe needs at least one row");
    checkLabels(labels, n, numClasses);
    INDArray zd = LeastSquaresProbe.toDouble(z);
    double[] mean = new double[p];
    double[] scale = new double[p];
    HostCopy.read(zd.mean(true, 0), mean);
    HostCopy.read(zd.std(false, true, 0), scale);
    for (int j = 0; j < p; j++) {
      if (!(scale[j] > 1e-7 * Math.max(1, Math.abs(mean[j])))) scale[j] = 1;
    }
    INDArray zs = standardizeInPlace(zd, mean, scale);
    Loss loss = new Loss(zs, labels, numClasses, l2);
    Lbfgs.Result r = Lbfgs.minimize(loss, new double[p * numClasses + numClasses], maxIterations, tolerance, MEMORY);
    double[] w = new double[p * numClasses];
    double[] b = new double[numClasses];
    System.arraycopy(r.x(), 0, w, 0, w.length);
    System.arraycopy(r.x(), w.length, b, 0, numClasses);
    return new Model(mean, scale, w, b, r.value(), r.gradientMaxNorm(), r.iterations(), r.converged());
  }

  /**
   * Cross-fitted risk over the given rows: {@code spec.folds()} class-stratified folds
   * ({@link #stratifiedFolds}); each fold is scored by a probe fitted on the other folds, and
   * cross-entropy and error are averaged over all rows.
   */
  public static ProbeResult crossFit(INDArray z, int[] labels, int numClasses, ProbeSpec spec, long seed) {
    int n = (int) z.rows();
    checkLabels(labels, n, numClasses);
    int k = spec.folds();
    if (n < k) throw new IllegalArgumentException("cross-fitting " + k + " folds needs at least " + k + " rows, got " + n);
    int[] fold = stratifiedFolds(labels, numClasses, k, seed);
    Sums total = new Sums();
    for (int f = 0; f < k; f++) {
      int[] fitRows = rows(fold, f, false);
      int[] scoreRows = rows(fold, f, true);
      Model m = fit(Nd4j.pullRows(z, 1, fitRows), select(labels, fitRows), numClasses, spec);
      total.add(m.logProbabilities(Nd4j.pullRows(z, 1, scoreRows)), select(labels, scoreRows), numClasses);
    }
    return new ProbeResult(total.ce / n, 100.0 * total.errors / n);
  }

  /**
   * Class-stratified fold of each row: the rows of each class in a random order (seeded), dealt
   * round-robin, the deal continuing from class to class so that fold sizes differ by at most one.
   */
  public static int[] stratifiedFolds(int[] labels, int numClasses, int folds, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    List<List<Integer>> byClass = new ArrayList<>();
    for (int c = 0; c < numClasses; c++) byClass.add(new ArrayList<>());
    for (int i = 0; i < labels.length; i++) byClass.get(labels[i]).add(i);
    int[] fold = new int[labels.length];
    int next = 0;
    for (List<Integer> rows : byClass) {
      for (int i = rows.size() - 1; i > 0; i--) {
        int j = rng.nextInt(i + 1);
        Integer t = rows.get(i);
        rows.set(i, rows.get(j));
        rows.set(j, t);
      }
      for (int r : rows) {
        fold[r] = next;
        next = (next + 1) % folds;
      }
    }
    return fold;
  }

  private static int[] rows(int[] fold, int f, boolean in) {
    return java.util.stream.IntStream.range(0, fold.length).filter(i -> (fold[i] == f) == in).toArray();
  }

  private static int[] select(int[] v, int[] rows) {
    int[] r = new int[rows.length];
    for (int i = 0; i < rows.length; i++) r[i] = v[rows[i]];
    return r;
  }

  static void checkLabels(int[] labels, int rows, int numClasses) {
    if (numClasses < 2) throw new IllegalArgumentException("the logistic probe needs at least 2 classes, got " + numClasses);
    if (labels == null || labels.length != rows) {
      throw new IllegalArgumentException("need one label per latent row (" + rows + "), got "
          + (labels == null ? "none" : String.valueOf(labels.length)));
    }
    for (int i = 0; i < labels.length; i++) {
      if (labels[i] < 0 || labels[i] >= numClasses) {
        throw new IllegalArgumentException("label " + labels[i] + " at row " + i + " is outside 0.." + (numClasses - 1));
      }
    }
  }

  private static INDArray standardize(INDArray z, double[] mean, double[] scale) {
    return standardizeInPlace(LeastSquaresProbe.toDouble(z), mean, scale);
  }

  private static INDArray standardizeInPlace(INDArray zd, double[] mean, double[] scale) {
    int p = mean.length;
    INDArray m = Nd4j.create(DataType.DOUBLE, 1, p);
    INDArray s = Nd4j.create(DataType.DOUBLE, 1, p);
    HostCopy.write(mean, m);
    HostCopy.write(scale, s);
    return zd.subiRowVector(m).diviRowVector(s);
  }

  /** Accumulated held-out cross-entropy and errors. */
  private static final class Sums {
    double ce;
    long errors;

    void add(double[] logProb, int[] labels, int c) {
      for (int i = 0; i < labels.length; i++) {
        int arg = 0;
        for (int k = 1; k < c; k++) if (logProb[i * c + k] > logProb[i * c + arg]) arg = k;
        ce -= logProb[i * c + labels[i]];
        if (arg != labels[i]) errors++;
      }
    }
  }

  /** Mean cross-entropy + (l2/2)‖W‖² and its gradient; θ = [W column-major (p × C), b (C)]. */
  static final class Loss implements Lbfgs.Objective {
    private final INDArray zs;
    private final int[] labels;
    private final int n;
    private final int p;
    private final int c;
    private final double l2;
    private final INDArray w;
    private final INDArray logits;
    private final INDArray resid;
    private final INDArray gradW;
    private final double[] host;
    private final double[] hostGradW;

    Loss(INDArray zs, int[] labels, int numClasses, double l2) {
      this.zs = zs;
      this.labels = labels;
      this.n = (int) zs.rows();
      this.p = (int) zs.columns();
      this.c = numClasses;
      this.l2 = l2;
      w = Nd4j.create(DataType.DOUBLE, new long[] {p, c}, 'f');
      logits = Nd4j.create(DataType.DOUBLE, new long[] {n, c}, 'f');
      resid = Nd4j.create(DataType.DOUBLE, new long[] {n, c}, 'f');
      gradW = Nd4j.create(DataType.DOUBLE, new long[] {p, c}, 'f');
      host = new double[n * c];
      hostGradW = new double[p * c];
    }

    @Override
    public double valueAndGradient(double[] theta, double[] grad) {
      HostCopy.write(theta, w); // the first p·C entries of θ
      Nd4j.gemm(zs, w, logits, false, false, 1.0, 0.0);
      HostCopy.read(logits, host);
      int pc = p * c;
      double loss = 0;
      for (int k = 0; k < c; k++) grad[pc + k] = 0;
      for (int i = 0; i < n; i++) {
        double max = Double.NEGATIVE_INFINITY;
        for (int k = 0; k < c; k++) max = Math.max(max, host[k * n + i] + theta[pc + k]);
        double sum = 0;
        for (int k = 0; k < c; k++) sum += Math.exp(host[k * n + i] + theta[pc + k] - max);
        double lse = max + Math.log(sum);
        int y = labels[i];
        loss += lse - host[y * n + i] - theta[pc + y];
        for (int k = 0; k < c; k++) {
          double g = (Math.exp(host[k * n + i] + theta[pc + k] - lse) - (k == y ? 1 : 0)) / n;
          host[k * n + i] = g;
          grad[pc + k] += g;
        }
      }
      HostCopy.write(host, resid);
      Nd4j.gemm(zs, resid, gradW, true, false, 1.0, 0.0);
      HostCopy.read(gradW, hostGradW);
      double penalty = 0;
      for (int j = 0; j < pc; j++) {
        penalty += theta[j] * theta[j];
        grad[j] = hostGradW[j] + l2 * theta[j];
      }
      return loss / n + 0.5 * l2 * penalty;
    }
  }
}
