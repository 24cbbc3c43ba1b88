package org.modalgrid.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The hand-written backward pass against central differences of the loss, in double precision. */
class LateFusionNetTest {

  @ParameterizedTest(name = "{0} encoder, classification={1}, factored={2}")
  @CsvSource({"linear, true, false", "linear, false, false", "mlp, true, false", "mlp, false, false",
      "linear, true, true", "linear, false, true", "mlp, true, true", "mlp, false, true"})
  void gradientMatchesCentralDifferences(String encoder, boolean classification, boolean factored) {
    ModelSpec spec = encoder.equals("mlp")
        ? new ModelSpec("mlp", List.of(5, 4), 3)
        : ModelSpec.linear(3);
    int[] dims = {4, 6};
    int rows = 7;
    int outputs = classification ? 3 : 1;
    double weightDecay = 0.3;
    SplittableRandom rng = new SplittableRandom(11);
    List<INDArray> x = List.of(gaussian(rng, rows, dims[0]), gaussian(rng, rows, dims[1]));
    int[] labels = new int[rows];
    float[] targets = new float[rows];
    for (int i = 0; i < rows; i++) {
      labels[i] = rng.nextInt(outputs);
      targets[i] = (float) (3 * rng.nextGaussian());
    }
    LateFusionNet net = new LateFusionNet(DataType.DOUBLE, dims, spec, outputs, classification, factored);
    net.initialize(new SplittableRandom(5));
    // larger head weights, so that no gradient is tiny
    net.p.headW().muli(3);

    INDArray grad = Nd4j.create(DataType.DOUBLE, net.numParams());
    double loss = net.lossAndGradient(x, labels, targets, weightDecay, grad, factored);
    assertEquals(net.loss(x, labels, targets), loss, 1e-12 * Math.max(1, Math.abs(loss)));

    double h = 1e-6;
    double worst = 0;
    for (long i = 0; i < net.numParams(); i++) {
      double orig = net.params.getDouble(i);
      net.params.putScalar(i, orig + h);
      double up = objective(net, x, labels, targets, weightDecay);
      net.params.putScalar(i, orig - h);
      double down = objective(net, x, labels, targets, weightDecay);
      net.params.putScalar(i, orig);
      double numeric = (up - down) / (2 * h);
      double analytic = grad.getDouble(i);
      double err = Math.abs(numeric - analytic) / Math.max(1e-3, Math.abs(numeric) + Math.abs(analytic));
      worst = Math.max(worst, err);
      assertTrue(err < 1e-6, "parameter " + i + ": analytic " + analytic + " vs numeric " + numeric);
    }
    assertTrue(worst < 1e-6);
    // the gradient is not trivially zero anywhere it matters
    assertTrue(grad.norm2Number().doubleValue() > 1e-3);
  }

  @ParameterizedTest(name = "classification={0}, factored={1}")
  @CsvSource({"true, false", "false, false", "true, true", "false, true"})
  void floatPassAgreesWithDoublePass(boolean classification, boolean factored) {
    ModelSpec spec = new ModelSpec("mlp", List.of(8), 4);
    int[] dims = {5, 3};
    int rows = 9;
    int outputs = classification ? 4 : 1;
    SplittableRandom rng = new SplittableRandom(3);
    List<INDArray> xd = List.of(gaussian(rng, rows, dims[0]), gaussian(rng, rows, dims[1]));
    int[] labels = new int[rows];
    float[] targets = new float[rows];
    for (int i = 0; i < rows; i++) {
      labels[i] = i % outputs;
      targets[i] = i - 4f;
    }
    LateFusionNet dn = new LateFusionNet(DataType.DOUBLE, dims, spec, outputs, classification, false);
    LateFusionNet fn = new LateFusionNet(DataType.FLOAT, dims, spec, outputs, classification, factored);
    dn.initialize(new SplittableRandom(1));
    fn.initialize(new SplittableRandom(1));
    INDArray gd = Nd4j.create(DataType.DOUBLE, dn.numParams());
    INDArray gf = Nd4j.create(DataType.FLOAT, fn.numParams());
    double ld = dn.lossAndGradient(xd, labels, targets, 0.01, gd, false);
    double lf = fn.lossAndGradient(List.of(xd.get(0).castTo(DataType.FLOAT), xd.get(1).castTo(DataType.FLOAT)),
        labels, targets, 0.01, gf, factored);
    assertEquals(ld, lf, 1e-5 * Math.max(1, Math.abs(ld)));
    double diff = gd.sub(gf.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
    assertTrue(diff < 1e-5 * Math.max(1, gd.amaxNumber().doubleValue()), "max gradient difference " + diff);
  }

  /** Mean loss + weightDecay/2 · sum of squared weight-matrix entries, as the gradient defines it. */
  private static double objective(LateFusionNet net, List<INDArray> x, int[] labels, float[] targets, double wd) {
    double penalty = 0;
    for (long i = 0; i < net.numWeights(); i++) {
      double w = net.params.getDouble(i);
      penalty += w * w;
    }
    return net.loss(x, labels, targets) + 0.5 * wd * penalty;
  }

  static INDArray gaussian(SplittableRandom rng, int rows, int cols) {
    double[][] v = new double[rows][cols];
    for (double[] r : v) for (int j = 0; j < cols; j++) r[j] = rng.nextGaussian();
    return Nd4j.createFromArray(v);
  }
}
