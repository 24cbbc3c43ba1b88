package org.modalgrid.data;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Per-column standardization with statistics of the training sample only (PAPER.md 3.5).
 *
 * <p>Mean and standard deviation (population form, divisor m) are computed in double precision over
 * the given rows. A column counts as <b>constant</b> in the sample when its std is at most
 * {@value #RELATIVE_TOLERANCE} times |mean| (the values differ only at float rounding level: a
 * float carries about 7 significant digits) or at most {@value #ABSOLUTE_TOLERANCE}; such a column
 * is only centred (scale 1), because dividing by a near-zero std would blow test inputs up by
 * orders of magnitude. With a single row every column is constant.
 */
public final class Standardizer {

  /** A column whose std is at most this times |mean| is constant in the sample. */
  public static final double RELATIVE_TOLERANCE = 1e-6;
  /** A column whose std is at most this is constant in the sample. */
  public static final double ABSOLUTE_TOLERANCE = 1e-12;

  private final double[] mean;
  private final double[] std;
  private final boolean[] constant;
  private final INDArray meanRow;
  private final INDArray scaleRow;

  private Standardizer(double[] mean, double[] std) {
    int d = mean.length;
    this.mean = mean;
    this.std = std;
    this.constant = new boolean[d];
    float[] m = new float[d];
    float[] s = new float[d];
    for (int j = 0; j < d; j++) {
      constant[j] = isConstant(mean[j], std[j]);
      m[j] = (float) mean[j];
      s[j] = constant[j] ? 1f : (float) std[j];
    }
    this.meanRow = Nd4j.create(m, new long[] {1, d}, 'c');
    this.scaleRow = Nd4j.create(s, new long[] {1, d}, 'c');
  }

  /** The rule: constant when std ≤ RELATIVE_TOLERANCE·|mean| or std ≤ ABSOLUTE_TOLERANCE. */
  public static boolean isConstant(double mean, double std) {
    return std <= ABSOLUTE_TOLERANCE || std <= RELATIVE_TOLERANCE * Math.abs(mean);
  }

  /**
   * Fits on rows {@code rows} of {@code x} (n x d).
   *
   * @throws IllegalArgumentException when rows is empty or x is not a matrix
   */
  public static Standardizer fit(INDArray x, int[] rows) {
    if (x.rank() != 2) throw new IllegalArgumentException("expected a matrix, got rank " + x.rank());
    if (rows.length == 0) throw new IllegalArgumentException("cannot fit a standardizer on zero rows");
    int d = (int) x.columns();
    float[] v = floatRows(x, rows);
    int m = rows.length;
    double[] mean = new double[d];
    for (int i = 0; i < m; i++) {
      int o = i * d;
      for (int j = 0; j < d; j++) mean[j] += v[o + j];
    }
    for (int j = 0; j < d; j++) mean[j] /= m;
    double[] ss = new double[d];
    for (int i = 0; i < m; i++) {
      int o = i * d;
      for (int j = 0; j < d; j++) {
        double e = v[o + j] - mean[j];
        ss[j] += e * e;
      }
    }
    double[] std = new double[d];
    for (int j = 0; j < d; j++) std[j] = Math.sqrt(ss[j] / m);
    return new Standardizer(mean, std);
  }

  /** Fits on all rows of x. */
  public static Standardizer fit(INDArray x) {
    return fit(x, MultimodalDataset.range(0, (int) x.rows()));
  }

  private static float[] floatRows(INDArray x, int[] rows) {
    INDArray pulled = pull(x, rows);
    return pulled.data().asFloat();
  }

  private static INDArray pull(INDArray x, int[] rows) {
    INDArray src = x.dataType() == DataType.FLOAT ? x : x.castTo(DataType.FLOAT);
    INDArray out = Nd4j.pullRows(src, 1, rows, 'c');
    if (out.ordering() != 'c' || out.offset() != 0 || out.isView()) out = out.dup('c');
    return out;
  }

  /** A new standardized FLOAT 'c'-order matrix of rows {@code rows} of x. */
  public INDArray apply(INDArray x, int[] rows) {
    checkDim(x);
    if (rows.length == 0) throw new IllegalArgumentException("no rows to standardize");
    INDArray out = pull(x, rows);
    return out.subiRowVector(meanRow).diviRowVector(scaleRow);
  }

  /** A new standardized FLOAT 'c'-order copy of all rows of x. */
  public INDArray apply(INDArray x) {
    checkDim(x);
    INDArray out = x.castTo(DataType.FLOAT).dup('c');
    return out.subiRowVector(meanRow).diviRowVector(scaleRow);
  }

  /** Standardizes a FLOAT matrix in place and returns it. */
  public INDArray applyInPlace(INDArray x) {
    checkDim(x);
    if (x.dataType() != DataType.FLOAT) throw new IllegalArgumentException("expected FLOAT, got " + x.dataType());
    return x.subiRowVector(meanRow).diviRowVector(scaleRow);
  }

  private void checkDim(INDArray x) {
    if (x.rank() != 2 || x.columns() != mean.length) {
      throw new IllegalArgumentException("expected a matrix with " + mean.length + " columns, got shape "
          + java.util.Arrays.toString(x.shape()));
    }
  }

  public int dim() { return mean.length; }
  /** Column means of the fitting rows. */
  public double[] mean() { return mean.clone(); }
  /** Column standard deviations (divisor m) of the fitting rows. */
  public double[] std() { return std.clone(); }
  /** The divisor applied per column: the std, or 1 for a constant column. */
  public double[] scale() {
    double[] s = new double[mean.length];
    for (int j = 0; j < s.length; j++) s[j] = constant[j] ? 1.0 : (float) std[j];
    return s;
  }
  public boolean isConstantColumn(int j) { return constant[j]; }
  /** How many columns were constant in the fitting rows (only centred). */
  public int constantColumns() {
    int c = 0;
    for (boolean b : constant) if (b) c++;
    return c;
  }
}
