package org.modalgrid.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.modalgrid.data.Task;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import org.nd4j.linalg.learning.AdamUpdater;
import org.nd4j.linalg.learning.config.Adam;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Times training epochs of the IEMOCAP-shaped workload (text 100, audio 100, video 512 → 128 each
 * → 6 classes, batch 2048, Adam) on random data, interleaving the variants so that load from other
 * processes hits them alike: {@link LateFusionTrainer} with its factored pass, the same with the
 * plain pass (latent codes materialised, as PyTorch computes it), and a naive ND4J reference (an
 * allocating op per step, Adam per parameter array). bench/torch_latefusion.py times PyTorch.
 * Not a unit test. Run:
 *
 * <pre>
 * mvn -B -o -q -pl worker test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt -Dmdep.includeScope=test
 * java -cp worker/target/classes:worker/target/test-classes:$(cat worker/target/cp.txt) \
 *     org.modalgrid.model.TrainerBenchmark [threads=2] [epochs=10] [naive=true] [repeats=3]
 * </pre>
 */
public final class TrainerBenchmark {

  static final int[] DIMS = {100, 100, 512};
  static final int CLASSES = 6;
  static final int BATCH = 2048;

  public static void main(String[] args) {
    int threads = args.length > 0 ? Integer.parseInt(args[0]) : 2;
    int epochs = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    boolean naive = args.length <= 2 || Boolean.parseBoolean(args[2]);
    int repeats = args.length > 3 ? Integer.parseInt(args[3]) : 3;
    gemmCheck(threads);
    ThreadBudget.apply(threads);
    System.out.println("threads: " + ThreadBudget.current() + ", epochs timed per repeat: " + (epochs - 1)
        + ", repeats: " + repeats + " (interleaved)");
    for (int rows : new int[] {13200, 5810}) {
      TrainingData data = data(rows, 1623, 42);
      String[] names = naive
          ? new String[] {"LateFusionTrainer (factored)", "LateFusionTrainer (plain)", "naive ND4J"}
          : new String[] {"LateFusionTrainer (factored)", "LateFusionTrainer (plain)"};
      List<List<Double>> times = new ArrayList<>();
      for (String ignored : names) times.add(new ArrayList<>());
      for (int rep = -1; rep < repeats; rep++) { // rep -1: warm-up
        for (int v = 0; v < names.length; v++) {
          double[] t = switch (v) {
            case 0 -> timeTrainer(new LateFusionTrainer(true), data, rep < 0 ? 3 : epochs);
            case 1 -> timeTrainer(new LateFusionTrainer(false), data, rep < 0 ? 3 : epochs);
            default -> timeNaive(data, rep < 0 ? 2 : epochs - 1);
          };
          if (rep >= 0) for (double x : t) times.get(v).add(x);
        }
      }
      double base = median(times.get(0));
      for (int v = 0; v < names.length; v++) {
        double med = median(times.get(v));
        System.out.printf("rows %5d  %-30s median %7.1f  min %7.1f ms/epoch   (/ factored: %.2f)%n",
            rows, names[v], med, times.get(v).stream().mapToDouble(Double::doubleValue).min().orElse(Double.NaN),
            med / base);
      }
    }
  }

  /** ThreadBudget takes effect: GFLOP/s of a 2048×512 · 512×128 product with 1 thread and with {@code threads}. */
  static void gemmCheck(int threads) {
    INDArray a = Nd4j.rand(DataType.FLOAT, 2048, 512);
    INDArray b = Nd4j.rand(DataType.FLOAT, 512, 128).dup('f');
    INDArray c = Nd4j.create(DataType.FLOAT, new long[] {2048, 128}, 'f');
    for (int t : new int[] {1, threads, 1, threads}) {
      ThreadBudget.apply(t);
      for (int i = 0; i < 5; i++) Nd4j.gemm(a, b, c, false, false, 1, 0);
      long t0 = System.nanoTime();
      for (int i = 0; i < 40; i++) Nd4j.gemm(a, b, c, false, false, 1, 0);
      double s = (System.nanoTime() - t0) / 1e9;
      System.out.printf("gemm 2048x512x128 with a budget of %d thread(s): %.0f GFLOP/s%n", t, 40 * 2.0 * 2048 * 512 * 128 / s / 1e9);
    }
  }

  static TrainingData data(int trainRows, int testRows, long seed) {
    SplittableRandom rng = new SplittableRandom(seed);
    List<INDArray> tr = new ArrayList<>();
    List<INDArray> te = new ArrayList<>();
    for (int d : DIMS) {
      tr.add(gaussian(rng, trainRows, d));
      te.add(gaussian(rng, testRows, d));
    }
    int[] ytr = rng.ints(trainRows, 0, CLASSES).toArray();
    int[] yte = rng.ints(testRows, 0, CLASSES).toArray();
    return new TrainingData(Task.CLASSIFICATION, CLASSES, tr, ytr, null, te, yte, null);
  }

  static INDArray gaussian(SplittableRandom rng, int rows, int cols) {
    float[] v = new float[rows * cols];
    for (int i = 0; i < v.length; i++) v[i] = (float) rng.nextGaussian();
    return Nd4j.create(v, new long[] {rows, cols}, 'c');
  }

