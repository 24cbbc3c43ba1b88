package org.modalgrid.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class StandardizerTest {

  private static INDArray matrix(double[][] v) {
    int n = v.length;
    int d = v[0].length;
    float[] f = new float[n * d];
    for (int i = 0; i < n; i++) for (int j = 0; j < d; j++) f[i * d + j] = (float) v[i][j];
    return Nd4j.create(f, new long[] {n, d}, 'c');
  }

  @Test
  void usesOnlyTheFittingRowsAndMatchesADirectComputation() {
    Random r = new Random(1);
    double[][] v = new double[50][4];
    for (double[] row : v) {
      row[0] = 3 + 2 * r.nextGaussian();
      row[1] = -1000 + 0.01 * r.nextGaussian();
      row[2] = r.nextGaussian();
      row[3] = 1e-3 * r.nextGaussian();
    }
    INDArray x = matrix(v);
    int[] fitRows = {0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22};
    Standardizer s = Standardizer.fit(x, fitRows);
    double[] mean = new double[4];
    double[] sd = new double[4];
    for (int j = 0; j < 4; j++) {
      for (int i : fitRows) mean[j] += (float) v[i][j];
      mean[j] /= fitRows.length;
      for (int i : fitRows) sd[j] += ((float) v[i][j] - mean[j]) * ((float) v[i][j] - mean[j]);
      sd[j] = Math.sqrt(sd[j] / fitRows.length);
    }
    assertArrayEquals(mean, s.mean(), 1e-9);
    assertArrayEquals(sd, s.std(), 1e-9);
    assertEquals(0, s.constantColumns());
    int[] rows = {1, 3, 0, 49};
    INDArray out = s.apply(x, rows);
    assertEquals(DataType.FLOAT, out.dataType());
    assertEquals('c', out.ordering());
    assertArrayEquals(new long[] {4, 4}, out.shape());
    for (int a = 0; a < rows.length; a++) {
      for (int j = 0; j < 4; j++) {
        // the matrix is float: the mean is subtracted as a float (at x ~ -1000 a float's ulp is 6e-5)
        double expected = ((float) v[rows[a]][j] - (float) mean[j]) / sd[j];
        assertEquals(expected, out.getDouble(a, j), 1e-4 * (1 + Math.abs(expected)), "row " + rows[a] + " col " + j);
      }
    }
    // the fitting rows come out with mean 0 and std 1 (up to the float rounding of a mean of -1000,
    // 3e-5, which is 0.3% of that column's std); the input is untouched
    INDArray fitted = s.apply(x, fitRows);
    for (int j = 0; j < 4; j++) {
      assertEquals(0, fitted.getColumn(j).meanNumber().doubleValue(), j == 1 ? 4e-3 : 1e-5);
      assertEquals(1, fitted.getColumn(j).stdNumber().doubleValue() * Math.sqrt((fitRows.length - 1.0) / fitRows.length), 1e-3);
    }
    assertEquals((float) v[1][1], x.getFloat(1, 1), 0f);
    assertEquals(s.apply(x).getRow(49), out.getRow(3));
  }

  @Test
  void aColumnConstantInTheSampleIsOnlyCentred() {
    double[][] v = {
        {1.0, 5.0, 1000.0, 0.0},
        {2.0, 5.0, 1000.0, 0.0},
        {4.0, 5.0, 1000.0, 0.0},
        {7.0, 5.5, 1000.25, 3.0}}; // the last row is outside the fitting sample
    INDArray x = matrix(v);
    Standardizer s = Standardizer.fit(x, new int[] {0, 1, 2});
    assertFalse(s.isConstantColumn(0));
    assertTrue(s.isConstantColumn(1));
    assertTrue(s.isConstantColumn(2));
    assertTrue(s.isConstantColumn(3));
    assertEquals(3, s.constantColumns());
    assertArrayEquals(new double[] {s.std()[0], 1, 1, 1}, s.scale(), 1e-6);
    INDArray out = s.apply(x, new int[] {3});
    assertEquals((7 - 7.0 / 3) / Math.sqrt((1 + 4 + 16) / 3.0 - 49.0 / 9), out.getDouble(0, 0), 1e-5);
    assertEquals(0.5, out.getDouble(0, 1), 1e-6);      // centred, not divided by a zero std
    assertEquals(0.25, out.getDouble(0, 2), 1e-6);
    assertEquals(3.0, out.getDouble(0, 3), 1e-6);
    // a single row: every column is constant
    Standardizer one = Standardizer.fit(x, new int[] {3});
    assertEquals(4, one.constantColumns());
    // the rule: float-rounding-level spread counts as constant, a real small spread does not
    assertTrue(Standardizer.isConstant(1000.0, 1e-5));
    assertFalse(Standardizer.isConstant(1000.0, 1e-2));
    assertFalse(Standardizer.isConstant(0.0, 1e-6));
    assertTrue(Standardizer.isConstant(0.0, 0.0));
  }
}
