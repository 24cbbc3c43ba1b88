package org.modalgrid.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.Config;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

class SyntheticOverlapSourceTest {

  private final SyntheticOverlapSource source = new SyntheticOverlapSource();

  private static Config small(double w, double sigma, int train, int test) {
    return TestSupport.dataset("synthetic-overlap", "shared-dim = 10, unique-dim = 10, overlap = " + w
        + ", noise = " + sigma + ", train-rows = " + train + ", test-rows = " + test);
  }

  @Test
  void layoutFollowsTheProtocol() {
    double w = 0.3;
    MultimodalDataset ds = source.load(small(w, 0.5, 300, 100), 7);
    assertEquals(List.of("m1", "m2", "m3", "m4"), ds.modalities());
    assertEquals(Task.REGRESSION, ds.task());
    assertEquals(400, ds.rows());
    assertArrayEquals(MultimodalDataset.range(0, 300), ds.trainRows());
    assertArrayEquals(MultimodalDataset.range(300, 400), ds.testRows());
    assertEquals(0.25, ds.oracleRisk(), 1e-12);
    assertTrue(ds.freshSampler().isPresent());
    INDArray x1 = ds.features("m1");
    assertEquals(DataType.FLOAT, x1.dataType());
    assertEquals('c', x1.ordering());
    assertArrayEquals(new long[] {400, 20}, x1.shape());
    double[][] a = TestSupport.rows(x1);
    double[][] b = TestSupport.rows(ds.features("m3"));
    // the shared block w*s is the same in every modality; the unique blocks differ
    for (int i = 0; i < 400; i++) {
      for (int j = 0; j < 10; j++) assertEquals(a[i][j], b[i][j], 0.0);
    }
    assertFalse(Arrays.equals(a[0], b[0]));
  }

  @Test
  void sameSeedSameData_otherSeedOtherData_thetaIndependentOfOverlap() {
    MultimodalDataset a = source.load(small(0.5, 0, 50, 10), 3);
    MultimodalDataset b = source.load(small(0.5, 0, 50, 10), 3);
    MultimodalDataset c = source.load(small(0.5, 0, 50, 10), 4);
    assertEquals(a.features("m2"), b.features("m2"));
    assertArrayEquals(a.targets(), b.targets());
    assertFalse(a.features("m2").equals(c.features("m2")));
    var g1 = SyntheticOverlapSource.generator(small(0.2, 0, 50, 10), 3);
    var g2 = SyntheticOverlapSource.generator(small(0.8, 1, 50, 10), 3);
    assertArrayEquals(g1.thetaUnique(2), g2.thetaUnique(2));
    assertArrayEquals(g1.thetaShared(0), g2.thetaShared(0));
    // the test rows do not depend on how many training rows are drawn
    MultimodalDataset d = source.load(small(0.5, 0, 80, 10), 3);
    assertArrayEquals(Arrays.copyOfRange(a.targets(), 50, 60), Arrays.copyOfRange(d.targets(), 80, 90));
  }

  @Test
  void noiselessTargetIsLinearInAllModalities() {
    double w = 0.5;
    MultimodalDataset ds = source.load(small(w, 0, 2000, 1), 11);
    double[][] x = TestSupport.concat(false, TestSupport.rows(ds.features("m1")), TestSupport.rows(ds.features("m2")),
        TestSupport.rows(ds.features("m3")), TestSupport.rows(ds.features("m4")));
    double[] y = TestSupport.toDouble(ds.targets());
    // the shared block repeats across modalities, so the design is rank deficient: a tiny ridge picks a solution
    double[] beta = TestSupport.leastSquares(x, y, 1e-9);
    double mse = TestSupport.mse(x, y, beta);
    double var = SyntheticOverlapSource.generator(small(w, 0, 2000, 1), 11).targetVariance();
    assertTrue(mse < 1e-6 * var, "MSE " + mse + " of the full linear fit, Var(y) " + var);
  }

  @Test
  void firstModalityAloneLeavesTheUniquePartsOfTheOthers() {
    double w = 0.5;
    Config cfg = small(w, 0, 20000, 1);
    MultimodalDataset ds = source.load(cfg, 5);
    var g = SyntheticOverlapSource.generator(cfg, 5);
    // independent closed form from the drawn theta: (1-w)^2 * sum_{k>1} |theta_k^u|^2
    double expected = 0;
    for (int k = 1; k < 4; k++) for (double t : g.thetaUnique(k)) expected += (1 - w) * (1 - w) * t * t;
    assertEquals(expected, SyntheticOverlapSource.populationEtaOfPrefix(cfg, 5, 1), 1e-9 * expected);
    assertEquals(expected, SyntheticOverlapSource.populationEta(cfg, 5, List.of("m1")), 1e-9 * expected);
    double[][] x = TestSupport.concat(true, TestSupport.rows(ds.features("m1")));
    double[] y = TestSupport.toDouble(ds.targets());
    double residual = TestSupport.mse(x, y, TestSupport.leastSquares(x, y, 0));
    assertEquals(expected, residual, 0.03 * expected, "residual variance from m1 alone");
    // and from {m1, m3} (the shared block repeats, so a tiny ridge): only theta_2^u and theta_4^u are missing
    double[][] x13 = TestSupport.concat(true, TestSupport.rows(ds.features("m1")), TestSupport.rows(ds.features("m3")));
    double eta13 = SyntheticOverlapSource.populationEta(cfg, 5, List.of("m1", "m3"));
    assertEquals(eta13, TestSupport.mse(x13, y, TestSupport.leastSquares(x13, y, 1e-9)), 0.03 * eta13);
  }