  /** ms of each of epochs 2..{@code epochs} (the first epoch and the evaluating last one are left out). */
  static double[] timeTrainer(LateFusionTrainer trainer, TrainingData data, int epochs) {
    long[] stamps = new long[epochs + 1];
    trainer.train(data, ModelSpec.linear(128), spec(epochs + 1), 2, stat -> {
      if (stat.epoch() <= epochs) stamps[stat.epoch()] = System.nanoTime();
    });
    double[] per = new double[epochs - 1];
    for (int e = 2; e <= epochs; e++) per[e - 2] = (stamps[e] - stamps[e - 1]) / 1e6;
    return per;
  }

  static TrainSpec spec(int epochs) {
    return new TrainSpec(epochs, BATCH, 0.01, 0.9, 0.999, 1e-8, 0.0, 1_000_000, false);
  }

  static double median(List<Double> v) {
    double[] s = v.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    return s.length % 2 == 1 ? s[s.length / 2] : 0.5 * (s[s.length / 2 - 1] + s[s.length / 2]);
  }

  // ---------------------------------------------------------------------------------------------
  // Naive reference: what one writes first with ND4J (new arrays from every op, Adam per array)

  /** ms of each of {@code epochs} epochs after one untimed epoch. */
  static double[] timeNaive(TrainingData data, int epochs) {
    int n = data.trainRows();
    SplittableRandom rng = new SplittableRandom(7);
    List<INDArray> w = new ArrayList<>();
    List<INDArray> b = new ArrayList<>();
    for (int d : DIMS) {
      w.add(uniform(rng, d, 128, d));
      b.add(uniform(rng, 1, 128, d));
    }
    INDArray wh = uniform(rng, 128 * DIMS.length, CLASSES, 128 * DIMS.length);
    INDArray bh = uniform(rng, 1, CLASSES, 128 * DIMS.length);
    List<INDArray> params = new ArrayList<>(w);
    params.addAll(b);
    params.add(wh);
    params.add(bh);
    List<AdamUpdater> updaters = new ArrayList<>();
    for (INDArray p : params) {
      AdamUpdater u = new AdamUpdater(new Adam(0.01, 0.9, 0.999, 1e-8));
      u.setStateViewArray(Nd4j.zeros(DataType.FLOAT, 1, 2 * p.length()), p.shape(), 'c', true);
      updaters.add(u);
    }
    INDArray onehotAll = Nd4j.zeros(DataType.FLOAT, n, CLASSES);
    for (int i = 0; i < n; i++) onehotAll.putScalar(i, data.trainLabels()[i], 1f);
    double[] per = new double[epochs];
    int iteration = 0;
    for (int e = 0; e < epochs + 1; e++) {
      long t0 = System.nanoTime();
      int[] perm = rng.ints(0, Integer.MAX_VALUE).limit(n).toArray();
      Integer[] idx = new Integer[n];
      for (int i = 0; i < n; i++) idx[i] = i;
      Arrays.sort(idx, (x, y) -> Integer.compare(perm[x], perm[y]));
      int[] order = Arrays.stream(idx).mapToInt(Integer::intValue).toArray();
      List<INDArray> xs = new ArrayList<>();
      for (INDArray x : data.trainX()) xs.add(Nd4j.pullRows(x, 1, order));
      INDArray onehot = Nd4j.pullRows(onehotAll, 1, order);
      for (int s = 0; s < n; s += BATCH) {
        int end = Math.min(n, s + BATCH);
        int rows = end - s;
        List<INDArray> xb = new ArrayList<>();
        List<INDArray> zs = new ArrayList<>();
        for (int k = 0; k < DIMS.length; k++) {
          INDArray x = xs.get(k).get(NDArrayIndex.interval(s, end), NDArrayIndex.all());
          xb.add(x);
          zs.add(x.mmul(w.get(k)).addRowVector(b.get(k)));
        }
        INDArray z = Nd4j.hstack(zs);
        INDArray logits = z.mmul(wh).addRowVector(bh);
        INDArray p = Transforms.softmax(logits, true);
        INDArray y = onehot.get(NDArrayIndex.interval(s, end), NDArrayIndex.all());
        INDArray dlog = p.sub(y).divi(rows);
        List<INDArray> grads = new ArrayList<>();
        INDArray dz = dlog.mmul(wh.transpose());
        for (int k = 0; k < DIMS.length; k++) {
          INDArray dzk = dz.get(NDArrayIndex.all(), NDArrayIndex.interval(128 * k, 128 * (k + 1)));
          grads.add(xb.get(k).transpose().mmul(dzk));
        }
        for (int k = 0; k < DIMS.length; k++) {
          grads.add(dz.get(NDArrayIndex.all(), NDArrayIndex.interval(128 * k, 128 * (k + 1))).sum(true, 0));
        }
        grads.add(z.transpose().mmul(dlog));
        grads.add(dlog.sum(true, 0));
        for (int i = 0; i < params.size(); i++) {
          INDArray g = grads.get(i);
          updaters.get(i).applyUpdater(g, iteration, e);
          params.get(i).subi(g);
        }
        iteration++;
      }
      if (e > 0) per[e - 1] = (System.nanoTime() - t0) / 1e6;
    }
    return per;
  }

  static INDArray uniform(SplittableRandom rng, int rows, int cols, int fanIn) {
    float[] v = new float[rows * cols];
    double bound = 1 / Math.sqrt(fanIn);
    for (int i = 0; i < v.length; i++) v[i] = (float) ((2 * rng.nextDouble() - 1) * bound);
    return Nd4j.create(v, new long[] {rows, cols}, 'c');
  }
}
