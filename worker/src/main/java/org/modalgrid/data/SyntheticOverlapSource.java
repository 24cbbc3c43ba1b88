package org.modalgrid.data;

import com.typesafe.config.Config;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The synthetic regression generator of PAPER.md 2b ({@code synthetic-overlap}).
 *
 * <pre>
 * K modalities m1..mK. Per seed: θ_k^s ~ N(0, I_ds), θ_k^u ~ N(0, I_du), drawn once.
 * Per row: s ~ N(0, I_ds) shared; u_k ~ N(0, I_du) unique to modality k; ε ~ N(0, σ²).
 * x^(k) = [ w·s ; (1−w)·u_k ]                       (ds + du columns)
 * y     = Σ_k θ_k^s·(w·s) + θ_k^u·((1−w)·u_k) + ε
 * </pre>
 *
 * <p>Rows: train-rows training rows, then test-rows test rows. Randomness comes from
 * {@link java.util.Random} streams derived from the run's seed with {@link Seeds#mix}: one for θ,
 * one for the training rows, one for the test rows, and one per fresh-sample seed. θ is drawn
 * modality by modality (θ_1^s, θ_1^u, θ_2^s, ...), so θ_k does not depend on K; the rows and θ do
 * not depend on w or σ (each row always draws its ε), so a grid over w compares the same draws.
 *
 * <p>Population quantities: the best predictor from a non-empty subset M sees s (when w > 0) and
 * u_k for k ∈ M, so η(M) = (1−w)²·Σ_{k∉M} ‖θ_k^u‖²; the oracle risk is σ².
 */
public final class SyntheticOverlapSource implements DatasetSource {

  public static final String NAME = "synthetic-overlap";
  static final Set<String> KEYS =
      Set.of("source", "modalities", "shared-dim", "unique-dim", "overlap", "noise", "train-rows", "test-rows");

  private static final long STREAM_THETA = 0x7e7a;
  private static final long STREAM_TRAIN = 0x7a1;
  private static final long STREAM_TEST = 0x7e57;
  private static final long STREAM_FRESH = 0xf2e5;

  /** The dataset keys, checked. */
  public record Params(int modalities, int sharedDim, int uniqueDim, double overlap, double noise,
                       int trainRows, int testRows) {

    public static Params from(Config dataset) {
      DatasetKeys k = new DatasetKeys(dataset, NAME);
      k.onlyKnown(KEYS);
      int K = k.intAtLeast("modalities", 1);
      int ds = k.intAtLeast("shared-dim", 0);
      int du = k.intAtLeast("unique-dim", 0);
      if (ds + du == 0) throw k.bad("unique-dim", "shared-dim + unique-dim must be at least 1");
      double w = k.doubleIn("overlap", 0, false, 1, false);
      double sigma = k.doubleValue("noise");
      if (sigma < 0) throw k.bad("noise", "must be >= 0, got " + sigma);
      int train = k.intAtLeast("train-rows", 1);
      int test = k.intAtLeast("test-rows", 1);
      if ((long) (train + (long) test) * (ds + du) > Integer.MAX_VALUE - 16) {
        throw k.bad("train-rows", "train-rows + test-rows times " + (ds + du) + " columns is too many values");
      }
      return new Params(K, ds, du, w, sigma, train, test);
    }

    public int dim() { return sharedDim + uniqueDim; }

    public List<String> modalityNames() {
      List<String> n = new ArrayList<>();
      for (int i = 1; i <= modalities; i++) n.add("m" + i);
      return n;
    }
  }

  /** The generator of one seed: θ drawn once; rows drawn on demand from seeded streams. */
  public static final class Generator implements FreshSampler {
    private final Params p;
    private final long seed;
    private final double[][] thetaS;
    private final double[][] thetaU;
    private final double[] thetaSSum;

    private Generator(Params p, long seed) {
      this.p = p;
      this.seed = seed;
      int K = p.modalities();
      thetaS = new double[K][p.sharedDim()];
      thetaU = new double[K][p.uniqueDim()];
      thetaSSum = new double[p.sharedDim()];
      Random r = new Random(Seeds.mix(seed, STREAM_THETA));
      for (int k = 0; k < K; k++) {
        for (int j = 0; j < p.sharedDim(); j++) {
          thetaS[k][j] = r.nextGaussian();
          thetaSSum[j] += thetaS[k][j];
        }
        for (int j = 0; j < p.uniqueDim(); j++) thetaU[k][j] = r.nextGaussian();
      }
    }

    public Params params() { return p; }
    public long seed() { return seed; }
    public double[] thetaShared(int k) { return thetaS[k].clone(); }
    public double[] thetaUnique(int k) { return thetaU[k].clone(); }

    /** ‖θ_k^u‖² for modality index k (0-based). */
    public double uniqueNormSquared(int k) {
      double s = 0;
      for (double v : thetaU[k]) s += v * v;
      return s;
    }

    /**
     * Population η of a subset given by modality names (m1..mK): (1−w)²·Σ_{k∉M}‖θ_k^u‖². For the
     * empty subset it is Var(y) − σ² = w²‖Σ_k θ_k^s‖² + (1−w)²·Σ_k ‖θ_k^u‖².
     */
    public double eta(Collection<String> subset) {
      boolean[] present = new boolean[p.modalities()];
      for (String m : subset) present[index(m)] = true;
      double w = p.overlap();
      double missing = 0;
      for (int k = 0; k < present.length; k++) if (!present[k]) missing += uniqueNormSquared(k);
      double eta = (1 - w) * (1 - w) * missing;
      if (subset.isEmpty()) eta += w * w * sharedSumNormSquared();
      return eta;
    }