  @Test
  void targetMomentsMatchTheClosedForm() {
    double w = 0.3;
    double sigma = 0.7;
    Config cfg = small(w, sigma, 20000, 1);
    MultimodalDataset ds = source.load(cfg, 2);
    var g = SyntheticOverlapSource.generator(cfg, 2);
    double[] sum = new double[10];
    double uniq = 0;
    for (int k = 0; k < 4; k++) {
      double[] ts = g.thetaShared(k);
      for (int j = 0; j < 10; j++) sum[j] += ts[j];
      for (double t : g.thetaUnique(k)) uniq += t * t;
    }
    double shared = 0;
    for (double v : sum) shared += v * v;
    double variance = w * w * shared + (1 - w) * (1 - w) * uniq + sigma * sigma;
    assertEquals(variance, g.targetVariance(), 1e-9 * variance);
    float[] y = ds.targets();
    double mean = 0;
    for (float v : y) mean += v;
    mean /= y.length;
    double var = 0;
    for (float v : y) var += (v - mean) * (v - mean);
    var /= y.length;
    assertEquals(0, mean, 4 * Math.sqrt(variance / y.length), "E[y]");
    assertEquals(variance, var, 0.04 * variance, "Var(y)");
  }

  @Test
  void populationEtaFollowsTheOverlapLaw() {
    Config base = TestSupport.dataset("synthetic-overlap", "overlap = 0");
    for (double w : new double[] {1, 0.8, 0.5, 0.2, 0}) {
      Config cfg = TestSupport.dataset("synthetic-overlap", "overlap = " + w);
      for (int j = 1; j <= 4; j++) {
        double eta = SyntheticOverlapSource.populationEtaOfPrefix(cfg, 0, j);
        double eta0 = SyntheticOverlapSource.populationEtaOfPrefix(base, 0, j);
        assertEquals((1 - w) * (1 - w) * eta0, eta, 1e-9 * (1 + eta0));
        // ||theta||^2 ~ chi^2_100: about 100 per missing modality
        assertEquals(100 * (1 - w) * (1 - w) * (4 - j), eta, 0.35 * 100 * (4 - j) * (1 - w) * (1 - w) + 1e-9);
      }
    }
  }

  @Test
  void freshRowsComeFromTheSameThetaButAnotherStream() {
    Config cfg = small(0.5, 0, 400, 100);
    MultimodalDataset ds = source.load(cfg, 9);
    FreshSampler fs = ds.freshSampler().orElseThrow();
    FreshSampler.Sample a = fs.draw(3000, 1);
    FreshSampler.Sample b = fs.draw(3000, 1);
    FreshSampler.Sample c = fs.draw(3000, 2);
    assertEquals(List.of("m1", "m2", "m3", "m4"), List.copyOf(a.features().keySet()));
    assertArrayEquals(new long[] {3000, 20}, a.features().get("m4").shape());
    assertArrayEquals(a.targets(), b.targets());
    assertFalse(Arrays.equals(a.targets(), c.targets()));
    assertFalse(Arrays.equals(Arrays.copyOf(a.targets(), 400), Arrays.copyOf(ds.targets(), 400)));
    // same theta: a linear fit on the dataset's rows predicts fresh rows exactly (sigma = 0)
    double[][] x = TestSupport.concat(false, TestSupport.rows(ds.features("m1")), TestSupport.rows(ds.features("m2")),
        TestSupport.rows(ds.features("m3")), TestSupport.rows(ds.features("m4")));
    double[] beta = TestSupport.leastSquares(x, TestSupport.toDouble(ds.targets()), 1e-9);
    double[][] xf = TestSupport.concat(false, TestSupport.rows(a.features().get("m1")),
        TestSupport.rows(a.features().get("m2")), TestSupport.rows(a.features().get("m3")),
        TestSupport.rows(a.features().get("m4")));
    double var = SyntheticOverlapSource.generator(cfg, 9).targetVariance();
    assertTrue(TestSupport.mse(xf, TestSupport.toDouble(a.targets()), beta) < 1e-5 * var);
  }

  @Test
  void badKeysAreNamed() {
    DataException e = assertThrows(DataException.class, () -> source.validate(small(1.5, 0, 10, 10)));
    assertTrue(e.getMessage().startsWith("dataset.overlap: must be in [0, 1], got 1.5"), e.getMessage());
    e = assertThrows(DataException.class,
        () -> source.validate(TestSupport.dataset("synthetic-overlap", "overlpa = 0.5")));
    assertTrue(e.getMessage().startsWith("dataset.overlpa: not a key of dataset source 'synthetic-overlap'"), e.getMessage());
    e = assertThrows(DataException.class,
        () -> source.validate(TestSupport.dataset("synthetic-overlap", "modalities = 2.5")));
    assertTrue(e.getMessage().startsWith("dataset.modalities: expected an integer, got 2.5"), e.getMessage());
    e = assertThrows(DataException.class,
        () -> source.validate(TestSupport.dataset("synthetic-overlap", "noise = -1")));
    assertTrue(e.getMessage().startsWith("dataset.noise: must be >= 0"), e.getMessage());
    e = assertThrows(DataException.class, () -> source.validate(
        com.typesafe.config.ConfigFactory.parseString("source = synthetic-overlap, modalities = 4")));
    assertTrue(e.getMessage().startsWith("dataset.shared-dim: missing"), e.getMessage());
  }
}
