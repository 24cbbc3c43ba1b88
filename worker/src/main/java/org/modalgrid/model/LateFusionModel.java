package org.modalgrid.model;

import java.util.List;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A trained late-fusion model: frozen encoders and head. Read-only after training, so its methods
 * may be called from several threads at once (each call allocates its own buffers).
 */
public final class LateFusionModel implements TrainedModel {

  private final LateFusionNet net;
  private final double targetMean;
  private final double targetScale;

  LateFusionModel(LateFusionNet net, double targetMean, double targetScale) {
    this.net = net;
    this.targetMean = targetMean;
    this.targetScale = targetScale;
  }

  @Override
  public int latentDim() { return net.latentTotal(); }

  /** Number of modalities the model was trained on, in subset order. */
  public int modalities() { return net.modalities; }

  /** Outputs of the head: classes, or 1 for regression. */
  public int outputs() { return net.outputs; }

  /** A copy of all parameters in the flat layout of {@link LateFusionNet}. */
  public INDArray flatParameters() { return net.params.dup(); }

  @Override
  public INDArray encode(List<INDArray> x) {
    List<INDArray> xs = checked(x);
    int n = (int) xs.get(0).rows();
    INDArray z = Nd4j.create(DataType.FLOAT, new long[] {n, latentDim()}, 'c');
    LateFusionNet.BatchCache cache = net.new BatchCache(false);
    for (int s = 0; s < n; s += LateFusionTrainer.EVAL_CHUNK) {
      int e = Math.min(n, s + LateFusionTrainer.EVAL_CHUNK);
      LateFusionNet.Batch b = cache.get(e - s);
      net.encode(LateFusionTrainer.rowRange(xs, s, e), b);
      z.get(NDArrayIndex.interval(s, e), NDArrayIndex.all()).assign(b.z());
    }
    return z;
  }

  /**
   * Head outputs (rows × outputs, FLOAT, 'c'): logits for classification; predictions in the
   * original target units for regression.
   */
  public INDArray outputs(List<INDArray> x) {
    List<INDArray> xs = checked(x);
    int n = (int) xs.get(0).rows();
    INDArray out = Nd4j.create(DataType.FLOAT, new long[] {n, net.outputs}, 'c');
    LateFusionNet.BatchCache cache = net.new BatchCache(false);
    for (int s = 0; s < n; s += LateFusionTrainer.EVAL_CHUNK) {
      int e = Math.min(n, s + LateFusionTrainer.EVAL_CHUNK);
      LateFusionNet.Batch b = cache.get(e - s);
      net.forward(LateFusionTrainer.rowRange(xs, s, e), b);
      out.get(NDArrayIndex.interval(s, e), NDArrayIndex.all()).assign(b.out);
    }
    if (!net.classification) out.muli(targetScale).addi(targetMean);
    return out;
  }

  @Override
  public Evaluation evaluate(List<INDArray> x, int[] labels, float[] targets) {
    List<INDArray> xs = checked(x);
    int n = (int) xs.get(0).rows();
    if (net.classification) {
      LateFusionTrainer.check(labels, n, net.outputs, "evaluation");
    } else if (targets == null || targets.length != n) {
      throw new IllegalArgumentException("regression needs one target per row (" + n + ")");
    }
    return LateFusionTrainer.evaluate(net, net.new BatchCache(false), xs, labels, targets,
        targetMean, targetScale);
  }

  private List<INDArray> checked(List<INDArray> x) {
    if (x.size() != net.modalities) {
      throw new IllegalArgumentException("the model was trained on " + net.modalities
          + " modalities, got " + x.size());
    }
    List<INDArray> xs = LateFusionTrainer.prepare(x, "input");
    for (int k = 0; k < xs.size(); k++) {
      if (xs.get(k).columns() != net.inDims[k]) {
        throw new IllegalArgumentException("modality " + k + ": expected " + net.inDims[k]
            + " columns, got " + xs.get(k).columns());
      }
    }
    return xs;
  }
}