    /** Population η of the prefix {m1..mj}, 0 ≤ j ≤ K. */
    public double etaOfPrefix(int j) {
      if (j < 0 || j > p.modalities()) throw new IllegalArgumentException("prefix length " + j);
      return eta(p.modalityNames().subList(0, j));
    }

    /** ‖Σ_k θ_k^s‖². */
    public double sharedSumNormSquared() {
      double s = 0;
      for (double v : thetaSSum) s += v * v;
      return s;
    }

    /** Var(y) = w²‖Σ_k θ_k^s‖² + (1−w)²Σ_k‖θ_k^u‖² + σ²; E[y] = 0. */
    public double targetVariance() {
      return eta(List.of()) + p.noise() * p.noise();
    }

    private int index(String modality) {
      if (modality.length() > 1 && modality.charAt(0) == 'm') {
        try {
          int k = Integer.parseInt(modality.substring(1));
          if (k >= 1 && k <= p.modalities()) return k - 1;
        } catch (NumberFormatException ignored) {
          // fall through
        }
      }
      throw new DataException(NAME + ": no modality '" + modality + "'; it has " + p.modalityNames());
    }

    /** Fresh rows from the same θ; {@code freshSeed} selects a stream distinct from the dataset's rows. */
    @Override
    public Sample draw(int rows, long freshSeed) {
      if (rows < 1) throw new IllegalArgumentException("rows must be >= 1, got " + rows);
      float[][] xs = new float[p.modalities()][(int) Math.multiplyExact((long) rows, p.dim())];
      float[] y = new float[rows];
      fill(xs, y, 0, rows, new Random(Seeds.mix(Seeds.mix(seed, STREAM_FRESH), freshSeed)));
      return new Sample(wrap(xs, rows), y);
    }

    /** The dataset's rows: train-rows from the training stream, then test-rows from the test stream. */
    MultimodalDataset dataset() {
      int n = p.trainRows() + p.testRows();
      float[][] xs = new float[p.modalities()][n * p.dim()];
      float[] y = new float[n];
      fill(xs, y, 0, p.trainRows(), new Random(Seeds.mix(seed, STREAM_TRAIN)));
      fill(xs, y, p.trainRows(), p.testRows(), new Random(Seeds.mix(seed, STREAM_TEST)));
      return MultimodalDataset.regression(NAME, wrap(xs, n), y,
          MultimodalDataset.range(0, p.trainRows()), MultimodalDataset.range(p.trainRows(), n),
          this, p.noise() * p.noise());
    }

    private void fill(float[][] xs, float[] y, int from, int rows, Random rnd) {
      int K = p.modalities();
      int ds = p.sharedDim();
      int du = p.uniqueDim();
      int d = ds + du;
      double w = p.overlap();
      double sigma = p.noise();
      double[] s = new double[ds];
      double[] u = new double[du];
      for (int i = from; i < from + rows; i++) {
        double sharedDot = 0;
        for (int j = 0; j < ds; j++) {
          s[j] = rnd.nextGaussian();
          sharedDot += thetaSSum[j] * s[j];
        }
        double target = w * sharedDot;
        int o = i * d;
        for (int k = 0; k < K; k++) {
          float[] x = xs[k];
          for (int j = 0; j < ds; j++) x[o + j] = (float) (w * s[j]);
          double uniqueDot = 0;
          double[] tu = thetaU[k];
          for (int j = 0; j < du; j++) {
            u[j] = rnd.nextGaussian();
            uniqueDot += tu[j] * u[j];
            x[o + ds + j] = (float) ((1 - w) * u[j]);
          }
          target += (1 - w) * uniqueDot;
        }
        target += sigma * rnd.nextGaussian();
        y[i] = (float) target;
      }
    }

    private Map<String, INDArray> wrap(float[][] xs, int rows) {
      Map<String, INDArray> m = new LinkedHashMap<>();
      List<String> names = p.modalityNames();
      for (int k = 0; k < xs.length; k++) {
        m.put(names.get(k), Nd4j.create(xs[k], new long[] {rows, p.dim()}, 'c'));
      }
      return m;
    }
  }

  @Override
  public String name() { return NAME; }

  @Override
  public void validate(Config dataset) { Params.from(dataset); }

  @Override
  public MultimodalDataset load(Config dataset, long seed) {
    return generator(dataset, seed).dataset();
  }

  @Override
  public boolean dependsOnSeed() { return true; }

  /** The generator (θ) of a dataset block and seed, without drawing any rows. */
  public static Generator generator(Config dataset, long seed) {
    return new Generator(Params.from(dataset), seed);
  }

  /** Population η of a modality subset (names m1..mK): (1−w)²·Σ_{k∉M}‖θ_k^u‖². */
  public static double populationEta(Config dataset, long seed, Collection<String> subset) {
    return generator(dataset, seed).eta(subset);
  }

  /** Population η of the prefix {m1..mj}: (1−w)²·Σ_{k>j}‖θ_k^u‖². */
  public static double populationEtaOfPrefix(Config dataset, long seed, int j) {
    return generator(dataset, seed).etaOfPrefix(j);
  }
}
