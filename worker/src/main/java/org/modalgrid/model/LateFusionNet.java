package org.modalgrid.model;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.scalar.RectifiedLinear;
import org.nd4j.linalg.api.ops.impl.transforms.gradient.ThresholdReluBp;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The late-fusion network with hand-written forward and backward passes over one flat parameter
 * vector.
 *
 * <p>Per modality k an encoder φ_k: Linear(d_k→h_1) → ReLU → … → Linear(→latent) (a single
 * Linear for the linear encoder; no activation on the latent code); the codes are concatenated
 * into z (rows × K·latent) and a linear head maps z to C logits (softmax cross-entropy) or to one
 * output (squared error).
 *
 * <p><b>Flat layout.</b> All weight matrices first (per modality, per layer, then the head), then
 * all biases: hidden-layer biases, the encoders' output biases side by side in the column order
 * of z, then the head bias. Encoder matrices are column-major ('f') views into the flat buffer,
 * so gemm writes gradients straight into them; the head weight (K·latent × C) is row-major, so
 * that the rows read by each modality's codes form a contiguous block. Weight decay is one op on
 * the weight prefix, Adam one op on the whole vector. {@link #views(INDArray)} lays the same structure over any vector of
 * {@link #numParams()} elements (parameters, gradient).
 *
 * <p><b>Two orders of evaluation, one function.</b> The plain pass materialises the latent codes
 * z (rows × K·latent) and backpropagates through them. The <em>factored</em> pass never forms z.
 * With a_k the input of encoder k's last linear layer (the modality itself for a linear encoder),
 * W_k, b_k that layer, H_k the latent×C rows of the head weight that read its codes and δ =
 * ∂loss/∂ŷ (rows × C):
 * <pre>
 *   ŷ    = Σ_k a_k·(W_k·H_k) + (b_h + Σ_k b_kᵀ·H_k)
 *   ∂W_k = (a_kᵀ·δ)·H_kᵀ     ∂H_k = W_kᵀ·(a_kᵀ·δ) + b_k·(1ᵀδ)     ∂b_k = H_k·(1ᵀδ)ᵀ
 *   ∂b_h = (1ᵀδ)ᵀ            ∂a_k = δ·(W_k·H_k)ᵀ   (into the hidden layers of an MLP encoder)
 * </pre>
 * Every product with a rows × d_k matrix then has C columns instead of {@code latent} (6 instead
 * of 128 for the IEMOCAP shape). The gradient is the same, summed in another order (float rounding
 * differs). Training uses it when C &lt; latent; {@link #encode} and evaluation use the plain pass.
 *
 * <p><b>Losses</b> are means over the batch rows: softmax cross-entropy in nats, or the squared
 * error (ŷ − y)². The loss and its gradient with respect to the outputs are computed on the host
 * (a batch has rows × C outputs, a few thousand numbers: a memcpy is cheaper than ND4J ops).
 *
 * <p>Training mutates the parameters: one instance per training run. Forward passes only read
 * them, so a trained net may serve several threads, each with its own {@link Batch}. Inputs are
 * rows × d_k matrices of this net's data type whose rows are contiguous ('c' order, or row-range
 * views of such).
 */
final class LateFusionNet {

  final DataType dtype;
  final int[] inDims;
  final int[] hidden;
  final int latent;
  final int outputs;
  final boolean classification;
  final int modalities;
  /** Train with the factored pass. */
  final boolean factored;
  private final int layersPerEncoder;

  private final long numWeights;
  private final long numParams;
  /** Offsets into the flat vector: weights [k][l], biases [k][l], head weight, head bias. */
  private final long[][] wOff;
  private final long[][] bOff;
  private final long headWOff;
  private final long headBOff;
  private final long encOutBOff;

  final INDArray params;
  final Views p;

  /** A net that trains with the factored pass when it has fewer outputs than latent units. */
  LateFusionNet(DataType dtype, int[] inDims, ModelSpec spec, int outputs, boolean classification) {
    this(dtype, inDims, spec, outputs, classification, outputs < spec.latentDim());
  }

  LateFusionNet(DataType dtype, int[] inDims, ModelSpec spec, int outputs, boolean classification, boolean factored) {
    this.dtype = dtype;
    this.inDims = inDims.clone();
    this.hidden = spec.hidden().stream().mapToInt(Integer::intValue).toArray();
    this.latent = spec.latentDim();
    this.outputs = outputs;
    this.classification = classification;
    this.modalities = inDims.length;
    this.factored = factored;
    this.layersPerEncoder = hidden.length + 1;

    wOff = new long[modalities][layersPerEncoder];
    bOff = new long[modalities][layersPerEncoder];
    long off = 0;
    for (int k = 0; k < modalities; k++) {
      for (int l = 0; l < layersPerEncoder; l++) {
        wOff[k][l] = off;
        off += (long) fanIn(k, l) * fanOut(l);
      }
    }
    headWOff = off;
    off += (long) latentTotal() * outputs;
    numWeights = off;
    for (int k = 0; k < modalities; k++) {
      for (int l = 0; l < layersPerEncoder - 1; l++) {
        bOff[k][l] = off;
        off += fanOut(l);
      }
    }
    encOutBOff = off;
    for (int k = 0; k < modalities; k++) {
      bOff[k][layersPerEncoder - 1] = off;
      off += latent;
    }
    headBOff = off;
    off += outputs;
    numParams = off;

    params = Nd4j.create(dtype, numParams);
    p = views(params);
  }

  int latentTotal() { return latent * modalities; }
  long numParams() { return numParams; }
  long numWeights() { return numWeights; }

  private int fanIn(int k, int l) { return l == 0 ? inDims[k] : hidden[l - 1]; }
  private int fanOut(int l) { return l == layersPerEncoder - 1 ? latent : hidden[l]; }
  private int last() { return layersPerEncoder - 1; }

  /**
   * PyTorch's default for {@code nn.Linear}: weights and biases uniform in ±1/√fan_in, drawn from
   * {@code rng} layer by layer (encoders in modality order, then the head; each weight matrix in
   * its storage order, then its bias).
   */
  void initialize(SplittableRandom rng) {
    double[] v = new double[Math.toIntExact(numParams)];
    for (int k = 0; k < modalities; k++) {
      for (int l = 0; l < layersPerEncoder; l++) {
        fillUniform(rng, v, wOff[k][l], (long) fanIn(k, l) * fanOut(l), fanIn(k, l));
        fillUniform(rng, v, bOff[k][l], fanOut(l), fanIn(k, l));
      }
    }
    fillUniform(rng, v, headWOff, (long) latentTotal() * outputs, latentTotal());
    fillUniform(rng, v, headBOff, outputs, latentTotal());
    HostCopy.write(v, params);
  }

  private static void fillUniform(SplittableRandom rng, double[] v, long off, long n, int fanIn) {
    double bound = 1.0 / Math.sqrt(fanIn);
    for (long i = 0; i < n; i++) v[(int) (off + i)] = (2 * rng.nextDouble() - 1) * bound;
  }

  /** The parameter structure laid over a flat vector of {@link #numParams()} elements. */
  Views views(INDArray flat) {
    if (flat.length() != numParams || flat.isView() || flat.dataType() != dtype) {
      throw new IllegalArgumentException("need a standalone " + dtype + " vector of " + numParams + " elements");
    }
    INDArray[][] w = new INDArray[modalities][layersPerEncoder];
    INDArray[][] b = new INDArray[modalities][layersPerEncoder];
    INDArray[] headBlock = new INDArray[modalities];
    long lk = latentTotal();
    for (int k = 0; k < modalities; k++) {
      for (int l = 0; l < layersPerEncoder; l++) {
        w[k][l] = matrix(flat, wOff[k][l], fanIn(k, l), fanOut(l), fanIn(k, l));
        b[k][l] = matrix(flat, bOff[k][l], 1, fanOut(l), 1);
      }
      // rows k·latent .. (k+1)·latent of the row-major K·latent × C head: contiguous
      headBlock[k] = rowMajor(flat, headWOff + (long) k * latent * outputs, latent, outputs);
    }
    return new Views(w, b, matrix(flat, encOutBOff, 1, lk, 1), rowMajor(flat, headWOff, lk, outputs),
        headBlock, matrix(flat, headBOff, 1, outputs, 1), matrix(flat, 0, 1, numWeights, 1));
  }

  /** A column-major rows × cols view of {@code flat} at {@code offset}, columns {@code ld} apart. */
  private INDArray matrix(INDArray flat, long offset, long rows, long cols, long ld) {
    return Nd4j.create(flat.data(), new long[] {rows, cols}, new long[] {1, ld}, offset, 'f', dtype);
  }

  /** A row-major rows × cols view of {@code flat} at {@code offset}. */
  private INDArray rowMajor(INDArray flat, long offset, long rows, long cols) {
    return Nd4j.create(flat.data(), new long[] {rows, cols}, new long[] {cols, 1}, offset, 'c', dtype);
  }

  /**
   * Views of one flat vector: encoder weights and biases [modality][layer], the head weight, its
   * row block per modality, the head bias, and the prefix holding all weight matrices.
   */
  record Views(INDArray[][] w, INDArray[][] b, INDArray encOutB, INDArray headW, INDArray[] headBlock,
      INDArray headB, INDArray weights) {}

  // ---------------------------------------------------------------------------------------------
  // Buffers

  /** Preallocated activations and gradients for one batch size; reused every step. */
  final class Batch {
    final int rows;
    final boolean backward;
    final INDArray[][] act;
    final INDArray[][] dAct;
    final INDArray out;
    final INDArray dOut;
    final INDArray ones;
    final double[] hostOut;
    // plain pass
    private INDArray z;
    private INDArray[] zBlock;
    private INDArray dz;
    private INDArray[] dzBlock;
    // factored pass: per modality W_k·H_k and a_kᵀ·δ (d × C), and the folded output bias (1 × C)
    private INDArray[] effHead;
    private INDArray[] aTdelta;
    private INDArray outBias;

    Batch(int rows, boolean backward) {
      this.rows = rows;
      this.backward = backward;
      act = new INDArray[modalities][layersPerEncoder - 1];
      dAct = new INDArray[modalities][layersPerEncoder - 1];
      for (int k = 0; k < modalities; k++) {
        for (int l = 0; l < layersPerEncoder - 1; l++) {
          act[k][l] = Nd4j.create(dtype, new long[] {rows, hidden[l]}, 'f');
          if (backward) dAct[k][l] = Nd4j.create(dtype, new long[] {rows, hidden[l]}, 'f');
        }
      }
      out = Nd4j.create(dtype, new long[] {rows, outputs}, 'f');
      hostOut = new double[rows * outputs];
      dOut = backward ? Nd4j.create(dtype, new long[] {rows, outputs}, 'f') : null;
      ones = backward ? Nd4j.ones(dtype, rows, 1) : null;
    }

    /** The latent codes of the last plain forward pass (rows × K·latent, 'f'). */
    INDArray z() {
      if (z == null) {
        z = Nd4j.create(dtype, new long[] {rows, latentTotal()}, 'f');
        zBlock = blocks(z);
      }
      return z;
    }

    private void ensurePlainBackward() {
      if (dz == null) {
        dz = Nd4j.create(dtype, new long[] {rows, latentTotal()}, 'f');
        dzBlock = blocks(dz);
      }
    }

    private void ensureFactored() {
      if (effHead == null) {
        effHead = new INDArray[modalities];
        aTdelta = new INDArray[modalities];
        for (int k = 0; k < modalities; k++) {
          effHead[k] = Nd4j.create(dtype, new long[] {fanIn(k, last()), outputs}, 'f');
          aTdelta[k] = Nd4j.create(dtype, new long[] {fanIn(k, last()), outputs}, 'f');
        }
        outBias = Nd4j.create(dtype, new long[] {1, outputs}, 'f');
      }
    }

    /** Column block k of an 'f'-order rows × K·latent matrix: contiguous in memory. */
    private INDArray[] blocks(INDArray m) {
      INDArray[] r = new INDArray[modalities];
      for (int k = 0; k < modalities; k++) {
        r[k] = Nd4j.create(m.data(), new long[] {rows, latent}, new long[] {1, rows},
            (long) k * latent * rows, 'f', dtype);
      }
      return r;
    }
  }

  /** Per-size buffer cache for callers that see few distinct sizes (full and last batch). */
  final class BatchCache {
    private final Map<Integer, Batch> bySize = new HashMap<>();
    private final boolean backward;

    BatchCache(boolean backward) { this.backward = backward; }

    Batch get(int rows) { return bySize.computeIfAbsent(rows, r -> new Batch(r, backward)); }
  }

  // ---------------------------------------------------------------------------------------------
  // Forward

  /** Plain forward pass: fills {@code b.z()} (latent codes) and {@code b.out} (logits or prediction). */
  void forward(List<INDArray> x, Batch b) {
    encode(x, b);
    gemm(b.z, p.headW, b.out, false, false, 0.0);
    b.out.addiRowVector(p.headB);
  }

  /** Encoders only: fills {@code b.z()}. */
  void encode(List<INDArray> x, Batch b) {
    b.z();
    for (int k = 0; k < modalities; k++) {
      INDArray in = hiddenForward(x.get(k), k, b);
      gemm(in, p.w[k][last()], b.zBlock[k], false, false, 0.0);
    }
    b.z.addiRowVector(p.encOutB);
  }

  /** Factored forward pass: fills {@code b.out} without forming the latent codes. */
  void forwardFactored(List<INDArray> x, Batch b) {
    b.ensureFactored();
    for (int k = 0; k < modalities; k++) {
      INDArray in = hiddenForward(x.get(k), k, b);
      gemm(p.w[k][last()], p.headBlock[k], b.effHead[k], false, false, 0.0);
      gemm(in, b.effHead[k], b.out, false, false, k == 0 ? 0.0 : 1.0);
    }
    b.outBias.assign(p.headB);
    gemm(p.encOutB, p.headW, b.outBias, false, false, 1.0);
    b.out.addiRowVector(b.outBias);
  }

  /** Runs the hidden layers of encoder k; returns the input of its last linear layer. */
  private INDArray hiddenForward(INDArray x, int k, Batch b) {
    INDArray in = x;
    for (int l = 0; l < last(); l++) {
      INDArray dst = b.act[k][l];
      gemm(in, p.w[k][l], dst, false, false, 0.0);
      dst.addiRowVector(p.b[k][l]);
      Nd4j.exec(new RectifiedLinear(dst, dst, 0.0));
      in = dst;
    }
    return in;
  }

  // ---------------------------------------------------------------------------------------------
  // Loss

  /**
   * Mean loss of the batch after a forward pass, and its gradient with respect to the outputs
   * written into {@code b.dOut}.
   *
   * @param labels  class per row (classification), read at {@code labels[labelOffset + i]}
   * @param targets target per row (regression), read at {@code targets[labelOffset + i]}
   */
  double lossAndOutputGradient(Batch b, int[] labels, float[] targets, int labelOffset) {
    int n = b.rows;
    double[] o = b.hostOut;
    HostCopy.read(b.out, o);
    double loss = 0;
    if (classification) {
      int c = outputs;
      for (int i = 0; i < n; i++) {
        double max = Double.NEGATIVE_INFINITY;
        for (int j = 0; j < c; j++) max = Math.max(max, o[j * n + i]);
        double sum = 0;
        for (int j = 0; j < c; j++) sum += Math.exp(o[j * n + i] - max);
        int y = labels[labelOffset + i];
        loss += max + Math.log(sum) - o[y * n + i];
        for (int j = 0; j < c; j++) {
          double pj = Math.exp(o[j * n + i] - max) / sum;
          o[j * n + i] = (pj - (j == y ? 1.0 : 0.0)) / n;
        }
      }
    } else {
      for (int i = 0; i < n; i++) {
        double r = o[i] - targets[labelOffset + i];
        loss += r * r;
        o[i] = 2.0 * r / n;
      }
    }
    HostCopy.write(o, b.dOut);
    return loss / n;
  }

  // ---------------------------------------------------------------------------------------------
  // Backward

  /**
   * Backward pass after the forward pass of the same kind ({@code factored}) and {@link
   * #lossAndOutputGradient}: writes the gradient of the mean loss plus {@code weightDecay/2 · ‖W‖²}
   * (weight matrices only) into the flat vector behind {@code g}. Every element is overwritten.
   */
  void backward(List<INDArray> x, Batch b, Views g, double weightDecay, boolean factoredPass) {
    if (factoredPass) {
      headAndLastLayerFactored(x, b, g);
    } else {
      headAndLastLayerPlain(x, b, g);
    }
    for (int k = 0; k < modalities; k++) {
      for (int l = last() - 1; l >= 0; l--) {
        INDArray grad = b.dAct[k][l]; // ∂loss/∂(pre-activation of layer l), ReLU already applied
        INDArray in = l == 0 ? x.get(k) : b.act[k][l - 1];
        gemm(in, grad, g.w[k][l], true, false, 0.0);
        gemm(b.ones, grad, g.b[k][l], true, false, 0.0);
        if (l > 0) {
          gemm(grad, p.w[k][l], b.dAct[k][l - 1], false, true, 0.0);
          reluBackward(b.act[k][l - 1], b.dAct[k][l - 1]);
        }
      }
    }
    if (weightDecay != 0) {
      Nd4j.getBlasWrapper().level1().axpy(numWeights, weightDecay, p.weights, g.weights);
    }
  }

  private void headAndLastLayerPlain(List<INDArray> x, Batch b, Views g) {
    b.ensurePlainBackward();
    gemm(b.z, b.dOut, g.headW, true, false, 0.0);
    gemm(b.ones, b.dOut, g.headB, true, false, 0.0);
    gemm(b.dOut, p.headW, b.dz, false, true, 0.0);
    gemm(b.ones, b.dz, g.encOutB, true, false, 0.0);
    for (int k = 0; k < modalities; k++) {
      INDArray in = last() == 0 ? x.get(k) : b.act[k][last() - 1];
      gemm(in, b.dzBlock[k], g.w[k][last()], true, false, 0.0);
      if (last() > 0) {
        gemm(b.dzBlock[k], p.w[k][last()], b.dAct[k][last() - 1], false, true, 0.0);
        reluBackward(b.act[k][last() - 1], b.dAct[k][last() - 1]);
      }
    }
  }

  private void headAndLastLayerFactored(List<INDArray> x, Batch b, Views g) {
    gemm(b.ones, b.dOut, g.headB, true, false, 0.0); // 1ᵀδ
    for (int k = 0; k < modalities; k++) {
      INDArray in = last() == 0 ? x.get(k) : b.act[k][last() - 1];
      INDArray aTd = b.aTdelta[k];
      gemm(in, b.dOut, aTd, true, false, 0.0);
      gemm(aTd, p.headBlock[k], g.w[k][last()], false, true, 0.0);
      gemm(p.w[k][last()], aTd, g.headBlock[k], true, false, 0.0);
      if (last() > 0) {
        gemm(b.dOut, b.effHead[k], b.dAct[k][last() - 1], false, true, 0.0);
        reluBackward(b.act[k][last() - 1], b.dAct[k][last() - 1]);
      }
    }
    gemm(p.encOutB, g.headB, g.headW, true, false, 1.0); // + b_k·(1ᵀδ) for every block at once
    gemm(g.headB, p.headW, g.encOutB, false, true, 0.0); // ∂b_k = H_k·(1ᵀδ)ᵀ for every k at once
  }

  /** In place: zero the gradient where the ReLU output is 0 (its input was ≤ 0). */
  private static void reluBackward(INDArray activation, INDArray grad) {
    Nd4j.exec(new ThresholdReluBp(activation, grad, grad, 0.0));
  }

  /** c = op(a)·op(b) + beta·c, written into the preallocated {@code c}. */
  private static void gemm(INDArray a, INDArray b, INDArray c, boolean ta, boolean tb, double beta) {
    Nd4j.gemm(a, b, c, ta, tb, 1.0, beta);
  }

  // ---------------------------------------------------------------------------------------------
  // One training step's numbers, for tests and tools

  /** Forward pass of the kind training uses. */
  void trainingForward(List<INDArray> x, Batch b) {
    if (factored) forwardFactored(x, b);
    else forward(x, b);
  }

  /**
   * Mean loss and its gradient for one batch (in the net's data type), the gradient written into
   * {@code gradient} (a standalone vector of {@link #numParams()} elements).
   */
  double lossAndGradient(List<INDArray> x, int[] labels, float[] targets, double weightDecay, INDArray gradient,
      boolean factoredPass) {
    Batch b = new Batch((int) x.get(0).rows(), true);
    if (factoredPass) forwardFactored(x, b);
    else forward(x, b);
    double loss = lossAndOutputGradient(b, labels, targets, 0);
    backward(x, b, views(gradient), weightDecay, factoredPass);
    return loss;
  }

  /** Mean loss of one batch by the plain pass (the weight-decay penalty not included). */
  double loss(List<INDArray> x, int[] labels, float[] targets) {
    Batch b = new Batch((int) x.get(0).rows(), true);
    forward(x, b);
    return lossAndOutputGradient(b, labels, targets, 0);
  }
}
