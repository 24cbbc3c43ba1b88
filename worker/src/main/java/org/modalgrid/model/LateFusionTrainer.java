package org.modalgrid.model;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.modalgrid.data.Task;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.updaters.AdamUpdater;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Trains the late-fusion model of PAPER.md §1 end to end with Adam on shuffled mini-batches,
 * with hand-written ND4J passes ({@link LateFusionNet}).
 *
 * <p><b>Numerics.</b> FLOAT throughout. Initialisation as PyTorch's {@code nn.Linear}: weights
 * and biases uniform in ±1/√fan_in. Each epoch visits the training rows in a fresh random order
 * (Fisher–Yates from the seed) in batches of {@code batchSize}; the last batch may be smaller.
 * When the training sample fits in one batch the order is left alone (the full-batch gradient does
 * not depend on it). The batch loss is the mean over its rows; the reported epoch loss is the mean
 * over all rows of the epoch, in original target units, without the weight-decay penalty.
 *
 * <p><b>Adam</b> is libnd4j's {@code adam_updater} op over the flat gradient, in place: with
 * t the 1-based step, m ← β1·m + (1−β1)·g, v ← β2·v + (1−β2)·g², θ ← θ − α_t·m/(√v + ε),
 * α_t = lr·√(1−β2^t)/(1−β1^t) (Kingma &amp; Ba's Algorithm 1 in its "efficient" form: ε applied to
 * √v rather than to √v̂; identical to PyTorch's Adam except while √v is within a few ε of 0).
 * Weight decay is classic L2 on the weight matrices (not biases): g ← g + λ·W before Adam, as
 * PyTorch's {@code Adam(weight_decay=λ)}.
 *
 * <p><b>Regression</b> with {@code standardizeTarget}: trained on (y − mean)/std of the training
 * targets (std 1 when the targets are constant); predictions and losses are mapped back.
 *
 * <p><b>Passes.</b> When the head has fewer outputs than an encoder has latent units (6 or 1
 * against 128 in the paper's settings) training uses the factored pass of {@link LateFusionNet},
 * which never forms the rows × K·latent codes: the same gradients at a fraction of the
 * arithmetic. Evaluation and {@link TrainedModel#encode} use the plain pass.
 *
 * <p><b>Threads.</b> An instance holds no state; concurrent {@code train} calls from different
 * threads are independent (all buffers are per call, randomness comes from the seed only). How many
 * cores each ND4J op uses is the process-wide {@link ThreadBudget} (all processors when the
 * process has not chosen one).
 */
public final class LateFusionTrainer implements Trainer {

  /** Rows per forward pass when evaluating or encoding. */
  static final int EVAL_CHUNK = 8192;

  private final boolean allowFactored;

  /** A trainer that uses the factored pass of {@link LateFusionNet} when the head is narrower than the latent. */
  public LateFusionTrainer() {
    this(true);
  }

  /** @param allowFactored false: always the plain pass that materialises the latent codes (benchmarks) */
  LateFusionTrainer(boolean allowFactored) {
    this.allowFactored = allowFactored;
  }

  @Override
  public TrainResult train(TrainingData data, ModelSpec model, TrainSpec spec, long seed, TrainingListener listener) {
    long start = System.nanoTime();
    ThreadBudget.applyDefaultIfUnset();
    boolean classification = data.task() == Task.CLASSIFICATION;
    List<INDArray> trainX = prepare(data.trainX(), "train");
    List<INDArray> testX = prepare(data.testX(), "test");
    int n = data.trainRows();
    checkTargets(data, classification);
    int[] dims = new int[trainX.size()];
    for (int k = 0; k < dims.length; k++) {
      dims[k] = (int) trainX.get(k).columns();
      if (testX.get(k).columns() != dims[k]) {
        throw new IllegalArgumentException("modality " + k + ": " + dims[k] + " training columns but "
            + testX.get(k).columns() + " test columns");
      }
    }

    LateFusionNet net = new LateFusionNet(DataType.FLOAT, dims, model, data.outputs(), classification,
        allowFactored && data.outputs() < model.latentDim());
    SplittableRandom root = new SplittableRandom(seed);
    net.initialize(root.split());
    SplittableRandom shuffleRng = root.split();

    // Target scaling (regression)
    double mean = 0;
    double scale = 1;
    float[] trainTargets = null;
    if (!classification) {
      trainTargets = data.trainTargets();
      if (spec.standardizeTarget()) {
        double[] ms = meanStd(trainTargets);
        mean = ms[0];
        scale = ms[1];
        trainTargets = new float[n];
        for (int i = 0; i < n; i++) trainTargets[i] = (float) ((data.trainTargets()[i] - mean) / scale);
      }
    }
    int[] trainLabels = classification ? data.trainLabels() : null;

    // Optimiser state: one flat gradient, one flat m and v
    long np = net.numParams();
    INDArray grad = Nd4j.create(DataType.FLOAT, np);
    LateFusionNet.Views gradViews = net.views(grad);
    INDArray adamM = Nd4j.create(DataType.FLOAT, np);
    INDArray adamV = Nd4j.create(DataType.FLOAT, np);

    // Batches: row-range views of per-epoch shuffled copies (or of the data itself: one batch)
    int batch = Math.min(spec.batchSize(), n);
    int numBatches = (n + batch - 1) / batch;
    boolean shuffle = numBatches > 1;
    List<INDArray> order = new ArrayList<>();
    for (int k = 0; k < dims.length; k++) {
      order.add(shuffle ? Nd4j.create(DataType.FLOAT, new long[] {n, dims[k]}, 'c') : trainX.get(k));
    }
    List<List<INDArray>> batchX = new ArrayList<>();
    for (int s = 0; s < n; s += batch) {
      batchX.add(rowRange(order, s, Math.min(n, s + batch)));
    }
    LateFusionNet.BatchCache buffers = net.new BatchCache(true);
    LateFusionNet.BatchCache evalBuffers = net.new BatchCache(false);
    int[] perm = new int[n];
    for (int i = 0; i < n; i++) perm[i] = i;
    int[] labelsInOrder = classification ? trainLabels.clone() : null;
    float[] targetsInOrder = classification ? null : trainTargets.clone();

    List<EpochStat> history = new ArrayList<>();
    Evaluation lastEval = null;
    double epochLoss = Double.NaN;
    int step = 0;
    double outScale2 = scale * scale;
    for (int epoch = 1; epoch <= spec.epochs(); epoch++) {
      if (listener.stopRequested()) {
        throw new TrainingCancelledException("training stopped on request before epoch " + epoch
            + " of " + spec.epochs());
      }
      if (shuffle) {
        shuffle(perm, shuffleRng);
        for (int k = 0; k < dims.length; k++) Nd4j.pullRows(trainX.get(k), order.get(k), 1, perm);
        for (int i = 0; i < n; i++) {
          if (classification) labelsInOrder[i] = trainLabels[perm[i]];
          else targetsInOrder[i] = trainTargets[perm[i]];
        }
      }
      double lossSum = 0;
      for (int bi = 0; bi < numBatches; bi++) {
        List<INDArray> xb = batchX.get(bi);
        int rows = (int) xb.get(0).rows();
        LateFusionNet.Batch buf = buffers.get(rows);
        net.trainingForward(xb, buf);
        lossSum += rows * net.lossAndOutputGradient(buf, labelsInOrder, targetsInOrder, bi * batch);
        net.backward(xb, buf, gradViews, spec.weightDecay(), net.factored);
        Nd4j.exec(new AdamUpdater(grad, adamV, adamM, grad, adamV, adamM,
            spec.learningRate(), spec.beta1(), spec.beta2(), spec.epsilon(), step));
        net.params.subi(grad);
        step++;
      }
      epochLoss = lossSum / n * outScale2;
      if (!Double.isFinite(epochLoss)) {
        throw new TrainingDivergedException("training loss became "
            + (Double.isNaN(epochLoss) ? "NaN" : "infinite") + " at epoch " + epoch);
      }
      Double metric = null;
      if (epoch % spec.evalEvery() == 0 || epoch == spec.epochs()) {
        lastEval = evaluate(net, evalBuffers, testX, data.testLabels(), data.testTargets(), mean, scale);
        metric = classification ? lastEval.accuracy() : lastEval.mse();
      }
      EpochStat stat = new EpochStat(epoch, epochLoss, metric, (System.nanoTime() - start) / 1_000_000);
      history.add(stat);
      listener.onEpoch(stat);
    }
    LateFusionModel trained = new LateFusionModel(net, mean, scale);
    return new TrainResult(trained, List.copyOf(history), epochLoss, lastEval);
  }

  private static void checkTargets(TrainingData data, boolean classification) {
    if (classification) {
      check(data.trainLabels(), data.trainRows(), data.numClasses(), "training");
      check(data.testLabels(), data.testRows(), data.numClasses(), "test");
    } else {
      if (data.trainTargets() == null || data.trainTargets().length != data.trainRows()) {
        throw new IllegalArgumentException("regression needs one training target per row (" + data.trainRows() + ")");
      }
      if (data.testTargets() == null || data.testTargets().length != data.testRows()) {
        throw new IllegalArgumentException("regression needs one test target per row (" + data.testRows() + ")");
      }
    }
  }

  static void check(int[] labels, int rows, int numClasses, String what) {
    if (labels == null || labels.length != rows) {
      throw new IllegalArgumentException("classification needs one " + what + " label per row (" + rows + ")");
    }
    for (int i = 0; i < labels.length; i++) {
      if (labels[i] < 0 || labels[i] >= numClasses) {
        throw new IllegalArgumentException(what + " label " + labels[i] + " at row " + i
            + " is outside 0.." + (numClasses - 1));
      }
    }
  }

  /** Mean and standard deviation (1 when the values are constant). */
  static double[] meanStd(float[] y) {
    double mean = 0;
    for (float v : y) mean += v;
    mean /= y.length;
    double ss = 0;
    for (float v : y) ss += (v - mean) * (v - mean);
    double std = Math.sqrt(ss / y.length);
    return new double[] {mean, std > 1e-12 * Math.max(1, Math.abs(mean)) ? std : 1.0};
  }

  private static void shuffle(int[] perm, SplittableRandom rng) {
    for (int i = perm.length - 1; i > 0; i--) {
      int j = rng.nextInt(i + 1);
      int t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
    }
  }

  /** FLOAT, 'c'-order, standalone copies where needed, so that row ranges are plain views. */
  static List<INDArray> prepare(List<INDArray> xs, String what) {
    List<INDArray> r = new ArrayList<>(xs.size());
    long rows = xs.get(0).rows();
    for (INDArray x : xs) {
      if (x.rank() != 2 || x.rows() != rows) {
        throw new IllegalArgumentException(what + " features: every modality must be a rows x d matrix with "
            + rows + " rows, got shape " + java.util.Arrays.toString(x.shape()));
      }
      boolean plain = x.dataType() == DataType.FLOAT && x.ordering() == 'c' && !x.isView()
          && x.offset() == 0 && x.length() == x.data().length();
      r.add(plain ? x : x.castTo(DataType.FLOAT).dup('c'));
    }
    return r;
  }

  /** Views of rows [from, to) of each (standalone, 'c'-order) matrix. */
  static List<INDArray> rowRange(List<INDArray> xs, int from, int to) {
    List<INDArray> r = new ArrayList<>(xs.size());
    for (INDArray x : xs) {
      long d = x.columns();
      r.add(Nd4j.create(x.data(), new long[] {to - from, d}, new long[] {d, 1}, from * d, 'c', x.dataType()));
    }
    return r;
  }

  /**
   * Scores the model on labelled rows in chunks: accuracy %, mean cross-entropy (classification),
   * MSE in original units (regression, predictions mean + scale·output).
   */
  static Evaluation evaluate(LateFusionNet net, LateFusionNet.BatchCache cache, List<INDArray> x,
      int[] labels, float[] targets, double mean, double scale) {
    int n = (int) x.get(0).rows();
    double correct = 0;
    double ce = 0;
    double se = 0;
    int c = net.outputs;
    for (int s = 0; s < n; s += EVAL_CHUNK) {
      int e = Math.min(n, s + EVAL_CHUNK);
      int rows = e - s;
      LateFusionNet.Batch b = cache.get(rows);
      net.forward(rowRange(x, s, e), b);
      double[] o = b.hostOut;
      HostCopy.read(b.out, o);
      for (int i = 0; i < rows; i++) {
        if (net.classification) {
          int y = labels[s + i];
          double max = Double.NEGATIVE_INFINITY;
          int arg = 0;
          for (int j = 0; j < c; j++) {
            double v = o[j * rows + i];
            if (v > max) {
              max = v;
              arg = j;
            }
          }
          double sum = 0;
          for (int j = 0; j < c; j++) sum += Math.exp(o[j * rows + i] - max);
          ce += max + Math.log(sum) - o[y * rows + i];
          if (arg == y) correct++;
        } else {
          double r = mean + scale * o[i] - targets[s + i];
          se += r * r;
        }
      }
    }
    return net.classification
        ? new Evaluation(100.0 * correct / n, ce / n, Double.NaN)
        : new Evaluation(Double.NaN, Double.NaN, se / n);
  }
}
